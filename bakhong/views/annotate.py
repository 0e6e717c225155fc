"""Findings back to the district: a copy of its own workbook with every flagged cell marked.

``annotate(path)`` checks one table and writes ``<name>-kiem-tra.xlsx``: the district's sheets
as they were, every cell a finding points at filled with its severity's colour and carrying
a comment (the Vietnamese message and the suggested fix), and a FIRST sheet listing every
finding. A .csv (or .xls/.ods) is copied into a new .xlsx first. The original file is only
read, never written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..checks import check
from ..contract import PHASE_VI, SEVERITY_VI, SYNTHETIC_TITLE, Source
from ..errors import SourceError
from ..read import read_grids, read_table

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


def _workbook(path: Path):
    from openpyxl import Workbook, load_workbook

    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            return load_workbook(path), None
        except Exception as exc:
            raise SourceError(f"openpyxl không mở được bảng tính ({exc})", path.name) from None
    wb = Workbook()
    wb.remove(wb.active)
    first = None
    for name, rows in read_grids(path):
        ws = wb.create_sheet(name or "Bang")
        first = first or ws.title
        for row in rows:
            ws.append([None if v == "" else v for v in row])
    return wb, first


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
    if findings is None:
        table = read_table(path, unit=unit, period=period)
        findings = check(table.observations, table.findings)
    wb, csv_sheet = _workbook(path)
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
    ws.append([f"Kết quả kiểm tra tệp {path.name}"])
    ws["A1"].font = Font(bold=True, size=13)
    if findings["synthetic"].any():
        ws.append([f"{SYNTHETIC_TITLE} — không phải số liệu thật"])
    ws.append(["Ô có màu đỏ: lỗi (không thể đúng); vàng: cần xem lại; xanh: thông tin "
               "(ví dụ chưa đạt chỉ tiêu). Xem ghi chú (comment) ở từng ô để biết cách sửa."])
    ws.append([])
    header = ["Mức độ", "Quy tắc", "Chỉ tiêu", "Giai đoạn", "Nội dung", "Cách sửa", "Vị trí"]
    ws.append(header)
    for c in range(1, len(header) + 1):
        ws.cell(ws.max_row, c).font = Font(bold=True)
    for row in findings.iter_rows(named=True):
        where = _target(row["source"] or "", default_sheet)
        ws.append([SEVERITY_VI[row["severity"]], row["rule"], row["indicator"],
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
    target_path = folder / f"{path.stem}-kiem-tra.xlsx"
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
