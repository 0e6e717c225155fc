"""Reading a survey file into parts (one table each): workbooks with calamine, CSV in any of the
districts' encodings and delimiters, Parquet; the commune and village a part's title rows,
sheet name and file name give. Personal columns are never selected.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ..contract import SYNTHETIC_MARK
from ..errors import SourceError
from ..read.grid import decode_text, read_sheets, sniff_delimiter
from ..vocab import units as units_mod
from ..vocab.parse import fold_words, nfc
from ..vocab.personal import looks_personal
from ._fields import FIELD_VI, LOCATION_FIELDS, PII_FIELDS, YESNO_FIELDS
from ._headers import (
    _FOOTER_RAW,
    _cell_text,
    _data_start,
    _find_header,
    _header_fields,
    _is_header,
    _is_total,
)


@dataclass
class _Part:
    """One survey table (a file, or one sheet of a workbook) before normalisation."""

    frame: pl.LazyFrame      # columns: _row and the kept fields (strings, or typed from Parquet)
    fields: dict[str, str]   # field -> header as written
    context: dict[str, str]  # file-level district/commune/village names
    letters: dict[str, str]  # field -> spreadsheet column letter, for the report
    columnar: bool = False   # Parquet: reading a column again costs little
    sheet: str = ""          # the workbook's sheet ("" for CSV and Parquet)


def _letter(index: int) -> str:
    letters, index = "", index + 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_KEEP = set(YESNO_FIELDS) | {f"{f}_no" for f in YESNO_FIELDS} | set(LOCATION_FIELDS) | {
    "age", "birth_year", "cccd"}
_VILLAGE_WORD = {"thon": "Thôn", "ban": "Bản", "xom": "Xóm", "to dan pho": "Tổ dân phố",
                 "khu pho": "Khu phố"}


def _context_from(texts: Iterable[str]) -> dict[str, str]:
    """District, commune and village named in title lines ("Thôn 3, xã Nga Liên, …")."""
    out: dict[str, str] = {}
    patterns = {
        "village": r"(?:thôn|bản|xóm|tổ dân phố|khu phố|thon|ban|xom)\s+([^,;:\n–-]+)",
        "commune": r"(?:^|[\s,(])(?:xã|phường|thị trấn|xa|phuong|thi tran)\s+([^,;:\n–-]+)",
        "district": r"(?:huyện|thị xã|huyen|thi xa)\s+([^,;:\n–-]+)",
    }
    for text in texts:
        for kind, pattern in patterns.items():
            if kind in out:
                continue
            m = re.search(pattern, nfc(text), flags=re.I)
            if m and m.group(1).strip():
                value = m.group(1).strip(" .…_")
                # "thôn Liên Sơn xã Nga Liên": the name stops where the next unit begins
                value = re.split(r"\s+(?:xã|phường|thị trấn|huyện|thị xã|xa|phuong|huyen)\s",
                                 value, maxsplit=1, flags=re.I)[0].strip(" .…_")
                if kind == "village" and fold_words(value).startswith(("xa ", "huyen ")):
                    continue
                if looks_personal(value):  # a phone number in a title is no place
                    continue
                if kind == "village" and re.fullmatch(r"\d+\w?|[IVXivx]+", value):
                    # "THÔN 2" is "Thôn 2", as a village column writes it, not "2"
                    prefix = fold_words(m.string[m.start():m.start(1)])
                    value = f"{_VILLAGE_WORD.get(prefix, prefix.capitalize())} {value}"
                out[kind] = value
    return out


def _context_from_name(path: Path) -> dict[str, str]:
    words = re.sub(r"[-_.]+", " ", path.stem)
    words = re.sub(r"\b(20\d\d|khao sat|du lieu mo phong|truoc trien khai|sau trien khai)\b",
                   " ", fold_words(words))
    out = _context_from([words])
    if "commune" not in out:
        for unit in units_mod.units():
            if unit.level == "commune" and f" {fold_words(unit.name)} " in f" {words} ":
                out["commune"] = unit.name
                break
    return out


def _part_from_grid(path: Path, sheet: str, rows: list[list[Any]],
                    many_sheets: bool) -> _Part | None:
    r, fields = _find_header(rows)
    if r < 0:
        return None
    titles = [_cell_text(v) or "" for row in rows[:r] for v in row]
    keep = {c: f for c, f in fields.items() if f in _KEEP}
    end = len(rows)
    # a total row or a signature block ends the table: they sit in the last rows
    for i in range(max(r + 1, len(rows) - 60), len(rows)):
        if _is_total(rows[i]) or any(isinstance(v, str) and _FOOTER_RAW.search(v.lower())
                                     for v in rows[i][:8]):
            end = i
            break
    start = min(_data_start(rows, r), end)
    body = rows[start:end]
    numbers = list(range(start + 1, end + 1))
    data: dict[str, list[str | None]] = {}
    for c, f in keep.items():
        column = [row[c] if c < len(row) else None for row in body]
        if all(type(v) is str for v in column):  # the common case: text cells
            data[f] = [v or None for v in column]
        else:
            data[f] = [_cell_text(v) for v in column]
    frame = pl.DataFrame({"_row": numbers, **data},
                         schema={"_row": pl.UInt32, **{f: pl.String for f in data}})
    in_titles = _context_from(titles)
    context = {**_context_from_name(path), **in_titles}
    if "village" not in keep.values():
        # one sheet a village: its name (titles are often copied from sheet to sheet); a
        # lone sheet named "Thôn …" names the village better than the file name does
        named = _context_from([sheet]).get("village")
        if many_sheets and not sheet.startswith("trang "):
            context["village"] = sheet
        elif named and "village" not in in_titles:
            context["village"] = named
    return _Part(frame.lazy(), _headers(keep), context,
                 {f: _letter(c) for c, f in keep.items()}, sheet=sheet)


def _headers(fields: dict[int, str]) -> dict[str, str]:
    return {f: FIELD_VI.get(f, f) for f in fields.values() if f in _KEEP}


def _read_workbook(path: Path) -> list[_Part]:
    sheets = read_sheets(path)
    partial = [s.note for s in sheets if s.note]
    if partial:
        # a survey read in part would leave people out without a word: not read at all
        raise SourceError("; ".join(partial).replace("chỉ đọc vùng", "không thể chỉ đọc vùng")
                          + " — hãy xoá các ô thừa ngoài bảng", path.name)
    parts = []
    for number, sheet in enumerate(sheets, start=1):
        if looks_personal(sheet.name):  # a sheet named by a phone number: named by place
            sheet.name = f"trang {number}"
        part = _part_from_grid(path, sheet.name, sheet.rows, len(sheets) > 1)
        sheet.rows = []  # the grid (with any names and phone numbers) is not kept
        if part is not None:
            parts.append(part)
    return parts


def _bare_cr(path: Path) -> bool:
    """Whether a line of the file ends in a bare CR (an old Mac file, a cell pasted from
    elsewhere), which polars does not read as a line end: chunk by chunk, counted only in a
    chunk that has a CR at all (memchr-fast for LF files)."""
    with path.open("rb") as handle:
        carry = b""
        while chunk := handle.read(1 << 24):
            chunk = carry + chunk
            carry = b"\r" if chunk.endswith(b"\r") else b""
            body = chunk[:-1] if carry else chunk
            if b"\r" in body and body.count(b"\r") != body.count(b"\r\n"):
                return True
    return carry == b"\r"


#: a survey CSV that must be re-encoded (UTF-16, Windows-1258, bare CR) is read whole: at
#: most this large (UTF-8 files are streamed by polars, whatever their size)
MAX_TRANSCODED_BYTES = 200_000_000


def _csv_text(path: Path) -> tuple[str, Any]:
    """(the text of the file's head, what polars reads). UTF-8 with LF or CRLF line ends is
    read from the file by polars; any other file — UTF-16, Windows-1258 (:func:`decode_text`:
    BOM > UTF-8 > NUL-pattern UTF-16 > cp1258, in NFC: cp1258 writes tone marks apart), a bare
    CR among its line ends — as its whole text, re-encoded in UTF-8 with LF line ends."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    whole = len(head) < (1 << 16)
    cut = head if whole or b"\n" not in head else head[:head.rfind(b"\n") + 1]
    if b"\x00" not in cut:
        try:
            text = cut.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        if text and not _bare_cr(path):
            return text.removeprefix("\ufeff"), path
    size = path.stat().st_size
    if size > MAX_TRANSCODED_BYTES:  # read whole to re-encode: held about five times over
        raise SourceError(
            f"tệp khảo sát CSV không phải UTF-8 (hoặc có dòng kết thúc bằng CR) và lớn "
            f"{size / 1e6:.0f} MB, quá {MAX_TRANSCODED_BYTES / 1e6:.0f} MB đọc được khi phải "
            "chuyển mã: hãy lưu lại dưới dạng CSV UTF-8", path.name)
    text = decode_text(path.read_bytes(), path.name, "tệp khảo sát CSV")
    if "\x00" in text:
        raise SourceError("không phải tệp văn bản CSV", path.name)
    text = nfc(text.replace("\r\n", "\n").replace("\r", "\n")).removeprefix("\ufeff")
    return text[:1 << 16], io.BytesIO(text.encode("utf-8"))


def _read_csv(path: Path, lossy: bool = False) -> list[_Part]:
    """The CSV's table; ``lossy``: bytes that are not UTF-8 are replaced, not an error
    (polars reads strict UTF-8 a third faster: 1,0 s against 1,6 s for 3 million rows)."""
    text, source = _csv_text(path)
    # the first rows as csv reads them (a quoted cell may hold a line break): the rows
    # polars skips to the data are counted the same way
    sample = "\n".join(text.split("\n")[:41])
    try:
        delimiter = sniff_delimiter(sample)
        rows = list(itertools.islice(csv.reader(io.StringIO(text, newline=None),
                                                delimiter=delimiter), 41))
    except csv.Error as exc:
        raise SourceError(f"không tách được các ô của tệp CSV ({type(exc).__name__})",
                          path.name) from None
    r, fields = _find_header(rows)
    if r < 0:
        return []
    skip = _data_start(rows, r)
    lazy = pl.scan_csv(source, has_header=False, skip_rows=skip, separator=delimiter,
                       infer_schema=False, encoding="utf8-lossy" if lossy else "utf8",
                       truncate_ragged_lines=True,
                       quote_char='"', row_index_name="_row", row_index_offset=skip + 1,
                       new_columns=None) if not isinstance(source, io.BytesIO) else \
        pl.read_csv(source, has_header=False, skip_rows=skip, separator=delimiter,
                    infer_schema=False, truncate_ragged_lines=True, row_index_name="_row",
                    row_index_offset=skip + 1).lazy()
    names = lazy.collect_schema().names()
    keep = {c: f for c, f in fields.items() if f in _KEEP and c + 1 < len(names)}
    # the first column (the STT column; never one with personal data) is read with the
    # rest, and tested among the unreadable rows only: a total row ("Cộng") is not a person
    label = [pl.col(names[1]).alias("_label")] if len(names) > 1 and fields.get(0) not in (
        *PII_FIELDS, "cccd") else []
    frame = lazy.select(pl.col("_row").cast(pl.UInt32),
                        *(pl.col(names[c + 1]).alias(f) for c, f in keep.items()), *label)
    context = {**_context_from_name(path), **_context_from(t for row in rows[:r] for t in row)}
    return [_Part(frame, _headers(keep), context, {f: _letter(c) for c, f in keep.items()})]


def _read_parquet(path: Path) -> list[_Part]:
    try:
        schema = pl.read_parquet_schema(path)
    except Exception as exc:
        raise SourceError(f"không phải tệp Parquet hợp lệ ({type(exc).__name__})",
                          path.name) from None
    names = list(schema)
    fields = _header_fields(names)
    if not _is_header(fields):
        return []
    keep = {c: f for c, f in fields.items() if f in _KEEP}
    nested = [names[c] for c in keep if schema[names[c]].is_nested()
              or schema[names[c]] in (pl.Binary, pl.Object)]
    if nested:
        # a list or a record in a cell is no answer: said for the file, by its columns
        raise SourceError("cột " + ", ".join(f"“{n}”" for n in nested) + " chứa danh sách "
                          "hoặc bản ghi lồng nhau (kiểu " + ", ".join(
                              str(schema[n].base_type()) for n in nested) + "), không phải "
                          "một giá trị mỗi ô — hãy lưu mỗi câu trả lời trong một ô", path.name)
    # the row number comes from the scan: a row-index step after it held 70 MB more at
    # the peak for 3 million people
    index = "_row"
    while index in names:  # a column of the file's own with that name
        index += "_"
    frame = pl.scan_parquet(path, row_index_name=index, row_index_offset=1).select(
        pl.col(index).alias("_row"), *(pl.col(names[c]).alias(f) for c, f in keep.items()))
    return [_Part(frame, {f: names[c] for c, f in keep.items()}, _context_from_name(path),
                  {f: names[c] for c, f in keep.items()}, columnar=True)]


def _parts(path: Path, lossy: bool = False) -> list[_Part]:
    if not path.is_file():
        raise SourceError("không tìm thấy tệp", str(path))
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _read_parquet(path)
    if suffix == ".csv":
        return _read_csv(path, lossy)
    return _read_workbook(path)


def is_synthetic(path: Path) -> bool:
    """A survey file marked "DỮ LIỆU MÔ PHỎNG" in its name or its Parquet metadata."""
    if SYNTHETIC_MARK in fold_words(path.stem):
        return True
    if path.suffix.lower() == ".parquet":
        try:
            meta = pl.read_parquet_metadata(path)
        except Exception:
            return False
        return any(SYNTHETIC_MARK in fold_words(f"{k} {v}") for k, v in meta.items())
    return False
