"""Plotly figures from the frames of :mod:`bakhong.indicators`, labelled in Vietnamese.

Every figure has a fixed set of traces whatever the data (empty traces when there is none),
so an interactive view can update a ``FigureWidget`` in place by copying the traces of a
new figure onto it. Numbers show the Vietnamese way: the layout's ``separators`` put a
decimal comma and a thousands dot on axes; hover and bar texts are preformatted with
:func:`bakhong.parse.format_percent`. A figure showing any synthetic row says
"DỮ LIỆU MÔ PHỎNG" in its title and marks those units with "*". No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import plotly.graph_objects as go
import polars as pl

from .parse import format_percent

SYNTHETIC_NOTE = "DỮ LIỆU MÔ PHỎNG"
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
                   highlight: Iterable[str] = ()) -> dict[str, Any]:
    """Units compared on one indicator at one phase, best first, with the target line.

    ``rows``: :func:`bakhong.indicators.wide` rows of one indicator and period, with an
    ``attained_<phase>`` column. Bars are coloured by attainment; units outside
    ``highlight`` (unit codes; empty = all highlighted) are faded.
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
    texts = [format_percent(v, 1, q or "=") for v, q in
             zip(values, rows[qualifier].to_list(), strict=True)]
    colors = [_attainment_color(a, t is not None) for a, t in
              zip(attained, targets, strict=True)]
    opacity = [1.0 if not chosen or c in chosen else 0.35 for c in codes]
    hover = [f"{lab}<br>{PHASE_LABEL[phase]}: {txt}<br>Chỉ tiêu giao: "
             f"{format_percent(t, 1)}<br>{ATTAINMENT_LABEL[a] if t is not None else ''}"
             for lab, txt, t, a in zip(labels, texts, targets, attained, strict=True)]
    layout = base_layout(_title(
        f"{indicator_label} — {PHASE_LABEL[phase].lower()}, so sánh các đơn vị",
        any(rows["synthetic"].to_list())))
    layout["yaxis"] = {"tickformat": ".0%", "range": [0, 1.12], "title": {"text": "Tỉ lệ"}}
    layout["xaxis"] = {"tickangle": -40, "automargin": True}
    data = [
        {"type": "bar", "x": labels, "y": values, "text": texts, "textposition": "outside",
         "cliponaxis": False, "marker": {"color": colors, "opacity": opacity},
         "hovertext": hover, "hoverinfo": "text", "name": PHASE_LABEL[phase],
         "showlegend": False},
        _target_line(labels, targets),
    ]
    return {"data": data, "layout": layout}


def _target_line(labels: list[str], targets: list[float | None]) -> dict[str, Any]:
    return {"type": "scatter", "x": labels, "y": targets, "mode": "lines",
            "line": {"color": COLORS["target"], "dash": "dash", "shape": "hvh"},
            "name": "Chỉ tiêu giao", "hovertemplate": "Chỉ tiêu giao: %{y:.0%}<extra></extra>"}


def before_after(rows: pl.DataFrame, indicator_label: str) -> go.Figure:
    """Before and after rollout, side by side, for the selected units on one indicator."""
    return go.Figure(before_after_spec(rows, indicator_label))


def before_after_spec(rows: pl.DataFrame, indicator_label: str) -> dict[str, Any]:
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
