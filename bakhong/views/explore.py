"""The analysts' explorer: pick a period, units, a criterion or pillar and a phase in
JupyterLab, and see linked charts, the findings with their cells, and export the selection.

``explore()`` reads ``data/processed`` (written by ``bakhong ingest``) when it is there,
else reads ``data/raw`` directly (nothing is written). It returns an :class:`Explorer`
whose widgets (ipywidgets) drive three linked charts, stacked in one plotly
``FigureWidget`` and updated in place:

* the units compared on the chosen indicator at the chosen phase, with the target line
  (the selected units stand out, the others are faded);
* before and after rollout for the selected units;
* the attainment heatmap of the selected units (for a pillar: its criteria and itself);

and the selection's findings as a table sortable by any column, each with its source cell.
A switch hides or shows synthetic data ("DỮ LIỆU MÔ PHỎNG", marked "*" on every chart).
The export button writes the current selection as CSV and XLSX (the data and the findings)
and the charts as one self-contained HTML file (plotly.js inlined: no CDN), by default into
``reports/explore/``.

Batch runs never get widgets: papermill hangs on them (papermill #723). Outside an
interactive front-end — a plain Python process, or a kernel driven by papermill, nbclient
or nbconvert, which execute with ``allow_stdin`` off — ``explore()`` returns a
:class:`StaticView`: a short Vietnamese note and the selection as a table, no widget.
``explore(interactive=True/False)`` overrides the detection.

ipywidgets and plotly are imported only when an explorer is built, so ``import bakhong``
stays light.
"""

from __future__ import annotations

import hashlib
import html
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from .. import config
from ..errors import UnknownUnitError, UsageError
from ..indicators import attains, prefer_real, read_processed, wide
from ..vocab import units as units_mod
from ..vocab.catalog import Catalog, load_catalog
from ..vocab.rules import FINDING_SCHEMA, SEVERITIES, SEVERITY_VI

PHASE_VI = {"before": "Trước triển khai", "after": "Sau triển khai"}
PHASE_SLUG = {"before": "truoc", "after": "sau"}
SYNTHETIC_BANNER = "DỮ LIỆU MÔ PHỎNG"
SORT_OPTIONS = (("Mức độ", "severity"), ("Đơn vị", "unit_name"), ("Chỉ tiêu", "indicator"),
                ("Giai đoạn", "phase"), ("Quy tắc", "rule"), ("Ô nguồn", "source"))


# --- data -------------------------------------------------------------------------------

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

    @property
    def periods(self) -> list[str]:
        return sorted(p for p in self.table["period"].unique().to_list() if p)


def _table(observations: pl.DataFrame, catalog: Catalog) -> pl.DataFrame:
    known = observations.filter(pl.col("unit_code") != "")
    table = wide(known, catalog)
    levels = known.select("unit_code", "unit_level").unique(subset="unit_code", keep="first")
    table = table.join(levels, on="unit_code", how="left")
    before = [attains(v, q, t, tq) for v, q, t, tq in table.select(
        "before", "before_qualifier", "target", "target_qualifier").iter_rows()]
    return table.with_columns(pl.Series("attained_before", before, dtype=pl.Boolean),
                              pl.col("attained").alias("attained_after"))


def _drop_shadowed_findings(findings: pl.DataFrame, observations: pl.DataFrame) -> pl.DataFrame:
    """Synthetic findings of a unit and period that real data covers are not shown."""
    real = observations.filter(~pl.col("synthetic")).select("unit_code", "period").unique()
    if real.is_empty() or findings.is_empty():
        return findings
    shadowed = findings.filter(pl.col("synthetic")).join(real, on=["unit_code", "period"],
                                                         how="semi")
    if shadowed.is_empty():
        return findings
    return findings.join(real.with_columns(pl.lit(True).alias("_real")),
                         on=["unit_code", "period"], how="left").filter(
        ~(pl.col("synthetic") & pl.col("_real").fill_null(False))).drop("_real")


