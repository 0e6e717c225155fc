"""Plotly figures from the frames of :mod:`bakhong.indicators`, labelled in Vietnamese. No I/O.

Every label is Vietnamese, numbers use the Vietnamese separators (``separators=",."``: 45,75;
72.599), percentages are plotted as 0–100. Unit names and other source text reach plotly as
data, never as markup: :func:`plain` escapes ``<`` and ``>`` so that plotly's pseudo-HTML
labels show them as text.

Two families: the reports' figures (``before_after``, ``standing``, ``heatmap``,
``attainment_ranking``, ``province_before_after``), and the explorer's ``*_spec`` figures, which
have a fixed set of traces whatever the data so that a ``FigureWidget`` can be updated in place
(``units_bar``, ``selection_before_after``, ``attainment_heatmap``, ``stack``). A figure
showing any synthetic row says "DỮ LIỆU MÔ PHỎNG" in its title.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

import plotly.graph_objects as go
import polars as pl

from ..contract import SYNTHETIC_TITLE
from ..indicators import attained_text, attains, value_text
from ..vocab.catalog import load_catalog
from ..vocab.parse import format_date, format_percent

FONT = "'Segoe UI', 'Noto Sans', 'Helvetica Neue', Arial, sans-serif"
COLOURS = {"before": "#9aa5b1", "after": "#1f5fa8", "target": "#c0392b", "other": "#c9d1da",
           "unit": "#d35400", "ok": "#2e8b57", "missed": "#d9822b", "unknown": "#b8c2cc"}
GROUP_TITLES = {"government": "Đối với chính quyền",
                "people": "Đối với người dân, tổ chức, doanh nghiệp",
                "pillar": "Ba nội dung của mô hình"}
CONFIG = {"displayModeBar": False, "responsive": True}


def plain(text: Any) -> str:
    """Source text for a plotly label: markup characters escaped, so ``<script>`` shows."""
    return html.escape(str(text if text is not None else ""), quote=False)


def _wrap(text: str, width: int = 28) -> str:
    words, lines, line = plain(text).split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "<br>".join(lines)


def _axis_top(values: Iterable[float | None]) -> float:
    """The end of a 0–100% axis, moved out to show a figure above 100% rather than clip it."""
    seen = [v for v in values if v is not None and not math.isnan(v)]
    return max([104.0] + [v * 1.04 for v in seen])


def _short(x: float | None) -> float | None:
    """A percentage rounded for a chart's data (its hover text says the exact figure)."""
    return None if x is None else round(x, 2)


def _pct(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x * 100


def _house(title: str, height: int, synthetic: bool = False) -> dict[str, Any]:
    """The house layout as a dict; ``synthetic``: the figure shows made-up units ("*"), and
    says so. The empty "none" template: every colour is set here (plotly's default template
    weighs 10 KB in every figure and its validation most of a report's chart time)."""
    return {
        "template": "none",
        "title": {"text": _title(plain(title), synthetic), "x": 0, "xanchor": "left",
                  "font": {"size": 16}},
        "separators": ",.", "font": {"family": FONT, "size": 13, "color": "#1f2933"},
        "height": height, "margin": {"l": 10, "r": 16, "t": 56, "b": 40},
        "plot_bgcolor": "white", "paper_bgcolor": "white",
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "title": None},
        "hoverlabel": {"font": {"family": FONT}, "align": "left"},
    }


def _layout(fig: go.Figure, title: str, height: int, synthetic: bool = False) -> go.Figure:
    """The house layout (:func:`_house`) applied to a figure."""
    fig.update_layout(_house(title, height, synthetic))
    return fig


def before_after(table: pl.DataFrame, group: str, title: str | None = None) -> go.Figure:
    """:func:`before_after_spec` as a figure."""
    return go.Figure(before_after_spec(table, group, title))


