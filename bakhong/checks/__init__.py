"""Apply the rules of ``_data/rules.toml`` to observations and return findings.

Cell and pair rules are SQL expressions evaluated by polars over the whole observation table
at once; unit rules (populations that must agree) and province rules (across units and
periods: outliers, related indicators, completeness) are functions named by the rule's
``check`` (else its name). A rule listed in another's ``unless`` silences it for the same cell, so a
swapped ratio is reported once, as ``swapped_ratio``, not also as ``ratio_over_100``.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from .. import survey as survey_mod
from ..read import Table, read_tables
from ..vocab import rules as fnd
from ..vocab import units as units_mod
from ..vocab.catalog import Catalog, load_catalog
from ..vocab.parse import format_int, format_number, format_percent
from ..vocab.ratio import corrected, swapped_expr
from ..vocab.rules import PHASE_VI, Finding, Rule

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
        swapped_expr().alias("swapped"),
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
    fields = _fields(row, catalog) | {"detail": detail, "denominator": format_int(row["size"])}
    return fnd.make(rule.name, fields, **_record(row))


UNIT_CHECKS: dict[str, Callable[[pl.DataFrame, Catalog, Rule], list[Finding]]] = {
    "populations": _populations,
    "reference_population": _reference_population,
}


# --- province rules (across units and periods) ----------------------------------------------

def modified_z(values: Sequence[float]) -> list[float] | None:
    """The modified z-score of each value (WHO Data Quality Review; Iglewicz & Hoaglin).

    M = 0.6745·(x − median)/MAD, or 0.7979·(x − median)/MeanAD when MAD = 0; None when
    every value is the same (nothing stands out).

    >>> [round(m, 2) for m in modified_z([0.8, 0.82, 0.81, 0.79, 0.2])]
    [0.0, 1.35, 0.67, -0.67, -40.47]
    """
    if not values:
        return None
    median = statistics.median(values)
    mad = statistics.median(abs(x - median) for x in values)
    if mad > 1e-12:
        return [0.6745 * (x - median) / mad for x in values]
    mean_ad = statistics.fmean(abs(x - median) for x in values)
    if mean_ad <= 1e-12:
        return None
    return [0.7979 * (x - median) / mean_ad for x in values]


def _comparable(obs: pl.DataFrame) -> pl.DataFrame:
    """One plausible value per unit × period × indicator × phase (impossible values > 100%
    are errors already and would only distort the median)."""
    return (obs.filter(pl.col("status").eq("ok") & pl.col("unit_code").ne("")
                       & pl.col("value").is_not_null() & pl.col("value").le(1 + 1e-6))
            .unique(subset=["unit_code", "period", "indicator", "phase"], keep="first",
                    maintain_order=True))


def _outliers(obs: pl.DataFrame, catalog: Catalog, rule: Rule,
              problems: Sequence[Finding]) -> list[Finding]:
    p = rule.params
    threshold, min_units = p.get("threshold", 3.5), p.get("min_units", 5)
    weak_below = p.get("weak_below", 8)
    frame = _comparable(obs)
    out: list[Finding] = []
    # real units are compared with real units only: a district's leadership must never read
    # that its real figure is unusual next to synthetic ones
    for _, group in frame.group_by(["period", "unit_level", "synthetic", "indicator", "phase"],
                                   maintain_order=True):
        if group.height < min_units:
            continue
        rows = group.to_dicts()
        scores = modified_z([r["value"] for r in rows])
        if scores is None:
            continue
        median = statistics.median(r["value"] for r in rows)
        for row, score in zip(rows, scores, strict=True):
            if abs(score) <= threshold:
                continue
            side = "thấp" if score < 0 else "cao"
            detail = (f"{side} bất thường so với {len(rows)} đơn vị cùng cấp (trung vị "
                      f"{format_percent(median)}, điểm z hiệu chỉnh {format_number(score, 1)}, "
                      f"ngưỡng ±{format_number(threshold, 1)}).")
            if len(rows) < weak_below:
                detail += (f" Lưu ý: chỉ có {len(rows)} đơn vị (dưới {weak_below}) nên so sánh "
                           "này chưa chắc chắn.")
            out.append(fnd.make(rule.name, _fields(row, catalog) | {"detail": detail},
                                **_record(row)))
    out += _over_time(frame, catalog, rule)
    return out


def _over_time(frame: pl.DataFrame, catalog: Catalog, rule: Rule) -> list[Finding]:
    """WHO DQR consistency over time: current / mean of the unit's previous periods."""
    band, min_mean = rule.params.get("over_time", 0.33), rule.params.get("min_mean", 0.05)
    periods = sorted(p for p in frame["period"].unique().to_list() if p)
    if len(periods) < 2:
        return []
    out: list[Finding] = []
    for _, group in frame.group_by(["unit_code", "indicator", "phase"], maintain_order=True):
        history = {r["period"]: r for r in group.to_dicts()}
        for i, period in enumerate(periods[1:], start=1):
            if period not in history:
                continue
            previous = [history[q]["value"] for q in periods[:i] if q in history]
            if not previous:
                continue
            mean = statistics.fmean(previous)
            if mean < min_mean:
                continue
            ratio = history[period]["value"] / mean
            if abs(ratio - 1) <= band + 1e-9:
                continue
            earlier = ", ".join(q for q in periods[:i] if q in history)
            detail = (f"bằng {format_number(ratio, 2)} lần trung bình các kỳ trước "
                      f"({format_percent(mean)}, kỳ {earlier}),"
                      f" ngoài khoảng 1 ± {format_number(band * 100, 0)}%.")
            row = history[period]
            out.append(fnd.make(rule.name, _fields(row, catalog) | {"detail": detail},
                                **_record(row)))
    return out


