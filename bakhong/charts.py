"""Plotly figures for the reports, from the frames of :mod:`bakhong.indicators`. No I/O.

Every label is Vietnamese, numbers use the Vietnamese separators (``separators=",."``: 45,75;
72.599), percentages are plotted as 0–100. Unit names and other source text reach plotly as
data, never as markup: :func:`plain` escapes ``<`` and ``>`` so that plotly's pseudo-HTML
labels show them as text.
"""

from __future__ import annotations

import html
import math
from typing import Any

import plotly.graph_objects as go
import polars as pl

from .catalog import load_catalog
from .indicators import attained_text, attains, value_text
from .parse import format_percent

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


def _pct(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x * 100


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        title={"text": plain(title), "x": 0, "xanchor": "left", "font": {"size": 16}},
        separators=",.", font={"family": FONT, "size": 13, "color": "#1f2933"},
        height=height, margin={"l": 10, "r": 16, "t": 56, "b": 40},
        plot_bgcolor="white", paper_bgcolor="white",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "title": None},
        hoverlabel={"font": {"family": FONT}},
    )
    return fig


def before_after(table: pl.DataFrame, group: str, title: str | None = None) -> go.Figure:
    """A dumbbell chart of one group's criteria for one unit: before (grey) → after (blue),
    the target as a red tick. ``table`` is :func:`indicators.wide` for one unit and period."""
    rows = table.filter(pl.col("group") == group).sort("order", descending=True)
    labels = [_wrap(r["short"]) for r in rows.iter_rows(named=True)]
    fig = go.Figure()
    for r, label in zip(rows.iter_rows(named=True), labels, strict=True):
        xs = [_pct(r["before"]), _pct(r["after"])]
        if None not in xs:
            fig.add_trace(go.Scatter(x=xs, y=[label, label], mode="lines", showlegend=False,
                                     line={"color": COLOURS["other"], "width": 4},
                                     hoverinfo="skip"))
    hover = "%{y}<br>%{customdata}<extra></extra>"
    for phase, name, colour, symbol in (
            ("before", "Trước triển khai", COLOURS["before"], "circle"),
            ("after", "Sau triển khai", COLOURS["after"], "circle")):
        text = [f"{name}: {plain(value_text(r[phase], r[f'{phase}_qualifier'], r[f'{phase}_raw']))}"
                for r in rows.iter_rows(named=True)]
        fig.add_trace(go.Scatter(
            x=[_pct(v) for v in rows[phase].to_list()], y=labels, mode="markers", name=name,
            marker={"color": colour, "size": 13, "symbol": symbol,
                    "line": {"color": "white", "width": 1}},
            customdata=text, hovertemplate=hover))
    targets = [f"Chỉ tiêu: {format_percent(t, qualifier=q or '≥')} — {attained_text(a, t)}"
               if t is not None else "Không có chỉ tiêu"
               for t, q, a in rows.select("target", "target_qualifier", "attained").iter_rows()]
    fig.add_trace(go.Scatter(
        x=[_pct(v) for v in rows["target"].to_list()], y=labels, mode="markers",
        name="Chỉ tiêu giao", customdata=targets, hovertemplate=hover,
        marker={"color": COLOURS["target"], "symbol": "line-ns", "size": 22,
                "line": {"color": COLOURS["target"], "width": 3}}))
    fig.update_xaxes(range=[-2, 104], ticksuffix="%", gridcolor="#e4e7eb", zeroline=False,
                     fixedrange=True, title=None)
    fig.update_yaxes(fixedrange=True, automargin=True, title=None)
    missing_before = rows["before"].null_count() == rows.height and rows.height > 0
    if missing_before:
        fig.add_annotation(text="Đơn vị không báo cáo số liệu trước triển khai",
                           xref="paper", yref="paper", x=0, y=-0.02, yanchor="top",
                           showarrow=False, font={"size": 11, "color": "#52606d"})
    return _layout(fig, title or GROUP_TITLES.get(group, group), 120 + 46 * rows.height)