def before_after_spec(table: pl.DataFrame, group: str,
                      title: str | None = None) -> dict[str, Any]:
    """A dumbbell chart of one group's criteria for one unit: before (grey) → after (blue),
    the target as a red tick. ``table`` is :func:`indicators.wide` for one unit and period.
    A plain figure dict (the batch draws hundreds: plotly's objects would cost more than the
    rest of a report); :func:`before_after` makes it a figure."""
    rows = table.filter(pl.col("group") == group).sort("order", descending=True)
    labels = [_wrap(r["short"]) for r in rows.iter_rows(named=True)]
    data: list[dict[str, Any]] = []
    for r, label in zip(rows.iter_rows(named=True), labels, strict=True):
        xs = [_pct(r["before"]), _pct(r["after"])]
        if None not in xs:
            data.append({"type": "scatter", "x": xs, "y": [label, label], "mode": "lines",
                         "showlegend": False, "hoverinfo": "skip",
                         "line": {"color": COLOURS["other"], "width": 4}})
    hover = "%{y}<br>%{customdata}<extra></extra>"
    for phase, name, colour in (("before", "Trước triển khai", COLOURS["before"]),
                                ("after", "Sau triển khai", COLOURS["after"])):
        text = [f"{name}: {plain(value_text(r[phase], r[f'{phase}_qualifier'], r[f'{phase}_raw']))}"
                for r in rows.iter_rows(named=True)]
        data.append({"type": "scatter", "x": [_pct(v) for v in rows[phase].to_list()],
                     "y": labels, "mode": "markers", "name": name, "customdata": text,
                     "hovertemplate": hover,
                     "marker": {"color": colour, "size": 13, "symbol": "circle",
                                "line": {"color": "white", "width": 1}}})
    targets = [f"Chỉ tiêu: {format_percent(t, qualifier=q or '≥')} — {attained_text(a, t)}"
               if t is not None else "Không có chỉ tiêu"
               for t, q, a in rows.select("target", "target_qualifier", "attained").iter_rows()]
    data.append({"type": "scatter", "x": [_pct(v) for v in rows["target"].to_list()],
                 "y": labels, "mode": "markers", "name": "Chỉ tiêu giao", "customdata": targets,
                 "hovertemplate": hover,
                 "marker": {"color": COLOURS["target"], "symbol": "line-ns", "size": 22,
                            "line": {"color": COLOURS["target"], "width": 3}}})
    top = _axis_top([_pct(v) for phase in ("before", "after", "target")
                     for v in rows[phase].to_list()])
    notes = []
    if top > 104:  # never clip a figure: it is shown, and said to be impossible
        notes.append("Có số liệu vượt 100% — không thể xảy ra, xem mục “Những vấn đề trong số "
                     "liệu”.")
    if rows["before"].null_count() == rows.height and rows.height > 0:
        notes.append("Đơn vị không báo cáo số liệu trước triển khai.")
    layout = _house(title or GROUP_TITLES.get(group, group), 60 + 40 * rows.height)
    layout["margin"].update(t=36, b=30)
    # notes are said beneath the chart, in the page (they wrap on a phone; an annotation
    # would run over the axis or off the screen); the colours are said above it
    layout.update(
        meta={"notes": notes}, showlegend=False,
        xaxis={"range": [-2, top], "ticksuffix": "%", "gridcolor": "#e4e7eb",
               "zeroline": False, "fixedrange": True},
        yaxis={"fixedrange": True, "automargin": True, "showgrid": False})
    return {"data": data, "layout": layout}


_SERIES_COLOURS = ("#1f5fa8", "#2f9e44", "#e67700", "#862e9c", "#0b7285", "#c2255c")


