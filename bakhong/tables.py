"""Formatted tables for readers: Vietnamese headers, Vietnamese numbers, HTML. No I/O.

Functions take the contract frames (observations, findings, :func:`indicators.wide`) and
return new frames of display strings, or HTML text escaped for safe embedding.
"""

from __future__ import annotations

import html as _html
from collections.abc import Sequence

import polars as pl

from .findings import PHASE_VI, SEVERITIES, SEVERITY_VI
from .parse import format_percent, format_points

SYNTHETIC_VI = {True: "MÔ PHỎNG", False: "thật"}

#: Column of :func:`findings_table` → the finding field it sorts by.
FINDING_COLUMNS = {
    "Mức độ": "severity", "Đơn vị": "unit_name", "Chỉ tiêu": "indicator",
    "Giai đoạn": "phase", "Quy tắc": "rule", "Nội dung": "message", "Giá trị": "value",
    "Ô nguồn": "source", "Dữ liệu": "synthetic",
}


def sort_findings(findings: pl.DataFrame, by: str = "severity",
                  descending: bool = False) -> pl.DataFrame:
    """Findings sorted by one field; severity sorts error → warning → info, not by name.

    Ties keep a stable, readable order (unit, indicator, phase, rule).
    """
    order = {s: i for i, s in enumerate(SEVERITIES)}
    key = pl.col("severity").replace_strict(order, default=9) if by == "severity" \
        else pl.col(by)
    return findings.with_columns(key.alias("_key")).sort(
        ["_key", "unit_name", "indicator", "phase", "rule"],
        descending=[descending, False, False, False, False], nulls_last=True,
        maintain_order=True).drop("_key")


def findings_table(findings: pl.DataFrame, synthetic_column: bool = True) -> pl.DataFrame:
    """Findings as reader-facing strings, one column per :data:`FINDING_COLUMNS` entry."""
    columns = [c for c in FINDING_COLUMNS if synthetic_column or c != "Dữ liệu"]
    if findings.is_empty():
        return pl.DataFrame(schema={c: pl.String for c in columns})
    rows = []
    for r in findings.iter_rows(named=True):
        row = {
            "Mức độ": SEVERITY_VI.get(r["severity"], r["severity"]),
            "Đơn vị": r["unit_name"] or r["unit_code"] or "—",
            "Chỉ tiêu": r["indicator"] or "—",
            "Giai đoạn": PHASE_VI.get(r["phase"] or "", r["phase"]) or "—",
            "Quy tắc": r["rule"],
            "Nội dung": r["message"],
            "Giá trị": format_percent(r["value"]) if r["value"] is not None else "—",
            "Ô nguồn": r["source"] or "—",
            "Dữ liệu": SYNTHETIC_VI[bool(r.get("synthetic"))],
        }
        rows.append({c: row[c] for c in columns})
    return pl.DataFrame(rows, schema={c: pl.String for c in columns})


def wide_table(rows: pl.DataFrame, phase: str = "after") -> pl.DataFrame:
    """:func:`indicators.wide` rows (with ``attained_<phase>``) as reader-facing strings."""
    from .charts import ATTAINMENT_LABEL  # labels live with the figures

    out = []
    for r in rows.iter_rows(named=True):
        attained = r.get(f"attained_{phase}")
        out.append({
            "Mã đơn vị": r["unit_code"], "Đơn vị": r["unit_name"], "Kỳ": r["period"],
            "Mã chỉ tiêu": r["indicator"], "Chỉ tiêu": r["short"],
            "Chỉ tiêu giao": format_percent(r["target"], qualifier=r["target_qualifier"] or "="),
            "Trước triển khai": format_percent(r["before"], qualifier=r["before_qualifier"] or "="),
            "Sau triển khai": format_percent(r["after"], qualifier=r["after_qualifier"] or "="),
            "Thay đổi": format_points(r["change"]),
            "Đạt chỉ tiêu": ATTAINMENT_LABEL[attained] if r["target"] is not None else "—",
            "Ô nguồn (trước)": r["before_source"] or "—",
            "Ô nguồn (sau)": r["after_source"] or "—",
            "Dữ liệu": SYNTHETIC_VI[bool(r["synthetic"])],
        })
    columns = ["Mã đơn vị", "Đơn vị", "Kỳ", "Mã chỉ tiêu", "Chỉ tiêu", "Chỉ tiêu giao",
               "Trước triển khai", "Sau triển khai", "Thay đổi", "Đạt chỉ tiêu",
               "Ô nguồn (trước)", "Ô nguồn (sau)", "Dữ liệu"]
    return pl.DataFrame(out, schema={c: pl.String for c in columns})


def to_html(frame: pl.DataFrame, caption: str = "", empty: str = "Không có dòng nào.",
            classes: Sequence[str] = ("bakhong-table",), max_rows: int | None = None) -> str:
    """An escaped HTML table of a frame of strings; ``max_rows`` cuts long tables with a note."""
    esc = _html.escape
    head = "".join(f"<th>{esc(str(c))}</th>" for c in frame.columns)
    shown = frame if max_rows is None else frame.head(max_rows)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc('' if v is None else str(v))}</td>" for v in row) + "</tr>"
        for row in shown.iter_rows())
    if frame.is_empty():
        body = f'<tr><td colspan="{max(1, frame.width)}">{esc(empty)}</td></tr>'
    note = ""
    if max_rows is not None and frame.height > max_rows:
        note = f"<p>… và {frame.height - max_rows} dòng nữa (xuất tệp để xem đủ).</p>"
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (f'<table class="{" ".join(classes)}">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>{note}")
