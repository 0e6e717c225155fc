"""Export of a selection: its data and findings as CSV and XLSX, its charts as one
self-contained HTML file, never into ``data/raw``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from ... import config
from ...contract import SYNTHETIC_TITLE
from ...errors import UsageError
from ..sheets import append
from ._data import PHASE_LABEL, Selection


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
    append(ws, headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    label = {True: "Đạt", False: "Chưa đạt", None: "Không xác định"}
    for r in rows.iter_rows(named=True):
        attained = r[f"attained_{selection.phase}"]
        append(ws, [r["unit_code"], r["unit_name"], r["period"], r["indicator"], r["short"],
                    r["target"], r["before"], r["after"],
                    None if r["change"] is None else round(r["change"] * 100, 2),
                    label[attained] if r["target"] is not None else "—",
                    r["before_source"], r["after_source"],
                    SYNTHETIC_TITLE if r["synthetic"] else "thật"])
    for row in ws.iter_rows(min_row=2, min_col=6, max_col=8):
        for cell in row:
            cell.number_format = "0.00%"
    sheet = wb.create_sheet("Phát hiện")
    append(sheet, findings.columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in findings.iter_rows():
        append(sheet, values)
    about = wb.create_sheet("Lựa chọn")
    synthetic = bool(rows["synthetic"].any()) if not rows.is_empty() else False
    for key, value in (("Kỳ", selection.period), ("Chỉ tiêu", selection.indicator),
                       ("Giai đoạn", PHASE_LABEL[selection.phase]),
                       ("Đơn vị", ", ".join(selection.units) or "tất cả"),
                       ("Nguồn số liệu", origin),
                       ("Dữ liệu mô phỏng", f"CÓ — {SYNTHETIC_TITLE}, không phải số liệu thật"
                        if synthetic else "không")):
        append(about, [key, value])
    if synthetic:
        wb.properties.keywords = SYNTHETIC_TITLE
    wb.save(path)


def _write_html(path: Path, widget: Any, header: str, findings: str) -> None:
    import plotly.graph_objects as go

    chart = go.Figure(widget).to_html(full_html=False, include_plotlyjs=True,
                                      config={"displaylogo": False})
    page = ("<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>"
            "<title>bakhong — khám phá</title></head><body style='font-family: sans-serif'>"
            f"{header}{chart}{findings}</body></html>")
    path.write_text(page, encoding="utf-8")