def _related(obs: pl.DataFrame, catalog: Catalog, rule: Rule,
             problems: Sequence[Finding]) -> list[Finding]:
    """Pairs of ``[[related]]`` that must hold inside a unit and phase: counts when both
    cells give them, else rates with the pair's tolerance."""
    frame = _comparable(obs)
    cells = {(r["unit_code"], r["period"], r["phase"], r["indicator"]): r
             for r in frame.iter_rows(named=True)}
    out: list[Finding] = []
    for (unit, period, phase, code), small in cells.items():
        for pair in fnd.related():
            if pair.smaller != code:
                continue
            large = cells.get((unit, period, phase, pair.larger))
            if large is None:
                continue
            n_small, _ = corrected(small)
            n_large, _ = corrected(large)
            if n_small is not None and n_large is not None:
                if n_small <= n_large * (1 + pair.tolerance):
                    continue
                said = (f"{format_int(n_small)} người ({code}) nhiều hơn "
                        f"{format_int(n_large)} người ({pair.larger})")
            else:
                if small["value"] <= large["value"] + pair.tolerance + 1e-9:
                    continue
                said = (f"{format_percent(small['value'])} ({code}) cao hơn "
                        f"{format_percent(large['value'])} ({pair.larger}) quá "
                        f"{format_number(pair.tolerance * 100, 1)} điểm %")
            detail = (f"{code} ({catalog[code].short}) {PHASE_VI[phase]} là {said} — "
                      f"{catalog[pair.larger].short}; trong khi {pair.reason}.")
            out.append(fnd.make(rule.name, _fields(small, catalog) | {"detail": detail},
                                **_record(small)))
    return out


def expected_units(period: str, level: str = "district") -> tuple[units_mod.Unit, ...]:
    """The reference units that should report for a period: a unit merged away before the
    period began (Đông Sơn after 2024) is not expected."""
    return tuple(u for u in units_mod.units() if u.level == level
                 and not (u.valid_to and period and u.valid_to[:4] < period[:4]))


def _completeness(obs: pl.DataFrame, catalog: Catalog, rule: Rule,
                  problems: Sequence[Finding]) -> list[Finding]:
    share, min_districts = rule.params.get("share", 0.9), rule.params.get("min_districts", 2)
    criteria = [i.code for i in catalog.criteria]
    out: list[Finding] = []
    known = obs.filter(pl.col("unit_code") != "")
    for (unit_code, period), group in known.group_by(["unit_code", "period"],
                                                     maintain_order=True):
        reported = set(group.filter(pl.col("status") == "ok")["indicator"]) & set(criteria)
        if len(reported) >= share * len(criteria) - 1e-9:
            continue
        lacking = [c for c in criteria if c not in reported]
        first = group.row(0, named=True)
        detail = (f"chỉ có số liệu của {len(reported)}/{len(criteria)} chỉ tiêu "
                  f"({format_percent(len(reported) / len(criteria))}, cần từ "
                  f"{format_percent(share, 0)}); thiếu {', '.join(lacking)}.")
        out.append(fnd.make(rule.name, {"detail": detail}, unit_code=unit_code,
                            unit_name=first["unit_name"], period=period,
                            source=first["file"] or "", synthetic=bool(first["synthetic"])))
    districts = known.filter(pl.col("unit_level") == "district")
    for period in sorted(set(districts["period"])):
        sent = set(districts.filter(pl.col("period") == period)["unit_code"])
        if len(sent) < min_districts:
            continue
        unreadable = {f.unit_code for f in problems if f.rule == "load_error"}
        synthetic = bool(districts.filter(pl.col("period") == period)["synthetic"].all())
        for unit in expected_units(period):
            if unit.code in sent or unit.code in unreadable:
                continue
            detail = f"{unit.full_name} chưa gửi báo cáo kỳ {period}."
            out.append(fnd.make(rule.name, {"detail": detail}, unit_code=unit.code,
                                unit_name=unit.name, period=period, synthetic=synthetic))
    return out