def progress(series: pl.DataFrame, window: dict | None = None,
             title: str = "Tiến độ theo các báo cáo định kỳ") -> go.Figure:
    """A unit's progress reports: one line per indicator over the dates they count to, its
    target dashed in the same colour, the plan's rollout window shaded.
    ``series`` is :func:`indicators.progress_series`."""
    catalog = load_catalog()
    fig = go.Figure()
    codes = list(dict.fromkeys(series["indicator"].to_list()))
    dates = sorted(set(series["as_of"].to_list()))
    for n, code in enumerate(codes):
        rows = series.filter(pl.col("indicator") == code)
        colour = _SERIES_COLOURS[n % len(_SERIES_COLOURS)]
        name = f"{code} {catalog[code].short}" if code in catalog else code
        text = [f"{plain(name)}<br>Tính đến {format_date(d)}: "
                f"{format_percent(v, qualifier=q or '=')}"
                for d, v, q in rows.select("as_of", "value", "qualifier").iter_rows()]
        fig.add_trace(go.Scatter(x=rows["as_of"].to_list(),
                                 y=[_pct(v) for v in rows["value"].to_list()],
                                 mode="lines+markers", name=plain(name), customdata=text,
                                 hovertemplate="%{customdata}<extra></extra>",
                                 line={"color": colour, "width": 3}))
        target = next((t for t in rows["target"].to_list() if t is not None), None)
        if target is not None and dates:
            fig.add_trace(go.Scatter(
                x=[dates[0], dates[-1]], y=[_pct(target)] * 2, mode="lines",
                name=f"Chỉ tiêu {code}: {format_percent(target, qualifier='≥')}",
                line={"color": colour, "dash": "dash", "width": 1.5}, hoverinfo="name"))
    if window and window.get("end"):
        fig.add_vrect(x0=window.get("start") or (dates[0] if dates else window["end"]),
                      x1=window["end"], fillcolor="#e7f5ff", opacity=0.5, line_width=0,
                      layer="below", annotation_text="Thời gian triển khai theo kế hoạch",
                      annotation_position="top left")
    fig.update_yaxes(range=[0, _axis_top(_pct(v) for v in series["value"].to_list())],
                     ticksuffix="%", gridcolor="#e4e7eb", fixedrange=True)
    fig.update_xaxes(type="date", tickformat="%d/%m/%Y", fixedrange=True)
    return _layout(fig, title, 420)


def standing(ranks: pl.DataFrame, unit_code: str, codes: list[str] | None = None,
             title: str = "Vị trí của đơn vị so với các huyện, thị xã, thành phố") -> go.Figure:
    """:func:`standing_spec` as a figure."""
    return go.Figure(standing_spec(ranks, unit_code, codes, title))


def standing_spec(ranks: pl.DataFrame, unit_code: str, codes: list[str] | None = None,
                  title: str = "Vị trí của đơn vị so với các huyện, thị xã, thành phố"
                  ) -> dict[str, Any]:
    """Every unit's value after rollout per criterion (grey dots) with one unit highlighted,
    as a figure dict. ``ranks`` is :func:`indicators.ranking` for one period."""
    catalog = load_catalog()
    codes = codes or [i.code for i in catalog.criteria]
    codes = [c for c in codes if c in set(ranks["indicator"].to_list())]
    labels = {c: _wrap(f"{c[2:] if c.startswith('TC') else c}. {catalog[c].short}", 34)
              for c in codes}
    order = list(reversed(codes))
    # criteria as positions on the y axis, named by its ticks: 166 communes × 16 criteria
    # would otherwise repeat each label in every point (0,3 MB of a commune report)
    row = {c: i for i, c in enumerate(order)}
    others = ranks.filter((pl.col("unit_code") != unit_code) & pl.col("indicator").is_in(codes))
    mine = ranks.filter((pl.col("unit_code") == unit_code) & pl.col("indicator").is_in(codes))
    name = mine["unit_name"][0] if mine.height else ""
    data = [
        {"type": "scatter", "x": [_short(_pct(v)) for v in others["value"].to_list()],
         "y": [row[c] for c in others["indicator"].to_list()], "mode": "markers",
         "name": "Các đơn vị khác",
         "marker": {"color": COLOURS["other"], "size": 9, "opacity": 0.9},
         "customdata": [f"{plain(n)}: {value_text(v, q)}" for n, v, q in
                        others.select("unit_name", "value", "qualifier").iter_rows()],
         "hovertemplate": "%{customdata}<extra></extra>"},
        {"type": "scatter", "x": [_short(_pct(v)) for v in mine["value"].to_list()],
         "y": [row[c] for c in mine["indicator"].to_list()], "mode": "markers",
         "name": plain(name),
         "marker": {"color": COLOURS["unit"], "size": 14, "symbol": "diamond",
                    "line": {"color": "white", "width": 1}},
         "customdata": [f"{plain(name)}: {value_text(v, q)} — hạng {r}/{n}" for v, q, r, n in
                        mine.select("value", "qualifier", "rank", "units").iter_rows()],
         "hovertemplate": "%{customdata}<extra></extra>"},
    ]
    layout = _house(title, 90 + 40 * len(codes))
    layout.update(
        xaxis={"range": [-2, _axis_top(_pct(v) for v in ranks["value"].to_list())],
               "ticksuffix": "%", "gridcolor": "#e4e7eb", "fixedrange": True},
        yaxis={"tickmode": "array", "tickvals": list(range(len(order))),
               "ticktext": [labels[c] for c in order], "range": [-0.6, len(order) - 0.4],
               "fixedrange": True, "automargin": True, "zeroline": False, "showgrid": False})
    return {"data": data, "layout": layout}