def load_data(root: Path | None = None) -> Data:
    """The explorer's data: ``data/processed`` if ``bakhong ingest`` wrote it, else
    ``data/raw`` read and checked in memory."""
    root = root or config.project_root()
    catalog = load_catalog(config.reference_dir(root))
    processed = config.processed_dir(root)
    if (processed / "observations.parquet").is_file():
        observations, findings = read_processed(processed)
        origin = f"{processed} (bakhong ingest)"
    else:
        from ..checks import check
        from ..read import read_tables, table_files

        raw = config.raw_dir(root)
        files = table_files([raw]) if raw.is_dir() else []
        observations, problems, _ = read_tables(files)
        findings = check(observations, problems)
        observations = prefer_real(observations)
        origin = f"{raw} (đọc trực tiếp; chạy `bakhong ingest` để mở nhanh hơn)"
    if findings.is_empty():
        findings = pl.DataFrame(schema=FINDING_SCHEMA)
    findings = _drop_shadowed_findings(findings, observations)
    return Data(observations, findings, _table(observations, catalog), origin, root, catalog)


# --- selection --------------------------------------------------------------------------

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


# --- the batch (non-interactive) view ------------------------------------------------------

def in_interactive_kernel() -> bool:
    """True inside a Jupyter kernel driven by an interactive front-end (JupyterLab, Notebook,
    VS Code), False in plain Python or a kernel run by papermill/nbclient/nbconvert, which
    execute every cell with ``allow_stdin`` off since nobody can answer."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return False
    return bool(getattr(getattr(shell, "kernel", None), "_allow_stdin", False))


@dataclass
class StaticView:
    """What ``explore()`` returns in a batch run: a note and the selection as a table."""

    data: Data
    selection: Selection | None
    reason: str

    def frame(self) -> pl.DataFrame:
        from .tables import wide_table

        if self.selection is None:
            return wide_table(self.data.table.head(0))
        rows = visible(self.data, self.selection)
        units = chosen_units(rows, self.selection)
        rows = rows.filter(pl.col("unit_code").is_in(units)
                           & (pl.col("indicator") == self.selection.indicator))
        return wide_table(rows.sort("unit_name"), self.selection.phase)

    def _repr_html_(self) -> str:
        from .tables import to_html

        note = (f"<p><b>bakhong.explore()</b>: {html.escape(self.reason)} Các điều khiển tương "
                f"tác không được tạo; mở sổ này trong JupyterLab (<code>make lab</code>) để "
                f"khám phá.</p>")
        if self.selection is None:
            return note
        shown = self.frame()
        banner = ""
        if "MÔ PHỎNG" in shown["Dữ liệu"].to_list():
            banner = f"<p><b>{SYNTHETIC_BANNER}</b> — không phải số liệu thật.</p>"
        caption = f"Kỳ {self.selection.period} — {self.selection.indicator}"
        return note + banner + to_html(shown, caption=caption, max_rows=60)

    def __repr__(self) -> str:
        return f"StaticView({self.reason})"


# --- the interactive explorer ---------------------------------------------------------------

_CSS = """<style>
.bakhong-table {border-collapse: collapse; font-size: 12px; width: 100%;}
.bakhong-table th {position: sticky; top: 0; background: #eceff1; text-align: left;
  padding: 3px 6px;}
