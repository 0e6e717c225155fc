"""What the explorer shows and what is selected: :class:`Data` (``data/processed``, else
``data/raw`` read in memory), :class:`Selection`, and the rows, units and findings of a
selection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ... import config
from ...contract import PHASE_VI
from ...errors import UnknownUnitError, UsageError
from ...indicators import attains, prefer_real, read_plans, read_processed, wide
from ...vocab import units as units_mod
from ...vocab.catalog import Catalog, load_catalog
from ...vocab.provenance import drop_shadowed
from ...vocab.rules import FINDING_SCHEMA

#: The phase as a button says it: "Trước triển khai", "Sau triển khai".
PHASE_LABEL = {p: PHASE_VI[p].capitalize() for p in ("before", "after")}
PHASE_SLUG = {"before": "truoc", "after": "sau"}
SORT_OPTIONS = (("Mức độ", "severity"), ("Đơn vị", "unit_name"), ("Chỉ tiêu", "indicator"),
                ("Giai đoạn", "phase"), ("Quy tắc", "rule"), ("Ô nguồn", "source"))


@dataclass(frozen=True)
class Data:
    """What the explorer shows: observations, findings, and one row per unit × period ×
    indicator (:func:`indicators.wide` with ``unit_level``, ``attained_before`` and
    ``attained_after``)."""

    observations: pl.DataFrame
    findings: pl.DataFrame
    table: pl.DataFrame
    origin: str
    root: Path
    catalog: Catalog
    #: the plans and instructions read (``plans.json``): windows, deadlines, targets
    plans: list[dict] = field(default_factory=list)

    @property
    def periods(self) -> list[str]:
        """The periods with results, or with progress reports only."""
        found = set(self.table["period"].to_list()) | set(self.observations["period"].to_list())
        return sorted(p for p in found if p)


def _table(observations: pl.DataFrame, catalog: Catalog) -> pl.DataFrame:
    known = observations.filter(pl.col("unit_code") != "")
    table = wide(known, catalog)
    levels = known.select("unit_code", "unit_level").unique(subset="unit_code", keep="first")
    table = table.join(levels, on="unit_code", how="left")
    before = [attains(v, q, t, tq) for v, q, t, tq in table.select(
        "before", "before_qualifier", "target", "target_qualifier").iter_rows()]
    return table.with_columns(pl.Series("attained_before", before, dtype=pl.Boolean),
                              pl.col("attained").alias("attained_after"))


def load_data(root: Path | None = None) -> Data:
    """The explorer's data: ``data/processed`` if ``bakhong ingest`` wrote it, else
    ``data/raw`` read and checked in memory."""
    root = root or config.project_root()
    catalog = load_catalog(config.reference_dir(root))
    processed = config.processed_dir(root)
    if (processed / "observations.parquet").is_file():
        observations, findings = read_processed(processed)
        plans = read_plans(processed)
        origin = f"{processed} (bakhong ingest)"
    else:
        from ...checks import check
        from ...read import read_tables, table_files
        from ...read.documents import is_document, plan_records

        raw = config.raw_dir(root)
        files = table_files([raw]) if raw.is_dir() else []
        observations, problems, tables = read_tables(files)
        plans = plan_records([t for t in tables if is_document(t)])
        findings = check(observations, problems)
        observations = prefer_real(observations)
        origin = f"{raw} (đọc trực tiếp; chạy `bakhong ingest` để mở nhanh hơn)"
    if findings.is_empty():
        findings = pl.DataFrame(schema=FINDING_SCHEMA)
    findings = drop_shadowed(findings, by=observations)
    return Data(observations, findings, _table(observations, catalog), origin, root, catalog,
                plans)


@dataclass(frozen=True)
class Selection:
    period: str
    units: tuple[str, ...]          # unit codes; empty = every unit of the period
    indicator: str
    phase: str = "after"
    synthetic: bool = True          # show synthetic data
    only_indicator: bool = True     # findings of the chosen indicator (or pillar) only


def indicator_options(catalog: Catalog) -> list[tuple[str, str]]:
    """(label, code) for the indicator dropdown: TC01–TC16, then the pillars K1–K3."""
    options = [(f"{i.code} — {i.short}", i.code) for i in catalog.criteria]
    options += [(f"{code} — Trụ cột: {label}", code) for code, label in catalog.pillars.items()
                if code in catalog]
    return options


def heatmap_indicators(indicator: str, catalog: Catalog) -> list[str]:
    """The heatmap's columns: for a pillar, its criteria and itself; else every indicator."""
    if indicator in catalog.pillars:
        return [i.code for i in catalog.indicators if indicator in i.pillars]
    return list(catalog.codes)


def visible(data: Data, selection: Selection) -> pl.DataFrame:
    """Rows of the period, without synthetic ones when the switch hides them."""
    rows = data.table.filter(pl.col("period") == selection.period)
    return rows if selection.synthetic else rows.filter(~pl.col("synthetic"))


def unit_options(rows: pl.DataFrame) -> list[tuple[str, str]]:
    """(label, code) of the units in ``rows``: districts first, then communes, by name."""
    units = rows.select("unit_code", "unit_name", "unit_level", "synthetic").unique(
        subset="unit_code", keep="first")
    level = {"province": 0, "district": 1, "commune": 2}
    ordered = sorted(units.iter_rows(named=True),
                     key=lambda r: (level.get(r["unit_level"] or "", 3), r["unit_name"]))
    return [(r["unit_name"] + (" (mô phỏng)" if r["synthetic"] else "")
             + (f" — xã/phường [{r['unit_code']}]" if r["unit_level"] == "commune" else ""),
             r["unit_code"]) for r in ordered]


def chosen_units(rows: pl.DataFrame, selection: Selection) -> list[str]:
    present = rows["unit_code"].unique().to_list()
    return [c for c in selection.units if c in present] or sorted(present)


def selection_findings(data: Data, selection: Selection, catalog: Catalog) -> pl.DataFrame:
    """The findings of the selection: its period and units (a finding without a unit shows
    when every unit is selected), the chosen indicator or pillar unless asked for all."""
    rows = visible(data, selection)
    units = chosen_units(rows, selection)
    found = data.findings.filter(pl.col("period").is_in([selection.period, ""]))
    if not selection.synthetic:
        found = found.filter(~pl.col("synthetic"))
    unit_ok = pl.col("unit_code").is_in(units)
    if not selection.units:
        unit_ok = unit_ok | (pl.col("unit_code") == "")
    found = found.filter(unit_ok)
    if selection.only_indicator:
        codes = heatmap_indicators(selection.indicator, catalog) \
            if selection.indicator in catalog.pillars else [selection.indicator]
        found = found.filter(pl.col("indicator").is_in(codes) | (pl.col("indicator") == ""))
    return found


def resolve_units(names: Iterable[str] | None, data: Data) -> tuple[str, ...]:
    """Unit codes from codes or names ("Thường Xuân", "396")."""
    if not names:
        return ()
    if isinstance(names, str):
        names = [names]
    present = set(data.table["unit_code"].to_list())
    out = []
    for name in names:
        name = str(name)
        if name in present:
            out.append(name)
            continue
        try:
            out.append(units_mod.match(name).code)
        except UnknownUnitError as exc:
            raise UsageError(str(exc)) from None
    return tuple(out)