#: how a heatmap cell marks a figure a finding doubts, and the note that says it
DOUBT_MARK = "?"
DOUBT_NOTE = ("Dấu “?” sau số liệu: số liệu có lỗi hoặc cần xem lại, chưa tin cậy (xem báo "
              "cáo của đơn vị).")


def heatmap(table: pl.DataFrame, title: str = "Mức đạt chỉ tiêu sau triển khai",
            doubted: set[tuple[str, str]] = frozenset()) -> go.Figure:
    """Units × criteria: green attained, orange not attained, grey cannot be told or missing;
    the value after rollout written in each cell, followed by "?" when a finding doubts it
    (``doubted``: (unit, indicator), :func:`indicators.doubted_cells`), the hover saying so.
    ``table`` is :func:`indicators.wide`."""
    catalog = load_catalog()
    codes = [i.code for i in catalog.criteria]
    crit = table.filter(pl.col("indicator").is_in(codes))
    units = crit.select("unit_code", "unit_name", pl.col("synthetic").fill_null(False)
                        if "synthetic" in crit.columns else pl.lit(False).alias("synthetic")
                        ).unique(subset="unit_code", maintain_order=True).sort("unit_code")
    index = {(r["unit_code"], r["indicator"]): r for r in crit.iter_rows(named=True)}
    z, text, hover = [], [], []
    for u in units.iter_rows(named=True):
        zr, tr, hr = [], [], []
        for c in codes:
            r = index.get((u["unit_code"], c))
            a = r["attained"] if r else None
            zr.append({True: 2, False: 0}.get(a, 1) if r and r["after"] is not None else None)
            shown = value_text(r["after"], r["after_qualifier"], r["after_raw"]) if r else "—"
            doubt = (u["unit_code"], c) in doubted and r is not None
            tr.append(shown.replace("%", "") + (DOUBT_MARK if doubt else ""))
            hr.append(f"{plain(u['unit_name'])} — {c}. {catalog[c].short}<br>Sau triển khai: "
                      f"{plain(shown)}<br>Chỉ tiêu: {value_text(r['target']) if r else '—'}"
                      f" — {attained_text(a, r['target']) if r else 'không có số liệu'}"
                      + (" — số liệu chưa tin cậy" if doubt else ""))
        z.append(zr)
        text.append(tr)
        hover.append(hr)
    y = unit_labels([plain(n) for n in units["unit_name"].to_list()],
                    units["unit_code"].to_list(), units["synthetic"].to_list())
    fig = go.Figure(go.Heatmap(
        z=z, x=[c[2:] for c in codes], y=y, text=text, texttemplate="%{text}",
        textfont={"size": 10}, customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        zmin=0, zmax=2, showscale=False, xgap=2, ygap=2,
        colorscale=[[0, COLOURS["missed"]], [0.33, COLOURS["missed"]],
                    [0.34, COLOURS["unknown"]], [0.66, COLOURS["unknown"]],
                    [0.67, COLOURS["ok"]], [1, COLOURS["ok"]]]))
    fig.update_xaxes(side="top", title="Tiêu chí (số thứ tự trong mẫu báo cáo)", fixedrange=True,
                     type="category")
    fig.update_yaxes(autorange="reversed", fixedrange=True, automargin=True, type="category")
    fig = _layout(fig, title, 150 + 26 * len(y), synthetic=any(units["synthetic"].to_list()))
    fig.update_layout(margin={"t": 110},
                      meta={"notes": [DOUBT_NOTE] if any(DOUBT_MARK in t for row in text
                                                         for t in row) else []})
    return fig