.bakhong-table td {border-top: 1px solid #e0e0e0; padding: 3px 6px; vertical-align: top;}
.bakhong-synthetic {background: #fff3cd; border-left: 4px solid #f2a900; padding: 4px 8px;}
</style>"""


@dataclass
class Controls:
    period: Any
    units: Any
    indicator: Any
    phase: Any
    synthetic: Any
    only_indicator: Any
    sort_by: Any
    descending: Any
    export_dir: Any
    export: Any


#: The parts of the explorer's figure, top to bottom.
PARTS = ("units", "before_after", "heatmap")


@dataclass
class Explorer:
    """The widgets, their figures and the current selection; display it in a notebook.

    Every control's change calls :meth:`refresh`, which rebuilds the three charts from the
    selection and sends what changed to the ``FigureWidget`` in one batch update, and
    rewrites the findings table. ``timings`` keeps how long opening and the last change
    took (seconds, in the kernel).
    """

    data: Data
    controls: Controls
    figure: Any        # one go.FigureWidget: the three charts stacked (charts.stack)
    header: Any
    findings_box: Any
    status: Any
    widget: Any
    catalog: Catalog
    timings: dict[str, float] = field(default_factory=dict)
    _quiet: bool = False
    _spec: dict[str, Any] = field(default_factory=dict)
    _parts: dict[str, tuple[int, int]] = field(default_factory=dict)

    # -- state
    @property
    def selection(self) -> Selection:
        c = self.controls
        return Selection(period=c.period.value or "", units=tuple(c.units.value),
                         indicator=c.indicator.value, phase=c.phase.value,
                         synthetic=bool(c.synthetic.value),
                         only_indicator=bool(c.only_indicator.value))

    def rows(self) -> pl.DataFrame:
        """The selection's data: its units × the heatmap's indicators."""
        s = self.selection
        rows = visible(self.data, s)
        return rows.filter(pl.col("unit_code").is_in(chosen_units(rows, s))
                           & pl.col("indicator").is_in(heatmap_indicators(s.indicator,
                                                                          self.catalog)))

    def findings(self) -> pl.DataFrame:
        """The selection's findings, in the table's current order."""
        from .tables import sort_findings

        return sort_findings(selection_findings(self.data, self.selection, self.catalog),
                             self.controls.sort_by.value, bool(self.controls.descending.value))

    def indicator_label(self) -> str:
        code = self.controls.indicator.value
        if code in self.catalog.pillars:
            return f"{code} — {self.catalog.pillars[code]}"
        return f"{code} — {self.catalog[code].short}"

    # -- drawing
    def traces(self, part: str) -> tuple[Any, ...]:
        """The figure widget's traces of one part ("units", "before_after", "heatmap")."""
        start, end = self._parts[part]
        return self.figure.data[start:end]

    def title(self, part: str) -> str:
        """The heading of one part of the figure."""
        return self.figure.layout.annotations[PARTS.index(part)].text

    def build(self) -> dict[str, Any]:
        """The explorer's figure for the current selection, as a plain plotly dict, and
        where each part's traces sit in it."""
        from . import charts

        specs = self.build_figures()
        offsets, n = {}, 0
        for name, spec in zip(PARTS, specs, strict=True):
            offsets[name] = (n, n + len(spec["data"]))
            n += len(spec["data"])
        self._parts = offsets
        spec = charts.stack(specs)
        spec["layout"]["width"] = 1000  # a widget's plot does not size itself to the cell
        return spec

    def build_figures(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """The three charts for the current selection, as plain plotly dicts."""
        from . import charts

        s = self.selection
        rows = visible(self.data, s)
        label = self.indicator_label()
        one = rows.filter(pl.col("indicator") == s.indicator)
        units = chosen_units(rows, s)
        return (
            charts.units_bar_spec(one, label, s.phase, highlight=s.units),
            charts.selection_before_after_spec(one.filter(pl.col("unit_code").is_in(units)), label),
            charts.attainment_heatmap_spec(self.rows(), s.phase),
        )

    def refresh(self, *_: Any) -> None:
        """Redraw everything from the controls (called on every change)."""
        if self._quiet:
            return
        started = time.perf_counter()
        try:
            new = self.build()
            _apply_spec(self.figure, new, self._spec)
            self._spec = new
            self._draw_findings()
            self._draw_header()
        except Exception as exc:  # a callback error would otherwise vanish into the log
            self.status.value = (f"<span style='color:#c62828'>Lỗi khi cập nhật: "
                                 f"{html.escape(f'{type(exc).__name__}: {exc}')}</span>")
            raise
        self.timings["last_change"] = time.perf_counter() - started

    def _draw_findings(self) -> None:
        from .tables import findings_table, to_html

        found = self.findings()
        counts = {s: found.filter(pl.col("severity") == s).height for s in SEVERITIES}
        summary = ", ".join(f"{n} {SEVERITY_VI[s].lower()}" for s, n in counts.items())
        table = findings_table(found, synthetic_column=bool(self.controls.synthetic.value))
        self.findings_box.value = (
            f"{_CSS}<b>Phát hiện của lựa chọn: {found.height}</b> ({summary})"
            f"<div style='max-height:320px; overflow:auto'>"
            f"{to_html(table, empty='Không có phát hiện nào cho lựa chọn này.')}</div>")

    def _draw_header(self) -> None:
        s = self.selection
        rows = visible(self.data, s)
        units = chosen_units(rows, s)
        shown = rows.filter(pl.col("unit_code").is_in(units))
        synthetic = shown.filter(pl.col("synthetic"))["unit_code"].unique().len()
        text = (f"<b>Khám phá kết quả mô hình “3 KHÔNG”</b> — kỳ {html.escape(s.period)}, "
                f"{len(units)} đơn vị được chọn / {rows['unit_code'].n_unique()} đơn vị có số "
                f"liệu. <small>Nguồn: {html.escape(self.data.origin)}</small>")
        if synthetic:
            text += (f"<div class='bakhong-synthetic'><b>{SYNTHETIC_BANNER}</b>: {synthetic} "
                     f"đơn vị được đánh dấu * là số liệu mô phỏng, không phải số liệu thật. "
                     f"Bỏ chọn “Hiện dữ liệu mô phỏng” để ẩn.</div>")
        self.header.value = _CSS + text

    def _on_scope_change(self, *_: Any) -> None:
        """Period or synthetic switch changed: the unit list changes, then redraw once."""
        if self._quiet:
            return
        rows = visible(self.data, self.selection)
        options = unit_options(rows)
        keep = tuple(c for c in self.controls.units.value if c in {v for _, v in options})
        self._quiet = True
        try:
            self.controls.units.options = options
            self.controls.units.value = keep
        finally:
            self._quiet = False
        self.refresh()

    # -- export
    def export(self, folder: str | Path | None = None) -> dict[str, Path]:
        """Write the selection: data and findings as CSV (Vietnamese formatting, ``;``) and
        XLSX (numbers as numbers), the charts as one offline HTML page. Returns the paths."""
        folder = Path(folder or self.controls.export_dir.value
                      or config.reports_dir(self.data.root) / "explore")
        _refuse_raw(folder, self.data.root)
        folder.mkdir(parents=True, exist_ok=True)
        s = self.selection
        units = chosen_units(visible(self.data, s), s)
        stem = f"{s.period}-{s.indicator}-{PHASE_SLUG[s.phase]}-{_units_slug(units)}"
        rows = self.rows().sort(["unit_name", "order"])
        found = self.findings()
        from .tables import findings_table, wide_table

        paths = {
            "csv": folder / f"{stem}.csv", "findings_csv": folder / f"{stem}-phat-hien.csv",
            "xlsx": folder / f"{stem}.xlsx", "html": folder / f"{stem}.html",
        }
        wide_table(rows, s.phase).write_csv(paths["csv"], separator=";", include_bom=True)
        findings_table(found).write_csv(paths["findings_csv"], separator=";", include_bom=True)
        _write_xlsx(paths["xlsx"], rows, findings_table(found), s, self.data.origin)
        _write_html(paths["html"], self.figure, self.header.value, self.findings_box.value)
        return paths

    def _on_export(self, *_: Any) -> None:
        try:
            paths = self.export()
        except Exception as exc:
            self.status.value = (f"<span style='color:#c62828'>Không xuất được: "
                                 f"{html.escape(str(exc))}</span>")
            return
        names = ", ".join(p.name for p in paths.values())
        self.status.value = (f"Đã xuất {len(paths)} tệp vào "
                             f"<code>{html.escape(str(next(iter(paths.values())).parent))}</code>"
                             f": {html.escape(names)}")

    # -- display
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        s = self.selection
        return f"Explorer(period={s.period!r}, units={len(s.units)}, indicator={s.indicator!r})"


def _units_slug(codes: Sequence[str]) -> str:
    """The units of an export in its file names: their codes when few, else their number
    and a digest of the codes — two selections never share a name, the same one keeps it."""
    if len(codes) <= 3:
        return "-".join(sorted(codes))
    digest = hashlib.sha1(",".join(sorted(codes)).encode()).hexdigest()[:8]
    return f"{len(codes)}-don-vi-{digest}"


def _refuse_raw(folder: Path, root: Path) -> None:
    raw = config.raw_dir(root).resolve()
    target = folder.resolve()
    if target == raw or raw in target.parents:
        raise UsageError(f"không ghi vào data/raw (dữ liệu gốc, chỉ đọc): {folder}")


def _apply_spec(widget: Any, new: dict[str, Any], old: dict[str, Any]) -> None:
    """Bring a FigureWidget drawn from ``old`` to ``new`` (same traces), sending only the
    properties that changed, in one batch: plotly validates every property set, so setting
    only what changed keeps a widget change fast."""
    with widget.batch_update():
        for target, trace, before in zip(widget.data, new["data"], old["data"], strict=True):
            changed = {k: v for k, v in trace.items() if k != "type" and before.get(k) != v}
            if changed:
                target.update(changed, overwrite=True)
        layout = {k: v for k, v in new["layout"].items() if old["layout"].get(k) != v}
        if layout:
            widget.layout.update(layout, overwrite=True)


def _write_xlsx(path: Path, rows: pl.DataFrame, findings: pl.DataFrame, selection: Selection,
                origin: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Số liệu"
    headers = ["Mã đơn vị", "Đơn vị", "Kỳ", "Mã chỉ tiêu", "Chỉ tiêu", "Chỉ tiêu giao",
               "Trước triển khai", "Sau triển khai", "Thay đổi (điểm %)", "Đạt chỉ tiêu",
               "Ô nguồn (trước)", "Ô nguồn (sau)", "Dữ liệu"]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    label = {True: "Đạt", False: "Chưa đạt", None: "Không xác định"}
    for r in rows.iter_rows(named=True):
        attained = r[f"attained_{selection.phase}"]
        ws.append([r["unit_code"], r["unit_name"], r["period"], r["indicator"], r["short"],
                   r["target"], r["before"], r["after"],
                   None if r["change"] is None else round(r["change"] * 100, 2),
                   label[attained] if r["target"] is not None else "—",
                   r["before_source"], r["after_source"],
                   SYNTHETIC_BANNER if r["synthetic"] else "thật"])
    for row in ws.iter_rows(min_row=2, min_col=6, max_col=8):
        for cell in row:
            cell.number_format = "0.00%"
    sheet = wb.create_sheet("Phát hiện")
    sheet.append(findings.columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in findings.iter_rows():
        sheet.append(list(values))
    about = wb.create_sheet("Lựa chọn")
    synthetic = bool(rows["synthetic"].any()) if not rows.is_empty() else False
    for key, value in (("Kỳ", selection.period), ("Chỉ tiêu", selection.indicator),
                       ("Giai đoạn", PHASE_VI[selection.phase]),
                       ("Đơn vị", ", ".join(selection.units) or "tất cả"),
                       ("Nguồn số liệu", origin),
                       ("Dữ liệu mô phỏng", f"CÓ — {SYNTHETIC_BANNER}, không phải số liệu thật"
                        if synthetic else "không")):
        about.append([key, value])
    if synthetic:
        wb.properties.keywords = SYNTHETIC_BANNER
    wb.save(path)


def _write_html(path: Path, widget: Any, header: str, findings: str) -> None:
    import plotly.graph_objects as go

    chart = go.Figure(widget).to_html(full_html=False, include_plotlyjs=True,
                                      config={"displaylogo": False})
    page = ("<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>"
            "<title>bakhong — khám phá</title></head><body style='font-family: sans-serif'>"
            f"{header}{chart}{findings}</body></html>")
    path.write_text(page, encoding="utf-8")


def _build(data: Data, selection: Selection, export_dir: Path) -> Explorer:
    config.skip_slow_optional_imports()  # the first open waits on these imports
    import ipywidgets as w
    import plotly.graph_objects as go

    catalog = data.catalog
    started = time.perf_counter()
    wide_desc = {"description_width": "initial"}
    period = w.Dropdown(options=data.periods, value=selection.period, description="Kỳ báo cáo",
                        style=wide_desc, layout=w.Layout(width="180px"))
    rows = visible(data, selection)
    units = w.SelectMultiple(options=unit_options(rows), value=selection.units, rows=8,
                             description="Đơn vị (không chọn = tất cả)",
                             style=wide_desc, layout=w.Layout(width="360px"))
    indicator = w.Dropdown(options=indicator_options(catalog), value=selection.indicator,
                           description="Chỉ tiêu / trụ cột", style=wide_desc,
                           layout=w.Layout(width="480px"))
    phase = w.ToggleButtons(options=[(v, k) for k, v in PHASE_VI.items()],
                            value=selection.phase, description="Giai đoạn", style=wide_desc)
    synthetic = w.Checkbox(value=selection.synthetic, description="Hiện dữ liệu mô phỏng",
                           indent=False)
    only = w.Checkbox(value=selection.only_indicator, indent=False,
                      description="Chỉ phát hiện của chỉ tiêu / trụ cột đang chọn")
    sort_by = w.Dropdown(options=list(SORT_OPTIONS), value="severity",
                         description="Sắp xếp phát hiện theo", style=wide_desc,
                         layout=w.Layout(width="300px"))
    descending = w.ToggleButton(value=False, description="Giảm dần", icon="sort")
    folder = w.Text(value=str(export_dir), description="Thư mục xuất", style=wide_desc,
                    layout=w.Layout(width="420px"))
    export = w.Button(description="Xuất lựa chọn (CSV, XLSX, HTML)", icon="download",
                      layout=w.Layout(width="280px"))
    controls = Controls(period, units, indicator, phase, synthetic, only, sort_by, descending,
                        folder, export)
    header, findings_box, status = w.HTML(), w.HTML(), w.HTML()
    explorer = Explorer(data=data, controls=controls, figure=None, header=header,
                        findings_box=findings_box, status=status, widget=None, catalog=catalog)
    explorer._spec = explorer.build()
    # one widget for the three charts: each FigureWidget ships plotly's 5 MB widget bundle
    # to the browser, so three of them took 25 s to appear instead of 5
    explorer.figure = go.FigureWidget(explorer._spec)
    explorer.widget = w.VBox([
        header,
        w.HBox([w.VBox([period, indicator, phase, w.HBox([synthetic])]), units]),
        explorer.figure,
        w.HBox([sort_by, descending, only]),
        findings_box,
        w.HBox([folder, export]),
        status,
    ])
    for control in (units, indicator, phase, only, sort_by, descending):
        control.observe(explorer.refresh, names="value")
    for control in (period, synthetic):
        control.observe(explorer._on_scope_change, names="value")
    export.on_click(explorer._on_export)
    explorer._draw_findings()
    explorer._draw_header()
    explorer.timings["open"] = time.perf_counter() - started
    return explorer


def explore(period: str | None = None, units: Sequence[str] | str | None = None,
            indicator: str = "K1", phase: str = "after", synthetic: bool = True,
            root: str | Path | None = None, export_dir: str | Path | None = None,
            interactive: bool | None = None) -> Explorer | StaticView:
    """Open the explorer on the project's data (see the module docstring).

    Parameters
    ----------
    period : the reporting period shown first (default: the latest)
    units : unit codes or names selected first (default: none selected = all units)
    indicator : TC01–TC16 or a pillar K1–K3
    phase : "before" or "after"
    synthetic : show synthetic data at first
    root : the project folder (default: ``$BAKHONG_HOME`` or the folder holding data/raw)
    export_dir : where the export button writes (default: ``reports/explore``)
    interactive : force widgets on or off; by default, on only in an interactive front-end

    Returns an :class:`Explorer` (display it), or in a batch run a :class:`StaticView`.

    Examples
    --------
    >>> view = explore(units=["Thường Xuân"], indicator="TC09", interactive=False)
    >>> view.frame()["Sau triển khai"].to_list()
    ['45,75%']
    """
    root = Path(root) if root else None
    catalog = load_catalog()
    if indicator not in catalog:
        raise UsageError(f"Chỉ tiêu không có trong danh mục: {indicator} "
                         f"(chọn TC01–TC16 hoặc K1–K3)")
    if phase not in PHASE_VI:
        raise UsageError(f"Giai đoạn phải là 'before' hoặc 'after', không phải {phase!r}")
    if interactive is None:
        interactive = in_interactive_kernel()
    data = load_data(root)
    if not data.periods:
        reason = (f"Chưa có số liệu nào để khám phá (đã tìm trong {data.origin}). Hãy chép "
                  f"bảng kết quả vào data/raw/tables/.")
        if not interactive:
            return StaticView(data, None, reason)
        raise UsageError(reason)
    if period is None:
        period = data.periods[-1]
    elif str(period) not in data.periods:
        raise UsageError(f"Không có số liệu kỳ {period}; các kỳ có: {', '.join(data.periods)}")
    present = set(visible(data, Selection(str(period), (), indicator, phase, synthetic))
                  ["unit_code"].to_list())
    codes = resolve_units(units, data)
    missing = [c for c in codes if c not in present]
    if missing:
        raise UsageError(f"Kỳ {period} không có số liệu của đơn vị: {', '.join(missing)}")
    selection = Selection(period=str(period), units=codes,
                          indicator=indicator, phase=phase, synthetic=synthetic)
    if not interactive:
        return StaticView(data, selection,
                          "đang chạy không tương tác (chạy hàng loạt, ví dụ papermill).")
    out = Path(export_dir) if export_dir else config.reports_dir(data.root) / "explore"
    return _build(data, selection, out)


# --- the explorer's kernel ------------------------------------------------------------------

KERNEL_NAME = "bakhong"
KERNEL_DISPLAY_NAME = "bakhong (Python 3)"
_PRELOAD = "from bakhong.views.explore import preload as _p; _p(); del _p"


def preload() -> None:
    """Import what the first ``explore()`` in a kernel waits on, and warm plotly.

    In a new kernel, ``import bakhong; bakhong.explore()`` spends about 0.8 s of its 1.1 s
    importing polars, ipywidgets and plotly's FigureWidget, and reading plotly's validators
    — libraries' own start-up, not the explorer's work. The kernel the project installs
    (:func:`install_kernel`, used by ``explore.ipynb``) runs this while it starts, so the
    wait overlaps JupyterLab opening the notebook instead of following the click on "Run".
    No widget is created and no data is read.
    """
    config.skip_slow_optional_imports()
    import ipywidgets  # noqa: F401
    import plotly.graph_objects as go
    from plotly.graph_objs import _figurewidget  # noqa: F401

    from . import charts, tables  # noqa: F401

    # plotly loads and checks each trace type's validators on first use
    go.Figure([go.Bar(x=["a"], y=[1]), go.Scatter(x=["a"], y=[1]),
               go.Heatmap(z=[[1]], x=["a"], y=["b"])],
              layout={"template": "none", "shapes": [{"type": "line"}],
                      "annotations": [{"text": ""}], "xaxis2": {}, "yaxis2": {}})


def install_kernel(prefix: str | Path | None = None) -> Path:
    """Install the "bakhong" Jupyter kernel into ``prefix`` (default: this environment):
    this Python with :func:`preload` run at start-up. Returns the kernel's folder."""
    import json
    import sys

    folder = Path(prefix or sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                     f"--IPKernelApp.exec_lines={_PRELOAD}"],
            "display_name": KERNEL_DISPLAY_NAME, "language": "python",
            "metadata": {"debugger": True}}
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
    return folder
