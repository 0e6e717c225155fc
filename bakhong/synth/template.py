"""Write result tables in the 16-criteria template, with the quirks districts' files have.

Used to make the synthetic province, the benchmark's workbooks and the tests' files that
bakhong has never seen. A :class:`Layout` says how a district formatted its table.
"""

from __future__ import annotations

import csv
import datetime
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..contract import SYNTHETIC_TITLE
from ..vocab.catalog import load_catalog
from ..vocab.parse import fold

_EPOCH = datetime.datetime(2024, 1, 1)
COLUMNS = ("stt", "label", "target", "before", "after", "evidence")
HEADERS = {
    "stt": "STT", "label": "Nội dung chỉ tiêu", "target": "Chỉ tiêu giao",
    "before": "Trước triển khai", "after": "Sau triển khai", "evidence": "Hồ sơ minh chứng",
}
GROUP_ROWS = {"TC01": ("I", "ĐỐI VỚI CHÍNH QUYỀN"),
              "TC06": ("II", "ĐỐI VỚI NGƯỜI DÂN, TỔ CHỨC, DOANH NGHIỆP"),
              "K1": ("III", "KẾT QUẢ THEO BA NỘI DUNG CỦA MÔ HÌNH")}


@dataclass(frozen=True)
class Layout:
    """How one district's file looks."""

    columns: tuple[str, ...] = COLUMNS       # order; leave "stt" out for no STT column
    diacritics: bool = True                  # header text with diacritics
    two_row_header: bool = True              # "Kết quả thực hiện" over before/after (xlsx)
    title_rows: bool = True                  # administrative title, "Tên đơn vị: …"
    unit_cell: bool = True                   # a "Tên đơn vị: …" cell
    group_rows: bool = True                  # rows I / II between the criteria
    footer: bool = True                      # signature block
    sheet: str = "Bao cao"
    csv_delimiter: str = ","
    csv_bom: bool = True
    decimal_comma: bool = True
    nfd: bool = False                        # text saved decomposed, as on a Mac
    pasted_rows: int = 0                     # a list of this many rows pasted below (xlsx)


@dataclass(frozen=True)
class Document:
    """What a file says: the unit, the period and each indicator's cells (as written)."""

    unit_title: str                          # "UBND huyện Thường Xuân"
    period: str
    cells: Mapping[str, Mapping[str, Any]]   # code -> {"before", "after", "target", "evidence"}
    synthetic: bool = False
    extra_rows: tuple[tuple[str, str, Any], ...] = ()   # (stt, label, after) off the catalog
    metadata: dict[str, str] = field(default_factory=dict)


def percent_text(fraction: float, decimals: int = 1, decimal_comma: bool = True) -> str:
    """0.4575 → "45,8%" (decimal comma) or "45.8%"."""
    text = f"{fraction * 100:.{decimals}f}".rstrip("0").rstrip(".")
    return (text.replace(".", ",") if decimal_comma else text) + "%"


def _header(name: str, layout: Layout) -> str:
    text = HEADERS[name]
    return text if layout.diacritics else _undiacritic(text)


def _undiacritic(text: str) -> str:
    # fold() lower-cases; keep the writer's capitalisation
    out = []
    for ch in text:
        bare = fold(ch) if ch.strip() else ch
        out.append(bare.upper() if ch.isupper() and bare else (bare or ch))
    return "".join(out)


def rows_of(document: Document, layout: Layout) -> list[list[Any]]:
    """The table rows (without headers), each a list in ``layout.columns`` order."""
    catalog = load_catalog()
    rows: list[list[Any]] = []
    for indicator in catalog:
        if indicator.code not in document.cells:
            continue
        if layout.group_rows and indicator.code in GROUP_ROWS:
            stt, title = GROUP_ROWS[indicator.code]
            rows.append([stt if c == "stt" else title if c == "label" else None
                         for c in layout.columns])
        cells = document.cells[indicator.code]
        stt = str(indicator.number) if indicator.number else indicator.code[-1].lower()
        record = {"stt": stt, "label": indicator.label, **cells}
        rows.append([record.get(c) for c in layout.columns])
    for stt, label, after in document.extra_rows:
        record = {"stt": stt, "label": label, "after": after}
        rows.append([record.get(c) for c in layout.columns])
    return rows


