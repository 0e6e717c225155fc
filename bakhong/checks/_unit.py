"""Unit rules: figures of one unit that must agree (denominators; populations against the
reference population)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

import polars as pl

from ..vocab import rules as fnd
from ..vocab import units as units_mod
from ..vocab.catalog import Catalog
from ..vocab.parse import format_int, format_number
from ..vocab.ratio import corrected
from ..vocab.rules import Finding, Rule
from ._rows import finding_fields, finding_record


def _denominators(obs: pl.DataFrame, catalog: Catalog) -> list[dict[str, Any]]:
    """Each reported denominator with the population it counts; a swapped ratio is read the
    corrected way round."""
    rows = []
    frame = obs.filter(pl.col("status").eq("ok") & pl.col("denominator").is_not_null()
                       & pl.col("numerator").is_not_null())
    for row in frame.iter_rows(named=True):
        _, den = corrected(row)
        rows.append({**row, "size": den, "population": catalog[row["indicator"]].population})
    return rows


def _populations(obs: pl.DataFrame, catalog: Catalog, rule: Rule) -> list[Finding]:
    out: list[Finding] = []
    by_unit: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in _denominators(obs, catalog):
        by_unit.setdefault((row["unit_code"], row["period"], row["phase"]), []).append(row)
    for rows in by_unit.values():
        groups: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(row["population"], []).append(row)
        size = {p: statistics.median(r["size"] for r in g) for p, g in groups.items()}
        for population, group in groups.items():
            low, high = min(group, key=lambda r: r["size"]), max(group, key=lambda r: r["size"])
            if len(group) > 1 and high["size"] > low["size"] * (1 + rule.tolerance):
                detail = (
                    f"cùng là {catalog.populations[population]} nhưng {high['indicator']} dùng "
                    f"{format_int(high['size'])} còn {low['indicator']} dùng "
                    f"{format_int(low['size'])} (chênh quá {format_number(rule.tolerance * 100)}%)."
                )
                out.append(_unit_finding(rule, high, catalog, detail))
        for relation in fnd.relations():
            if relation.larger not in size or relation.smaller not in size:
                continue
            ratio = size[relation.larger] / size[relation.smaller]
            if ratio <= relation.max_ratio * (1 + 1e-9):
                continue
            big = max(groups[relation.larger], key=lambda r: r["size"])
            small = groups[relation.smaller]
            detail = (
                f"mẫu số {catalog.populations[relation.larger]} của {big['indicator']} "
                f"({format_int(size[relation.larger])}) gấp {format_number(ratio, 1)} lần mẫu số "
                f"{catalog.populations[relation.smaller]} của "
                f"{', '.join(r['indicator'] for r in small)} "
                f"({format_int(size[relation.smaller])}),"
                f" trong khi {relation.reason}."
            )
            out.append(_unit_finding(rule, big, catalog, detail))
    return out


_LARGEST_POPULATIONS = ("residents", "adults", "aged15", "households")


def _reference_population(obs: pl.DataFrame, catalog: Catalog, rule: Rule) -> list[Finding]:
    references = units_mod.populations()
    province = references.get("38")
    out = []
    for row in _denominators(obs, catalog):
        if row["population"] not in _LARGEST_POPULATIONS:
            continue
        reference = references.get(row["unit_code"])
        if reference is None and row["unit_code"] != "38" and province is not None:
            reference = province  # no district or commune can hold more than the province
        if reference is None or row["size"] <= reference.population * (1 + rule.tolerance):
            continue
        name = units_mod.by_code(reference.code).full_name
        detail = (f"{format_int(reference.population)} của {name} "
                  f"(năm {reference.year}, nguồn: {reference.source})")
        out.append(_unit_finding(rule, row, catalog, detail))
    return out


def _unit_finding(rule: Rule, row: dict[str, Any], catalog: Catalog, detail: str) -> Finding:
    fields = finding_fields(row, catalog) | {"detail": detail,
                                             "denominator": format_int(row["size"])}
    return fnd.make(rule.name, fields, **finding_record(row))


UNIT_CHECKS: dict[str, Callable[[pl.DataFrame, Catalog, Rule], list[Finding]]] = {
    "populations": _populations,
    "reference_population": _reference_population,
}
