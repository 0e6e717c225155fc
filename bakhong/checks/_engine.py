"""The check run: every rule over the observations; loading paths with their survey files;
the province summary."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl

from .. import survey as survey_mod
from ..contract import of_record
from ..read import Table, read_tables
from ..vocab import rules as fnd
from ..vocab.catalog import Catalog, load_catalog
from ..vocab.rules import Finding
from ._cell import cell_findings, pair_findings
from ._province import PROVINCE_CHECKS
from ._unit import UNIT_CHECKS


def check(observations: pl.DataFrame, load_findings: Iterable[Finding] = (),
          catalog: Catalog | None = None) -> pl.DataFrame:
    """Every finding on the observations, plus those met while loading them.

    Returns a table with :data:`bakhong.contract.FINDING_SCHEMA`, most severe first.
    """
    catalog = catalog or load_catalog()
    problems = list(load_findings)
    found = list(problems)
    # rows computed from survey microdata are not a district's report: they are only
    # compared with the reports (survey.compare), never checked themselves
    tables = observations.filter(pl.col("origin").fill_null("") != "survey") \
        if "origin" in observations.columns else observations
    found += cell_findings(tables, catalog)
    # a progress report's figures (``as_of``) are checked cell by cell; the results of
    # record (one row per unit, indicator and phase) are what units are compared on
    tables = of_record(tables)
    found += pair_findings(tables, catalog)
    for rule in fnd.rules().values():
        if rule.scope == "unit":
            found += UNIT_CHECKS[rule.check](tables, catalog, rule)
        elif rule.scope == "province":
            found += PROVINCE_CHECKS[rule.check or rule.name](tables, catalog, rule,
                                                              problems)
    found += survey_mod.compare(observations, catalog)
    return fnd.to_frame(_echoed(found, tables))


def _echoed(found: list[Finding], observations: pl.DataFrame) -> list[Finding]:
    """An error on a figure a narrative repeats names the repeat too: the prose is as wrong
    as the cell ("đạt trên 45,75%" beside a swapped 72599/33216)."""
    if "also_stated" not in observations.columns:
        return found
    key = ["unit_code", "period", "indicator", "phase"]
    also = {tuple(r[k] for k in key): r["also_stated"] for r in observations.filter(
        pl.col("also_stated").is_not_null()).select(*key, "also_stated").iter_rows(named=True)}
    if not also:
        return found
    out = []
    for f in found:
        where = also.get((f.unit_code, f.period, f.indicator, f.phase))
        if where and f.severity == "error":
            f = replace(f, message=f"{f.message} Văn bản báo cáo nhắc lại số liệu này: {where}.")
        out.append(f)
    return out


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
    files = survey_mod.survey_files(paths)
    observations, problems, tables = read_tables(paths, unit=unit, period=period, exclude=files)
    found = None
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
