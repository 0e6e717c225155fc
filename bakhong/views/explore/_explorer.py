"""The interactive explorer: widgets driving three linked charts in one plotly
``FigureWidget``, the findings table, the export button; :func:`explore` builds it (or a
:class:`StaticView` in batch).
"""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ... import config
from ...contract import SYNTHETIC_TITLE
from ...errors import UsageError
from ...vocab.catalog import Catalog, load_catalog
from ...vocab.rules import SEVERITIES, SEVERITY_VI
from ...vocab.units import parent_code
from ..sheets import csv_safe
from ._data import (
    PHASE_LABEL,
    PHASE_SLUG,
    SORT_OPTIONS,
    Data,
    Selection,
    chosen_units,
    heatmap_indicators,
    indicator_options,
    load_data,
    resolve_units,
    selection_findings,
    unit_options,
    visible,
)
from ._export import _refuse_raw, _units_slug, _write_html, _write_xlsx
from ._static import StaticView, in_interactive_kernel

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
    #: an ipywidgets Output under the charts: the progress reports' series, when any
    progress_box: Any = None
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
        from ..tables import sort_findings

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
        from .. import charts

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
        from .. import charts

        s = self.selection
        rows = visible(self.data, s)
        label = self.indicator_label()
        one = rows.filter(pl.col("indicator") == s.indicator)
        units = chosen_units(rows, s)
        from ... import indicators

        doubted = {u for u, i in indicators.doubted_cells(
            self.data.findings.filter(pl.col("period") == s.period)) if i == s.indicator}
        return (
            charts.units_bar_spec(one, label, s.phase, highlight=s.units, doubted=doubted),
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
            self._draw_progress()
        except Exception as exc:  # a callback error would otherwise vanish into the log
            self.status.value = (f"<span style='color:#c62828'>Lỗi khi cập nhật: "
                                 f"{html.escape(f'{type(exc).__name__}: {exc}')}</span>")
            raise
        self.timings["last_change"] = time.perf_counter() - started

    def progress_figure(self) -> Any | None:
        """The progress reports' series (line per indicator, targets, the plan's window) of
        the first selected unit that sent any; None when none did."""
        from ... import indicators
        from .. import charts

        s = self.selection
        dated = self.data.observations.filter((pl.col("period") == s.period)
                                              & pl.col("as_of").is_not_null())
        codes = list(s.units) or dated["unit_code"].unique().sort().to_list()
        for code in codes:
            series = indicators.progress_series(self.data.observations, code, s.period)
            if series.is_empty():
                continue
            unit = self.data.observations.filter(pl.col("unit_code") == code)["unit_name"][0]
            window = next((p["window"] for p in indicators.plans_for(
                self.data.plans, code, parent_code(code), s.period) if p.get("window")), None)
            return charts.progress(series, window, f"Tiến độ theo báo cáo định kỳ — {unit}")
        return None

    def _draw_progress(self) -> None:
        if self.progress_box is None:
            return
        figure = self.progress_figure()
        self.progress_box.clear_output()
        if figure is not None:
            with self.progress_box:
                figure.show(config={"displayModeBar": False})

    def _draw_findings(self) -> None:
        from ..tables import findings_table, to_html

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
            text += (f"<div class='bakhong-synthetic'><b>{SYNTHETIC_TITLE}</b>: {synthetic} "
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
        from ..tables import findings_table, wide_table

        paths = {
            "csv": folder / f"{stem}.csv", "findings_csv": folder / f"{stem}-phat-hien.csv",
            "xlsx": folder / f"{stem}.xlsx", "html": folder / f"{stem}.html",
        }
        csv_safe(wide_table(rows, s.phase)).write_csv(paths["csv"], separator=";",
                                                      include_bom=True)
        csv_safe(findings_table(found)).write_csv(paths["findings_csv"], separator=";",
                                                  include_bom=True)
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
    phase = w.ToggleButtons(options=[(v, k) for k, v in PHASE_LABEL.items()],
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
    if "as_of" in data.observations.columns and data.observations["as_of"].is_not_null().any():
        explorer.progress_box = w.Output()  # only when some unit sent progress reports
    explorer.widget = w.VBox([
        header,
        w.HBox([w.VBox([period, indicator, phase, w.HBox([synthetic])]), units]),
        explorer.figure,
        *([explorer.progress_box] if explorer.progress_box is not None else []),
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
    explorer._draw_progress()
    explorer.timings["open"] = time.perf_counter() - started
    return explorer


def explore(period: str | None = None, units: Sequence[str] | str | None = None,
            indicator: str = "K1", phase: str = "after", synthetic: bool | None = None,
            root: str | Path | None = None, export_dir: str | Path | None = None,
            interactive: bool | None = None) -> Explorer | StaticView:
    """Open the explorer on the project's data (see the module docstring).

    Parameters
    ----------
    period : the reporting period shown first (default: the latest)
    units : unit codes or names selected first (default: none selected = all units)
    indicator : TC01–TC16 or a pillar K1–K3
    phase : "before" or "after"
    synthetic : show synthetic data at first; by default only when the period has no
        real data (a real unit is compared with real units unless an analyst asks)
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
    if phase not in PHASE_LABEL:
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
    if synthetic is None:
        synthetic = data.table.filter((pl.col("period") == str(period))
                                      & ~pl.col("synthetic")).is_empty()
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