def write_xlsx(path: Path, document: Document, layout: Layout = Layout()) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = layout.sheet
    bold = Font(bold=True)
    width = len(layout.columns)
    r = 1
    if layout.title_rows:
        title = document.unit_title.upper()
        if document.synthetic:
            ws.cell(r, 1, f"{SYNTHETIC_TITLE} — không phải số liệu thật").font = bold
            r += 1
        ws.cell(r, 1, title).font = bold
        ws.cell(r, max(3, width - 2), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").font = bold
        r += 1
        if layout.unit_cell:
            ws.cell(r, 1, f"Tên đơn vị: {document.unit_title}")
        ws.cell(r, max(3, width - 2), "Độc lập - Tự do - Hạnh phúc")
        r += 2
        ws.cell(r, 1, "BÁO CÁO").font = bold
        r += 1
        heading = f"Tổng hợp kết quả thực hiện mô hình “3 KHÔNG” năm {document.period}"
        if document.synthetic:
            heading += f" ({SYNTHETIC_TITLE})"
        ws.cell(r, 1, heading).font = bold
        r += 2
    header_row = r
    two = layout.two_row_header and "before" in layout.columns and "after" in layout.columns
    for c, name in enumerate(layout.columns, start=1):
        if two and name in ("before", "after"):
            ws.cell(header_row + 1, c, _header(name, layout)).font = bold
        else:
            ws.cell(header_row, c, _header(name, layout)).font = bold
            if two:
                ws.merge_cells(start_row=header_row, end_row=header_row + 1,
                               start_column=c, end_column=c)
    if two:
        first = layout.columns.index("before") + 1
        last = layout.columns.index("after") + 1
        ws.cell(header_row, min(first, last), "Kết quả thực hiện" if layout.diacritics
                else "Ket qua thuc hien").font = bold
        if abs(first - last) == 1:
            ws.merge_cells(start_row=header_row, end_row=header_row,
                           start_column=min(first, last), end_column=max(first, last))
    r = header_row + (2 if two else 1)
    for row in rows_of(document, layout):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = ws.cell(r, c, value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"
            if isinstance(value, float):
                cell.number_format = "0.0%"
            cell.alignment = Alignment(wrap_text=layout.columns[c - 1] == "label")
        r += 1
    if layout.footer:
        ws.cell(r + 1, max(2, width - 1), "NGƯỜI LẬP BIỂU")
        ws.cell(r + 1, width, "CHỦ TỊCH")
    _finish(wb, ws, document, layout)
    return _save(wb, path, layout)


def _finish(wb: Any, ws: Any, document: Document, layout: Layout) -> None:
    """A pasted list below the table (``layout.pasted_rows``), the column width and the
    workbook's properties (a synthetic one says so)."""
    start = ws.max_row + 3
    for i in range(layout.pasted_rows):  # numbered like the criteria: "1 | Hồ sơ số 1"
        ws.cell(start + i, 1, i + 1)
        ws.cell(start + i, 2, f"Hồ sơ số {i + 1}")
    ws.column_dimensions["B"].width = 60
    wb.properties.title = (f"{SYNTHETIC_TITLE} — " if document.synthetic else "") + \
        f"Kết quả mô hình 3 KHÔNG — {document.unit_title} — {document.period}"
    if document.synthetic:
        wb.properties.keywords = SYNTHETIC_TITLE
        wb.properties.subject = "Dữ liệu mô phỏng do bakhong tạo ra, không phải số liệu thật"


def _save(wb: Any, path: Path, layout: Layout) -> Path:
    ws = wb.active
    if layout.nfd:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    kind = cell.data_type  # "= a/b = c%" stays text, not a formula
                    cell.value = unicodedata.normalize("NFD", cell.value)
                    cell.data_type = kind
    # fixed dates: the same document always gives the same bytes
    wb.properties.created = wb.properties.modified = _EPOCH
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_csv(path: Path, document: Document, layout: Layout = Layout()) -> Path:
    """A CSV export: optional title lines, one header row, decimal comma if asked."""
    lines: list[list[Any]] = []
    if layout.title_rows:
        if document.synthetic:
            lines.append([f"{SYNTHETIC_TITLE} — không phải số liệu thật"])
        if layout.unit_cell:
            lines.append([f"Tên đơn vị: {document.unit_title}"])
        lines.append([f"Tổng hợp kết quả thực hiện mô hình 3 KHÔNG năm {document.period}"])
    lines.append([_header(c, layout) for c in layout.columns])
    for row in rows_of(document, layout):
        out = []
        for value in row:
            if isinstance(value, float):
                value = f"{value:.4f}".rstrip("0").rstrip(".")
                if layout.decimal_comma:
                    value = value.replace(".", ",")
            out.append("" if value is None else value)
        lines.append(out)
    if layout.nfd:
        lines = [[unicodedata.normalize("NFD", v) if isinstance(v, str) else v for v in line]
                 for line in lines]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if layout.csv_bom else "utf-8", newline="") as fh:
        csv.writer(fh, delimiter=layout.csv_delimiter).writerows(lines)
    return path


def write(path: Path, document: Document, layout: Layout = Layout()) -> Path:
    """Write ``document`` as .xlsx or .csv, by the path's suffix."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return write_csv(path, document, layout)
    return write_xlsx(path, document, layout)