def attainment_ranking(counts: pl.DataFrame,
                       title: str = "Số tiêu chí đạt chỉ tiêu, theo đơn vị") -> go.Figure:
    """Horizontal stacked bars: criteria attained / not attained / cannot be told per unit.
    ``counts`` is :func:`indicators.attainment_counts`."""
    data = counts.sort(["attained", "unit_name"], descending=[False, True])
    synthetic = data["synthetic"].to_list() if "synthetic" in data.columns else \
        [False] * data.height
    # a made-up unit carries "*" on the axis, and the title says DỮ LIỆU MÔ PHỎNG
    y = unit_labels([plain(n) for n in data["unit_name"].to_list()],
                    data["unit_code"].to_list(), synthetic)
    fig = go.Figure()
    for column, name, colour in (("attained", "Đạt", COLOURS["ok"]),
                                 ("missed", "Chưa đạt", COLOURS["missed"]),
                                 ("unknown", "Không xác định / thiếu số liệu",
                                  COLOURS["unknown"])):
        fig.add_trace(go.Bar(x=data[column].to_list(), y=y, orientation="h", name=name,
                             marker={"color": colour},
                             hovertemplate="%{y}: %{x} tiêu chí " + name.lower()
                             + "<extra></extra>"))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title="Số tiêu chí", dtick=2, fixedrange=True, gridcolor="#e4e7eb")
    fig.update_yaxes(fixedrange=True, automargin=True, type="category")
    return _layout(fig, title, 140 + 24 * len(y), synthetic=any(synthetic))


def province_before_after(table: pl.DataFrame, group: str, title: str | None = None
                          ) -> go.Figure:
    """The province's dumbbell chart, from :func:`indicators.province_wide`."""
    catalog = load_catalog()
    rows = table.filter(pl.col("group") == group).with_columns(
        pl.col("indicator").replace_strict({c: n for n, c in enumerate(catalog.codes)},
                                           default=99).alias("order"),
        pl.lit(None, dtype=pl.String).alias("before_qualifier"),
        pl.lit(None, dtype=pl.String).alias("after_qualifier"),
        pl.lit(None, dtype=pl.String).alias("before_raw"),
        pl.lit(None, dtype=pl.String).alias("after_raw"),
        pl.lit("≥").alias("target_qualifier"),
    )
    rows = rows.with_columns(pl.Series(
        "attained", [attains(a, "=", t) for a, t in rows.select("after", "target").iter_rows()],
        dtype=pl.Boolean))
    return before_after(rows, group, title)


# --- the explorer's figures: fixed traces, updated in place ------------------------------

SYNTHETIC_NOTE = SYNTHETIC_TITLE
PHASE_LABEL = {"before": "Trước triển khai", "after": "Sau triển khai"}
ATTAINMENT_LABEL = {True: "Đạt", False: "Chưa đạt", None: "Không xác định"}
COLORS = {"attained": "#2e7d32", "missed": "#c62828", "unknown": "#f2a900",
          "before": "#90a4ae", "after": "#1565c0", "target": "#212121", "muted": "#cfd8dc"}
_FONT = "Be Vietnam Pro, Roboto, Arial, sans-serif"