def standing(ranks: pl.DataFrame, unit_code: str, codes: list[str] | None = None,
             title: str = "Vị trí của đơn vị so với các huyện, thị xã, thành phố") -> go.Figure:
    """Every unit's value after rollout per criterion (grey dots) with one unit highlighted.
    ``ranks`` is :func:`indicators.ranking` for one period."""
    catalog = load_catalog()
    codes = codes or [i.code for i in catalog.criteria]
    codes = [c for c in codes if c in set(ranks["indicator"].to_list())]
    labels = {c: _wrap(f"{c[2:] if c.startswith('TC') else c}. {catalog[c].short}", 34)
              for c in codes}
    order = list(reversed(codes))
    fig = go.Figure()
    others = ranks.filter((pl.col("unit_code") != unit_code) & pl.col("indicator").is_in(codes))
    fig.add_trace(go.Scatter(
        x=[_pct(v) for v in others["value"].to_list()],
        y=[labels[c] for c in others["indicator"].to_list()], mode="markers",
        name="Các đơn vị khác", marker={"color": COLOURS["other"], "size": 9, "opacity": 0.9},
        customdata=[f"{plain(n)}: {value_text(v, q)}" for n, v, q in
                    others.select("unit_name", "value", "qualifier").iter_rows()],
        hovertemplate="%{customdata}<extra></extra>"))
    mine = ranks.filter((pl.col("unit_code") == unit_code) & pl.col("indicator").is_in(codes))
    name = mine["unit_name"][0] if mine.height else ""
    fig.add_trace(go.Scatter(
        x=[_pct(v) for v in mine["value"].to_list()],
        y=[labels[c] for c in mine["indicator"].to_list()], mode="markers",
        name=plain(name), marker={"color": COLOURS["unit"], "size": 14, "symbol": "diamond",
                                  "line": {"color": "white", "width": 1}},
        customdata=[f"{plain(name)}: {value_text(v, q)} — hạng {r}/{n}" for v, q, r, n in
                    mine.select("value", "qualifier", "rank", "units").iter_rows()],
        hovertemplate="%{customdata}<extra></extra>"))
    fig.update_xaxes(range=[-2, 104], ticksuffix="%", gridcolor="#e4e7eb", fixedrange=True)
    fig.update_yaxes(categoryorder="array", categoryarray=[labels[c] for c in order],
                     fixedrange=True, automargin=True)
    return _layout(fig, title, 110 + 40 * len(codes))


def heatmap(table: pl.DataFrame, title: str = "Mức đạt chỉ tiêu sau triển khai") -> go.Figure:
    """Units × criteria: green attained, orange not attained, grey cannot be told or missing;
    the value after rollout written in each cell. ``table`` is :func:`indicators.wide`."""
    catalog = load_catalog()
    codes = [i.code for i in catalog.criteria]
    crit = table.filter(pl.col("indicator").is_in(codes))
    units = crit.select("unit_code", "unit_name").unique(maintain_order=True).sort("unit_code")
    index = {(r["unit_code"], r["indicator"]): r for r in crit.iter_rows(named=True)}
    z, text, hover = [], [], []
    for u in units.iter_rows(named=True):
        zr, tr, hr = [], [], []
        for c in codes:
            r = index.get((u["unit_code"], c))
            a = r["attained"] if r else None
            zr.append({True: 2, False: 0}.get(a, 1) if r and r["after"] is not None else None)
            shown = value_text(r["after"], r["after_qualifier"], r["after_raw"]) if r else "—"
            tr.append(shown.replace("%", ""))
            hr.append(f"{plain(u['unit_name'])} — {c}. {catalog[c].short}<br>Sau triển khai: "
                      f"{plain(shown)}<br>Chỉ tiêu: {value_text(r['target']) if r else '—'}"
                      f" — {attained_text(a, r['target']) if r else 'không có số liệu'}")
        z.append(zr)
        text.append(tr)
        hover.append(hr)
    y = [plain(n) for n in units["unit_name"].to_list()]
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
    fig = _layout(fig, title, 150 + 26 * len(y))
    fig.update_layout(margin={"t": 110})
    return fig


def attainment_ranking(counts: pl.DataFrame,
                       title: str = "Số tiêu chí đạt chỉ tiêu, theo đơn vị") -> go.Figure:
    """Horizontal stacked bars: criteria attained / not attained / cannot be told per unit.
    ``counts`` is :func:`indicators.attainment_counts`."""
    data = counts.sort(["attained", "unit_name"], descending=[False, True])
    y = [plain(n) for n in data["unit_name"].to_list()]
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
    return _layout(fig, title, 140 + 24 * len(y))


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
