"""Findings back to the district: a copy of its own workbook with every flagged cell marked.

``annotate(path)`` checks one table and writes ``<name>-kiem-tra.xlsx``: the district's sheets
as they were, every cell a finding points at filled with its severity's colour and carrying
a comment (the Vietnamese message and the suggested fix), and a FIRST sheet listing every
finding. A .csv (or .xls/.ods) is copied into a new .xlsx first. The original file is only
read, never written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ..checks import check
from ..contract import PHASE_VI, SEVERITY_VI, SYNTHETIC_TITLE, Source
from ..errors import SourceError
from ..read import Table, read_sheets, read_table
from ..vocab.parse import CellNote
from .sheets import append, as_text, fitted_name

FILLS = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}
SUMMARY_SHEET = "Kết quả kiểm tra"
_CELL = re.compile(r"^([A-Z]{1,3})(\d+)$")


@dataclass(frozen=True)
class Annotated:
    path: Path
    findings: int
    marked: int


def _target(source: str, default_sheet: str) -> tuple[str, str] | None:
    """(sheet, cell) of a finding's source ``file!Sheet!E20`` or ``file.csv!E20``."""
    at = Source.parse(source)
    return (at.sheet or default_sheet, at.cell) if at.cell and not at.kind else None


#: a table file with more rows than this is copied from its table's rows only
MAX_COPY_ROWS = 5_000
#: rows kept below a table's last criterion row (the signature block) in such a copy
_BELOW = 20
#: rows kept of a sheet with no criterion row in such a copy
_OTHER = 200


def _workbook(path: Path, extent: Callable[[], dict[str, int]]):
    """The copy to mark, the sheet a CSV became, and what the copy leaves out (said in the
    summary). An .xlsx is copied whole, its formulas replaced by the values Excel saved (the
    copy holds no formula). Any other file, or one over :data:`MAX_COPY_ROWS` rows, is
    rebuilt from its cells as read; then only the table's rows are copied."""
    from openpyxl import Workbook, load_workbook

    sheets = read_sheets(path)
    big = sum(len(sheet.rows) for sheet in sheets) > MAX_COPY_ROWS
    if path.suffix.lower() in (".xlsx", ".xlsm") and not big:
        try:
            wb = load_workbook(path, keep_links=False)
        except Exception as exc:
            raise SourceError(f"openpyxl không mở được bảng tính ({exc})", path.name) from None
        replaced = _values_for_formulas(wb, {sheet.name: sheet.rows for sheet in sheets})
        notes = [f"{replaced} ô công thức được thay bằng giá trị đã lưu trong tệp gốc (bản "
                 "sao không chứa công thức)."] if replaced else []
        return wb, None, notes
    wb = Workbook()
    wb.remove(wb.active)
    first, notes = None, []
    last = extent() if big else {}
    for sheet in sheets:
        rows = sheet.rows
        keep = last.get(sheet.name, _OTHER) if big else len(rows)
        if len(rows) > keep:
            notes.append(f"Trang “{sheet.name or 'Bang'}” có {len(rows):,} dòng: bản sao chỉ "
                         f"chép dòng 1–{keep:,} (vùng bảng chỉ tiêu).".replace(",", "."))
            rows = rows[:keep]
        ws = wb.create_sheet(sheet.name or "Bang")
        first = first or ws.title
        for row in rows:
            append(ws, [None if v == "" else str(v) if isinstance(v, CellNote) else v
                        for v in row], prefix=False)
    return wb, first, notes


def _values_for_formulas(wb: Any, grids: dict[str, list[list[Any]]]) -> int:
    """Put in every formula cell the value Excel saved for it (as calamine read it), and
    neutralise text a spreadsheet would run (:func:`as_text`); return how many cells were
    formulas."""
    replaced = 0
    for ws in wb.worksheets:
        rows = grids.get(ws.title, [])
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    r, c = cell.row - 1, cell.column - 1
                    value = rows[r][c] if r < len(rows) and c < len(rows[r]) else None
                    cell.value = None if value == "" else (
                        str(value) if isinstance(value, CellNote) else value)
                    replaced += 1
                as_text(cell, prefix=False)
    return replaced


def _extent(path: Path, findings: pl.DataFrame, unit: str | None, period: str | None,
            table: Table | None = None) -> dict[str, int]:
    """Sheet → how many rows of it a copy keeps: to the last row a criterion or a finding
    points at, and the signature block below it. ``table``: the file as already read (else
    it is read here)."""
    sources = findings["source"].to_list()
    try:
        table = table or read_table(path, unit=unit, period=period)
        sources += table.observations["source"].to_list()
    except SourceError:
        pass
    last: dict[str, int] = {}
    for text in sources:
        at = Source.parse(text or "")
        row = re.sub(r"\D", "", at.cell)
        if row:
            last[at.sheet] = max(last.get(at.sheet, 0), int(row) + _BELOW)
    return last


