"""Cell and pair rules: SQL expressions that polars evaluates over the whole observation
table at once."""

from __future__ import annotations

import polars as pl

from ..vocab import rules as fnd
from ..vocab.catalog import Catalog
from ..vocab.rules import Finding
from ._rows import KEY, detail_text, finding_fields, finding_record, with_derived


def cell_findings(obs: pl.DataFrame, catalog: Catalog) -> list[Finding]:
    rules = [r for r in fnd.rules().values() if r.scope == "cell"]
    if obs.is_empty():
        return []
    frame = with_derived(obs)
    masks = frame.select(
        pl.sql_expr(rule.when).fill_null(False).alias(rule.name) for rule in rules
    )
    out: list[Finding] = []
    for rule in rules:
        mask = masks[rule.name]
        for other in rule.unless:
            if other in masks.columns:
                mask = mask & ~masks[other]
        for row in frame.filter(mask).iter_rows(named=True):
            fields = finding_fields(row, catalog) | {"detail": detail_text(rule, row)}
            out.append(fnd.make(rule.name, fields, **finding_record(row)))
    return out


def pair_findings(obs: pl.DataFrame, catalog: Catalog) -> list[Finding]:
    rules = [r for r in fnd.rules().values() if r.scope == "pair"]
    ok = obs.filter(pl.col("status") == "ok")
    if ok.is_empty() or not rules:
        return []
    after = ok.filter(pl.col("phase") == "after").select(
        [*KEY, "unit_name", "synthetic", "source", pl.col("value").alias("after")])
    before = ok.filter(pl.col("phase") == "before").select(
        [*KEY, pl.col("value").alias("before")])
    wide = after.join(before, on=KEY, how="inner")
    out: list[Finding] = []
    for rule in rules:
        for row in wide.filter(pl.sql_expr(rule.when).fill_null(False)).iter_rows(named=True):
            record = finding_record({**row, "value": row["after"]}, phase="after")
            out.append(fnd.make(rule.name, finding_fields(row, catalog), **record))
    return out
