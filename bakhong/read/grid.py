"""The cells of a table file: the sheets of a workbook (python-calamine) or a CSV in any of
the encodings, delimiters and line endings districts save, as rows of values. Read only.

Bounded: a sheet whose cells reach too far (a character typed in XFD1048576) is read in part
and said so; a CSV over :data:`MAX_CSV_BYTES` is refused with its reason.
"""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SourceError
from ..vocab.parse import CellNote
from ._xlsx import SheetScan, scan_xlsx


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


#: at most this many cells of a sheet are held (calamine holds the whole rectangle from the
#: first to the last cell that has a value); a sheet reaching further is read in part
MAX_CELLS = 8_000_000
#: how much of such a sheet is read: the rows and columns from A1
PART_ROWS, PART_COLUMNS = 20_000, 200
#: a CSV larger than this is not read
MAX_CSV_BYTES = 64 << 20


@dataclass
class Sheet:
    """One sheet read: its name, rows of cell values, whether it is hidden, and what of it
    was left unread (``note``, said in a ``partly_read`` finding)."""

    name: str
    rows: list[list[Any]]
    hidden: bool = False
    note: str = ""


def _mark(rows: list[list[Any]], scan: SheetScan) -> None:
    """Put the reason in the cells calamine reads as blank: an Excel error, a formula saved
    without its value."""
    notes = {**{at: CellNote(f"ô lỗi công thức Excel {e}") for at, e in scan.errors.items()},
             **{at: CellNote("ô công thức chưa được tính (tệp lưu không kèm giá trị)")
                for at in scan.uncached}}
    for (r, c), note in notes.items():
        if r >= len(rows) or c > 4 * PART_COLUMNS:
            continue
        if c >= len(rows[r]):
            rows[r].extend([""] * (c + 1 - len(rows[r])))
        if rows[r][c] in ("", None):
            rows[r][c] = note


def _bounded(path: Path, name: str, scan: SheetScan) -> Sheet:
    """A sheet whose cells reach too far for calamine: its first rows and columns, read by
    openpyxl in read-only mode (row by row, never the whole rectangle)."""
    from openpyxl import load_workbook

    reach = f"{column_letter(scan.columns - 1)}{scan.rows}"
    note = (f"trang “{name}” có ô đến tận {reach}; chỉ đọc vùng A1:"
            f"{column_letter(PART_COLUMNS - 1)}{PART_ROWS}, các ô ngoài vùng này bị bỏ qua")
    if scan.too_large:
        return Sheet(name, [], note=f"trang “{name}” quá lớn, không đọc")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        sheet = workbook[name]
        rows = [["" if v is None else v for v in row] for row in itertools.islice(
            sheet.iter_rows(max_row=PART_ROWS, max_col=PART_COLUMNS, values_only=True),
            PART_ROWS)]
        workbook.close()
    except Exception as exc:  # openpyxl raises its own types for every broken file
        raise SourceError(f"không đọc được trang “{name}” ({type(exc).__name__})",
                          path.name) from None
    while rows and not any(v not in ("", None) for v in rows[-1]):
        rows.pop()
    return Sheet(name, rows, note=note)


def _read_workbook(path: Path) -> list[Sheet]:
    from python_calamine import CalamineWorkbook

    scans = scan_xlsx(path) if path.suffix.lower() in (".xlsx", ".xlsm") else {}
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        hidden = {m.name: str(m.visible).rsplit(".", 1)[-1].lower() != "visible"
                  for m in workbook.sheets_metadata}
    except Exception as exc:  # calamine raises its own types for every broken file
        raise SourceError(f"không phải bảng tính Excel hợp lệ ({type(exc).__name__}: {exc})",
                          path.name) from None
    sheets = []
    for name in workbook.sheet_names:
        scan = scans.get(name)
        if scan is not None and (scan.too_large or scan.area > MAX_CELLS):
            sheet = _bounded(path, name, scan)
            sheet.hidden = hidden.get(name, False)
            sheets.append(sheet)
            continue
        try:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:
            raise SourceError(f"không đọc được trang “{name}” ({exc})", path.name) from None
        if scan is not None:
            _mark(rows, scan)
        sheets.append(Sheet(name, rows, hidden.get(name, False)))
    return sheets


def _utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le"/"utf-16-be" when the head has a NUL byte beside nearly every ASCII
    character (text saved as UTF-16 without its BOM), else None."""
    head = data[:4096]
    if len(head) < 8 or b"\x00" not in head:
        return None
    for encoding, nul in (("utf-16-le", head[1::2]), ("utf-16-be", head[0::2])):
        if nul.count(0) >= 0.6 * len(nul):
            return encoding
    return None


def decode_text(data: bytes, name: str, what: str = "tệp CSV") -> str:
    """The text of a file as districts save it: a BOM says the encoding (UTF-8, UTF-16);
    else strict UTF-8; else UTF-16 only when its NUL bytes show it; else Windows-1258
    (Vietnamese). Never guessed UTF-16 from an even length: a Windows-1258 file is not."""
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"),
                          (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise SourceError(f"không đọc được mã ký tự của {what} (hãy lưu bằng UTF-8)",
                                  name) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    encodings = [e for e in (_utf16_without_bom(data),) if e] + ["cp1258"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise SourceError(f"không đọc được mã ký tự của {what} (hãy lưu bằng UTF-8)", name)


def _read_csv(path: Path) -> list[Sheet]:
    if path.stat().st_size > MAX_CSV_BYTES:
        raise SourceError(f"tệp CSV quá lớn ({path.stat().st_size >> 20} MB; tối đa "
                          f"{MAX_CSV_BYTES >> 20} MB)", path.name)
    data = path.read_bytes()
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")) and \
            _utf16_without_bom(data) is None:
        raise SourceError("không phải tệp văn bản CSV", path.name)
    text = decode_text(data, path.name)
    if "\x00" in text:
        raise SourceError("không phải tệp văn bản CSV", path.name)
    delimiter = sniff_delimiter("\n".join(text.splitlines()[:30]))
    # CRLF, LF and a bare CR (old Mac files, a cell pasted from elsewhere) all end a line
    lines = io.StringIO(text, newline=None)
    try:
        rows = [list(r) for r in csv.reader(lines, delimiter=delimiter)]
    except csv.Error as exc:
        raise SourceError(f"không tách được các ô của tệp CSV ({exc})", path.name) from None
    return [Sheet("", rows)]


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample: ";", "," or tab. A semicolon wins when it is common
    enough, since a decimal comma in a comma-delimited file is always quoted anyway."""
    counts = {d: sample.count(d) for d in (";", ",", "\t")}
    if counts[";"] and counts[";"] >= counts[","] / 3:
        return ";"
    return max(counts, key=counts.get)


def read_sheets(path: Path) -> list[Sheet]:
    """The sheets of a table file, hidden ones marked; CSV has one unnamed sheet. A sheet
    whose cells reach too far is read in part (:data:`MAX_CELLS`), said in its ``note``;
    Excel error cells and formulas saved without their value are :class:`CellNote`."""
    if not path.is_file():
        raise SourceError("không tìm thấy tệp", str(path))
    if path.suffix.lower() == ".csv":
        return _read_csv(path)
    return _read_workbook(path)


def read_grids(path: Path) -> list[tuple[str, list[list[Any]]]]:
    """The sheets of a table file as (name, rows of cell values); CSV has one unnamed sheet."""
    return [(s.name, s.rows) for s in read_sheets(Path(path))]