def base_layout(title: str, height: int = 420) -> dict[str, Any]:
    """Layout shared by bakhong's figures: Vietnamese separators, no CDN fonts.

    The empty "none" template: plotly's default template costs a third of a second to
    validate per figure, and every colour here is set explicitly anyway.
    """
    return {
        "template": "none",
        "title": {"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        "separators": ",.", "height": height, "margin": {"l": 60, "r": 20, "t": 60, "b": 90},
        "font": {"family": _FONT, "size": 12}, "plot_bgcolor": "#fafafa",
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    }


def unit_labels(names: Sequence[str], codes: Sequence[str],
                synthetic: Sequence[bool]) -> list[str]:
    """Unit names for an axis: "*" after synthetic ones; the code after a repeated name."""
    seen: dict[str, int] = {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
    return [(f"{name} ({code})" if seen[name] > 1 else name) + ("*" if synth else "")
            for name, code, synth in zip(names, codes, synthetic, strict=True)]


def _title(text: str, synthetic: bool) -> str:
    return f"{text}<br><sup>* {SYNTHETIC_NOTE} — không phải số liệu thật</sup>" if synthetic \
        else text


def _attainment_color(attained: bool | None, has_target: bool) -> str:
    if not has_target:
        return COLORS["after"]
    return {True: COLORS["attained"], False: COLORS["missed"]}.get(attained, COLORS["unknown"])


def units_bar(rows: pl.DataFrame, indicator_label: str, phase: str = "after",
              highlight: Iterable[str] = ()) -> go.Figure:
    """Units compared on one indicator at one phase (see :func:`units_bar_spec`)."""
    return go.Figure(units_bar_spec(rows, indicator_label, phase, highlight))


def units_bar_spec(rows: pl.DataFrame, indicator_label: str, phase: str = "after",
                   highlight: Iterable[str] = (), doubted: Iterable[str] = ()
                   ) -> dict[str, Any]:
    """Units compared on one indicator at one phase, best first, with the target line.

    ``rows``: :func:`bakhong.indicators.wide` rows of one indicator and period, with an
    ``attained_<phase>`` column. Bars are coloured by attainment; units outside
    ``highlight`` (unit codes; empty = all highlighted) are faded; the units in ``doubted``
    (a finding doubts the figure) have a hatched bar, "?" after the figure and the doubt
    said in the hover.
    """
    value, qualifier = phase, f"{phase}_qualifier"
    rows = rows.filter(pl.col(value).is_not_null()).sort(value, descending=True,
                                                         nulls_last=True)
    chosen = set(highlight)
    codes = rows["unit_code"].to_list()
    labels = unit_labels(rows["unit_name"].to_list(), codes, rows["synthetic"].to_list())
    values = rows[value].to_list()
    targets = rows["target"].to_list()
    attained = rows[f"attained_{phase}"].to_list()
    doubt = [c in set(doubted) for c in codes]
    texts = [format_percent(v, 1, q or "=") + (f" {DOUBT_MARK}" if d else "") for v, q, d in
             zip(values, rows[qualifier].to_list(), doubt, strict=True)]
    colors = [_attainment_color(a, t is not None) for a, t in
              zip(attained, targets, strict=True)]
    opacity = [1.0 if not chosen or c in chosen else 0.35 for c in codes]
    hover = [f"{lab}<br>{PHASE_LABEL[phase]}: {txt}<br>Chỉ tiêu giao: "
             f"{format_percent(t, 1)}<br>{ATTAINMENT_LABEL[a] if t is not None else ''}"
             + (" — số liệu chưa tin cậy" if d else "")
             for lab, txt, t, a, d in zip(labels, texts, targets, attained, doubt, strict=True)]
    layout = base_layout(_title(
        f"{indicator_label} — {PHASE_LABEL[phase].lower()}, so sánh các đơn vị",
        any(rows["synthetic"].to_list())))
    layout["yaxis"] = {"tickformat": ".0%", "range": [0, 1.12], "title": {"text": "Tỉ lệ"}}
    layout["xaxis"] = {"tickangle": -40, "automargin": True}
    data = [
        {"type": "bar", "x": labels, "y": values, "text": texts, "textposition": "outside",
         "cliponaxis": False, "marker": {"color": colors, "opacity": opacity, "pattern": {
             "shape": ["/" if d else "" for d in doubt], "fgcolor": "#ffffff"}},
         "hovertext": hover, "hoverinfo": "text", "name": PHASE_LABEL[phase],
         "showlegend": False},
        _target_line(labels, targets),
    ]
    return {"data": data, "layout": layout}


def _target_line(labels: list[str], targets: list[float | None]) -> dict[str, Any]:
    return {"type": "scatter", "x": labels, "y": targets, "mode": "lines",
            "line": {"color": COLORS["target"], "dash": "dash", "shape": "hvh"},
            "name": "Chỉ tiêu giao", "hovertemplate": "Chỉ tiêu giao: %{y:.0%}<extra></extra>"}


def selection_before_after(rows: pl.DataFrame, indicator_label: str) -> go.Figure:
    """Before and after rollout, side by side, for the selected units on one indicator."""
    return go.Figure(selection_before_after_spec(rows, indicator_label))


def selection_before_after_spec(rows: pl.DataFrame, indicator_label: str) -> dict[str, Any]:
    """The figure of :func:`before_after` as a plain dict (traces: before, after, target)."""
    rows = rows.sort("unit_name")
    labels = unit_labels(rows["unit_name"].to_list(), rows["unit_code"].to_list(),
                         rows["synthetic"].to_list())
    layout = base_layout(_title(f"{indicator_label} — trước và sau triển khai",
                                any(rows["synthetic"].to_list())))
    layout.update(barmode="group", xaxis={"tickangle": -40},
                  yaxis={"tickformat": ".0%", "range": [0, 1.12], "title": {"text": "Tỉ lệ"}})
    data = []
    for phase in ("before", "after"):
        values = rows[phase].to_list()
        texts = [format_percent(v, 1, q or "=") for v, q in
                 zip(values, rows[f"{phase}_qualifier"].to_list(), strict=True)]
        data.append({"type": "bar", "x": labels, "y": values, "name": PHASE_LABEL[phase],
                     "text": texts, "textposition": "outside", "cliponaxis": False,
                     "marker": {"color": COLORS[phase]}, "hoverinfo": "text",
                     "hovertext": [f"{lab}<br>{PHASE_LABEL[phase]}: {t}"
                                   for lab, t in zip(labels, texts, strict=True)]})
    data.append(_target_line(labels, rows["target"].to_list()))
    return {"data": data, "layout": layout}


def attainment_heatmap(rows: pl.DataFrame, phase: str = "after") -> go.Figure:
    """Units (rows) × indicators (columns): attained, missed, unknown; value in each cell."""
    return go.Figure(attainment_heatmap_spec(rows, phase))


def attainment_heatmap_spec(rows: pl.DataFrame, phase: str = "after") -> dict[str, Any]:
    """The figure of :func:`attainment_heatmap` as a plain dict (one heatmap trace).

    ``rows``: :func:`bakhong.indicators.wide` rows with ``attained_<phase>``.
    Cells without a value or a target stay blank.
    """
    units = rows.select("unit_code", "unit_name", "synthetic").unique(
        subset="unit_code", keep="first").sort("unit_name", descending=True)
    codes = rows.select("indicator", "order").unique().sort("order")["indicator"].to_list()
    labels = unit_labels(units["unit_name"].to_list(), units["unit_code"].to_list(),
                         units["synthetic"].to_list())
    cells = {(r["unit_code"], r["indicator"]): r for r in rows.iter_rows(named=True)}
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    hover: list[list[str]] = []
    for code, label in zip(units["unit_code"].to_list(), labels, strict=True):
        z_row, t_row, h_row = [], [], []
        for indicator in codes:
            cell = cells.get((code, indicator))
            value = cell[phase] if cell else None
            target = cell["target"] if cell else None
            attained = cell[f"attained_{phase}"] if cell else None
            shown = format_percent(value, 1, cell[f"{phase}_qualifier"] or "=") if cell else "—"
            if value is None or target is None:
                z_row.append(None)
            else:
                z_row.append({True: 1.0, False: 0.0}.get(attained, 0.5))
            t_row.append(shown if value is not None else "")
            state = ATTAINMENT_LABEL[attained] if target is not None and value is not None \
                else "không có chỉ tiêu hoặc số liệu"
            h_row.append(f"{label} — {indicator}<br>{PHASE_LABEL[phase]}: {shown}<br>"
                         f"Chỉ tiêu giao: {format_percent(target, 1)}<br>{state}")
        z.append(z_row)
        text.append(t_row)
        hover.append(h_row)
    layout = base_layout(_title(f"Mức đạt chỉ tiêu — {PHASE_LABEL[phase].lower()}",
                                any(units["synthetic"].to_list())),
                         height=max(320, 120 + 26 * len(labels)))
    layout["margin"] = {"l": 60, "r": 20, "t": 90, "b": 20}
    layout["xaxis"] = {"side": "top", "tickangle": 0}
    layout["yaxis"] = {"automargin": True}
    m, u, a = COLORS["missed"], COLORS["unknown"], COLORS["attained"]
    heatmap = {
        "type": "heatmap", "x": codes, "y": labels, "z": z, "text": text,
        "texttemplate": "%{text}", "hovertext": hover, "hoverinfo": "text", "zmin": 0,
        "zmax": 1, "xgap": 2, "ygap": 2,
        "colorscale": [[0, m], [0.33, m], [0.33, u], [0.67, u], [0.67, a], [1, a]],
        "colorbar": {"tickvals": [0.165, 0.5, 0.835],
                     "ticktext": ["Chưa đạt", "Không xác định", "Đạt"], "thickness": 12},
    }
    return {"data": [heatmap], "layout": layout}


def stack(specs: Sequence[dict[str, Any]], title: str = "") -> dict[str, Any]:
    """Several figure dicts stacked as rows of one figure (one plotly graph to draw and one
    widget to send: an interactive view then loads plotly.js once, not once per chart).

    Each part keeps its own axes (``x2``/``y2``… from the second on), its title as a
    heading above its row, its plot height and tick room, and a heatmap's colour bar
    beside its own row.
    """
    rows = []
    y = 0.0
    for spec in specs:
        part = spec["layout"]
        margin = part.get("margin", {})
        labels_on_top = part.get("xaxis", {}).get("side") == "top"
        y += 48 + (28 if labels_on_top else 0)
        plot = part.get("height", 400) - margin.get("t", 60) - margin.get("b", 90)
        rows.append((y, y + plot))
        y += plot + margin.get("b", 90) + 10
    full = y
    layout = base_layout(title, height=int(full) + 50)
    layout.update(barmode="group", annotations=[], margin={"l": 60, "r": 20, "t": 40, "b": 10})
    layout["legend"] = {"orientation": "h", "x": 0.5, "xanchor": "center", "y": 1,
                        "yanchor": "bottom"}
    data: list[dict[str, Any]] = []
    for n, (spec, (upper, lower)) in enumerate(zip(specs, rows, strict=True), start=1):
        suffix = "" if n == 1 else str(n)
        part = spec["layout"]
        top, bottom = 1 - upper / full, 1 - lower / full
        labels_on_top = part.get("xaxis", {}).get("side") == "top"
        layout["annotations"].append({
            "text": part.get("title", {}).get("text", ""), "x": 0, "xref": "paper",
            "xanchor": "left", "y": top + (50 if labels_on_top else 22) / full,
            "yref": "paper", "yanchor": "bottom", "showarrow": False, "align": "left",
            "font": {"size": 14}})
        layout[f"xaxis{suffix}"] = {**part.get("xaxis", {}), "anchor": f"y{suffix}"}
        layout[f"yaxis{suffix}"] = {**part.get("yaxis", {}), "anchor": f"x{suffix}",
                                    "domain": [bottom, top]}
        for trace in spec["data"]:
            trace = {**trace, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}
            if trace["type"] == "heatmap":
                trace["colorbar"] = {**trace.get("colorbar", {}), "y": (top + bottom) / 2,
                                     "len": top - bottom, "yanchor": "middle"}
            if n > 1 and trace.get("name") == "Chỉ tiêu giao":
                trace["showlegend"] = False  # one legend entry for the target line
            data.append(trace)
    return {"data": data, "layout": layout}
