"""Apply the rules of ``_data/rules.toml`` to observations and return findings.

Cell and pair rules are SQL expressions evaluated by polars over the whole observation table
at once; unit rules (populations that must agree) are functions named by the rule's
``check``. A rule listed in another's ``unless`` silences it for the same cell, so a
swapped ratio is reported once, as ``swapped_ratio``, not also as ``ratio_over_100``.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import polars as pl

from . import findings as fnd
from . import units as units_mod
from .catalog import Catalog, load_catalog
from .findings import Finding, Rule
from .parse import format_int, format_number, format_percent

_KEY = ["unit_code", "period", "indicator"]


def _fields(row: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    code = row.get("indicator") or ""
    label = catalog[code].short if code in catalog else ""
    num, den = row.get("numerator"), row.get("denominator")
    ratio = num / den if num is not None and den else None
    inverse = den / num if num and den is not None else None
    return {
        "indicator": code, "label": label,
        "value": format_percent(row.get("value"), qualifier=row.get("qualifier") or "="),
        "numerator": format_int(num), "denominator": format_int(den),
        "ratio": format_percent(ratio), "inverse": format_percent(inverse),
        "target": format_percent(row.get("target"), qualifier=row.get("target_qualifier") or "="),
        "raw": row.get("raw") or "",
        "before": format_percent(row.get("before")), "after": format_percent(row.get("after")),
    }


def _record(row: dict[str, Any], phase: str | None = None) -> dict[str, Any]:
    return {
        "unit_code": row.get("unit_code") or "", "unit_name": row.get("unit_name") or "",
        "period": row.get("period") or "", "indicator": row.get("indicator") or "",
        "phase": phase if phase is not None else (row.get("phase") or ""),
        "value": row.get("value"), "source": row.get("source") or "",
        "synthetic": bool(row.get("synthetic")),
    }


def _derived(obs: pl.DataFrame) -> pl.DataFrame:
    """The observations with the columns rule expressions may use (see rules.toml)."""
    return obs.with_columns(
        (pl.col("numerator") / pl.col("denominator")).alias("ratio"),
        (pl.col("denominator") / pl.col("numerator")).alias("inverse"),
        (pl.col("target") - pl.col("value")).alias("gap"),
        (pl.col("tolerance") + 1e-9).alias("tol"),
    )


def _detail(rule: Rule, row: dict[str, Any]) -> str:
    if rule.name == "ratio_over_100":
        if row.get("value") is not None and row["value"] > 1:
            return format_percent(row["value"])
        return f"{format_int(row['numerator'])}/{format_int(row['denominator'])} = " \
               f"{format_percent(row['ratio'])}"
    if rule.name == "target_mismatch":
        return format_percent(row.get("target_stated"))
    return ""


def _cell_findings(obs: pl.DataFrame, catalog: Catalog) -> list[Finding]:
    rules = [r for r in fnd.rules().values() if r.scope == "cell"]
    if obs.is_empty():
        return []
    frame = _derived(obs)
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
            fields = _fields(row, catalog) | {"detail": _detail(rule, row)}
            out.append(fnd.make(rule.name, fields, **_record(row)))
    return out


def _pair_findings(obs: pl.DataFrame, catalog: Catalog) -> list[Finding]:
    rules = [r for r in fnd.rules().values() if r.scope == "pair"]
    ok = obs.filter(pl.col("status") == "ok")
    if ok.is_empty() or not rules:
        return []
    after = ok.filter(pl.col("phase") == "after").select(
        [*_KEY, "unit_name", "synthetic", "source", pl.col("value").alias("after")])
    before = ok.filter(pl.col("phase") == "before").select(
        [*_KEY, pl.col("value").alias("before")])
    wide = after.join(before, on=_KEY, how="inner")
    out: list[Finding] = []
    for rule in rules:
        for row in wide.filter(pl.sql_expr(rule.when).fill_null(False)).iter_rows(named=True):
            record = _record({**row, "value": row["after"]}, phase="after")
            out.append(fnd.make(rule.name, _fields(row, catalog), **record))
    return out


# --- unit rules ---------------------------------------------------------------------------

def _denominators(obs: pl.DataFrame, catalog: Catalog) -> list[dict[str, Any]]:
    """Each reported denominator with the population it counts; a swapped ratio is read the
    corrected way round."""
    rows = []
    frame = obs.filter(pl.col("status").eq("ok") & pl.col("denominator").is_not_null()
                       & pl.col("numerator").is_not_null())
    for row in frame.iter_rows(named=True):
        num, den, value = row["numerator"], row["denominator"], row["value"]
        swapped = num > den and row["stated"] and abs(value - den / num) <= row["tolerance"] + 1e-9
        if swapped and den:
            den = num
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
    fields = _fields(row, catalog) | {"detail": detail, "denominator": format_int(row["size"])}
    return fnd.make(rule.name, fields, **_record(row))


UNIT_CHECKS: dict[str, Callable[[pl.DataFrame, Catalog, Rule], list[Finding]]] = {
    "populations": _populations,
    "reference_population": _reference_population,
}


def check(observations: pl.DataFrame, load_findings: Iterable[Finding] = (),
          catalog: Catalog | None = None) -> pl.DataFrame:
    """Every finding on the observations, plus those met while loading them.

    Returns a table with :data:`bakhong.findings.FINDING_SCHEMA`, most severe first.
    """
    catalog = catalog or load_catalog()
    found = list(load_findings)
    found += _cell_findings(observations, catalog)
    found += _pair_findings(observations, catalog)
    for rule in fnd.rules().values():
        if rule.scope == "unit":
            found += UNIT_CHECKS[rule.check](observations, catalog, rule)
    return fnd.to_frame(found)


def check_paths(paths: Iterable[str | Path], unit: str | None = None,
                period: str | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Load and check files or folders: (observations, findings)."""
    from .load import read_tables

    observations, problems, _ = read_tables(paths, unit=unit, period=period)
    return observations, check(observations, problems)