PROVINCE_CHECKS: dict[str, Callable[[pl.DataFrame, Catalog, Rule, Sequence[Finding]],
                                    list[Finding]]] = {
    "outliers": _outliers,
    "related_inconsistent": _related,
    "completeness": _completeness,
}


def check(observations: pl.DataFrame, load_findings: Iterable[Finding] = (),
          catalog: Catalog | None = None) -> pl.DataFrame:
    """Every finding on the observations, plus those met while loading them.

    Returns a table with :data:`bakhong.findings.FINDING_SCHEMA`, most severe first.
    """
    catalog = catalog or load_catalog()
    problems = list(load_findings)
    found = list(problems)
    # rows computed from survey microdata are not a district's report: they are only
    # compared with the reports (survey.compare), never checked themselves
    tables = observations.filter(pl.col("origin").fill_null("") != "survey") \
        if "origin" in observations.columns else observations
    found += _cell_findings(tables, catalog)
    found += _pair_findings(tables, catalog)
    for rule in fnd.rules().values():
        if rule.scope == "unit":
            found += UNIT_CHECKS[rule.check](tables, catalog, rule)
        elif rule.scope == "province":
            found += PROVINCE_CHECKS[rule.check or rule.name](tables, catalog, rule,
                                                              problems)
    found += survey_mod.compare(observations, catalog)
    return fnd.to_frame(found)


@dataclass
class Loaded:
    """Everything read from files or folders: template tables and survey microdata."""

    observations: pl.DataFrame
    problems: list[Finding]
    tables: list[Table]
    survey: survey_mod.Survey | None


def load_paths(paths: Iterable[str | Path], unit: str | None = None,
               period: str | None = None, survey_phase: str = "after") -> Loaded:
    """Read the template tables and the survey files (``survey/`` folders, ``.parquet``)
    among paths; survey indicators join the observations with ``origin`` = "survey"."""
    paths = list(paths)
    observations, problems, tables = read_tables(paths, unit=unit, period=period)
    found = None
    files = survey_mod.survey_files(paths)
    if files:
        found = survey_mod.read_surveys(files, phase=survey_phase, period=period)
        problems = problems + found.findings
        observations = pl.concat([observations, survey_mod.indicators(found)],
                                 how="vertical_relaxed")
    return Loaded(observations, problems, tables, found)


def check_paths(paths: Iterable[str | Path], unit: str | None = None,
                period: str | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Load and check files or folders, survey files included: (observations, findings)."""
    loaded = load_paths(paths, unit=unit, period=period)
    return loaded.observations, check(loaded.observations, loaded.problems)


def summary(findings: pl.DataFrame, units: pl.DataFrame | Iterable[Any] | None = None
            ) -> pl.DataFrame:
    """The province summary, WHO DQR style: per rule, how many units have the finding, their
    share of the units checked, and their names.

    ``units``: the units checked — an observation table, or units (``Unit`` or
    ``(code, name)``); by default those the findings name. Units that sent nothing
    (``incomplete_unit``) count among the units checked.

    Returns columns rule, severity, units, total, share, names (Vietnamese, comma-separated),
    in the order of ``rules.toml``; rules nobody broke are left out.
    """
    names: dict[str, str] = {}
    if isinstance(units, pl.DataFrame):
        for code, name in units.select("unit_code", "unit_name").unique().iter_rows():
            if code:
                names[code] = name
    elif units is not None:
        for unit in units:
            code, name = (unit.code, unit.name) if hasattr(unit, "code") else unit
            names[str(code)] = name
    for code, name in findings.select("unit_code", "unit_name").unique().iter_rows():
        if code:
            names.setdefault(code, name)
    total = len(names)
    rows = []
    for rule in fnd.rules().values():
        hit = findings.filter((pl.col("rule") == rule.name) & (pl.col("unit_code") != ""))
        unknown = findings.filter((pl.col("rule") == rule.name) & (pl.col("unit_code") == ""))
        codes = sorted(set(hit["unit_code"]))
        if not codes and unknown.is_empty():
            continue
        listed = [names.get(c, c) for c in codes]
        if not unknown.is_empty():
            listed.append(f"{unknown.height} tệp không rõ đơn vị")
        rows.append({"rule": rule.name, "severity": rule.severity, "units": len(codes),
                     "total": total, "share": len(codes) / total if total else None,
                     "names": ", ".join(listed)})
    schema = {"rule": pl.String, "severity": pl.String, "units": pl.Int64, "total": pl.Int64,
              "share": pl.Float64, "names": pl.String}
    return pl.DataFrame(rows, schema=schema)