def annotate(path: str | Path, out: str | Path | None = None, unit: str | None = None,
             period: str | None = None, findings: pl.DataFrame | None = None) -> Annotated:
    """Write the annotated copy of one table; return where, how many findings and cells.

    ``out`` is a folder (default: the folder of the file, or ``reports/annotated`` when the
    file sits in ``data/raw``, which is never written). ``findings`` may be given (for
    example those of a province check, filtered to this file); by default the file is
    checked on its own.
    """
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    path = Path(path)
    table = None
    if findings is None:
        table = read_table(path, unit=unit, period=period)
        findings = check(table.observations, table.findings)
    wb, csv_sheet, notes = _workbook(path, lambda: _extent(path, findings, unit, period, table))
    default_sheet = csv_sheet or wb.sheetnames[0]
    marked: dict[tuple[str, str], list[dict]] = {}
    for row in findings.iter_rows(named=True):
        where = _target(row["source"] or "", default_sheet)
        if where and where[0] in wb.sheetnames:
            marked.setdefault(where, []).append(row)
    order = {"error": 0, "warning": 1, "info": 2}
    for (sheet, cell), rows in marked.items():
        rows.sort(key=lambda r: order.get(r["severity"], 9))
        target = wb[sheet][cell]
        target.fill = PatternFill("solid", fgColor=FILLS.get(rows[0]["severity"], "FFFFFF"))
        text = "\n\n".join(f"[{SEVERITY_VI[r['severity']]}] {r['message']}\nCách sửa: {r['fix']}"
                           for r in rows)
        comment = Comment(text, "bakhong")
        comment.width, comment.height = 420, 160 + 60 * len(rows)
        target.comment = comment
    ws = wb.create_sheet(SUMMARY_SHEET, 0)
    append(ws, [f"Kết quả kiểm tra tệp {path.name}"])
    ws["A1"].font = Font(bold=True, size=13)
    if findings["synthetic"].any():
        append(ws, [f"{SYNTHETIC_TITLE} — không phải số liệu thật"])
    for note in notes:
        append(ws, [note])
    ws.append(["Ô có màu đỏ: lỗi (không thể đúng); vàng: cần xem lại; xanh: thông tin "
               "(ví dụ chưa đạt chỉ tiêu). Xem ghi chú (comment) ở từng ô để biết cách sửa."])
    ws.append([])
    header = ["Mức độ", "Quy tắc", "Chỉ tiêu", "Giai đoạn", "Nội dung", "Cách sửa", "Vị trí"]
    ws.append(header)
    for c in range(1, len(header) + 1):
        ws.cell(ws.max_row, c).font = Font(bold=True)
    for row in findings.iter_rows(named=True):
        where = _target(row["source"] or "", default_sheet)
        append(ws, [SEVERITY_VI[row["severity"]], row["rule"], row["indicator"],
                    PHASE_VI.get(row["phase"], row["phase"]), row["message"], row["fix"],
                    f"{where[0]}!{where[1]}" if where else (row["source"] or "")])
        ws.cell(ws.max_row, 1).fill = PatternFill("solid",
                                                  fgColor=FILLS.get(row["severity"], "FFFFFF"))
        for c in (5, 6):
            ws.cell(ws.max_row, c).alignment = Alignment(wrap_text=True, vertical="top")
    if findings.is_empty():
        ws.append(["Không phát hiện vấn đề nào."])
    for letter, width in zip("ABCDEFG", (12, 24, 9, 16, 70, 50, 22), strict=True):
        ws.column_dimensions[letter].width = width
    wb.active = 0
    folder = Path(out) if out else _default_out(path)
    folder.mkdir(parents=True, exist_ok=True)
    target_path = folder / fitted_name(path.stem, "-kiem-tra.xlsx")
    if target_path.resolve() == path.resolve():
        raise SourceError("tệp ghi ra trùng tệp gốc", path.name)
    wb.save(target_path)
    return Annotated(target_path, findings.height, len(marked))


def _default_out(path: Path) -> Path:
    from .. import config

    raw = config.raw_dir().resolve()
    if path.resolve().is_relative_to(raw):
        return config.reports_dir() / "annotated"
    return path.parent
