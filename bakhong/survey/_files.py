"""Reading a survey file into parts (one table each): workbooks with calamine, CSV in any of the
districts' encodings and delimiters, Parquet; the commune and village a part's title rows,
sheet name and file name give. Personal columns are never selected.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ..contract import SYNTHETIC_MARK
from ..errors import SourceError
from ..read.grid import read_sheets, sniff_delimiter
from ..vocab import units as units_mod
from ..vocab.parse import fold_words, nfc
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
        if many_sheets:
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
    for sheet in sheets:
        part = _part_from_grid(path, sheet.name, sheet.rows, len(sheets) > 1)
        sheet.rows = []  # the grid (with any names and phone numbers) is not kept
        if part is not None:
            parts.append(part)
    return parts


def _decode_head(data: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "cp1258"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise SourceError("không đọc được mã ký tự của tệp CSV (hãy lưu bằng UTF-8)", "")


def _read_csv(path: Path, lossy: bool = False) -> list[_Part]:
    """The CSV's table; ``lossy``: bytes that are not UTF-8 are replaced, not an error
    (polars reads strict UTF-8 a third faster: 1,0 s against 1,6 s for 3 million rows)."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    if b"\x00" in head[:4096]:
        raise SourceError("không phải tệp văn bản CSV", path.name)
    try:
        text, encoding = _decode_head(head)
    except SourceError:
        text, encoding = head.decode("utf-8", errors="replace"), "utf-8"
    except UnicodeDecodeError:  # a multibyte character cut at 64 KiB
        text, encoding = head.decode("utf-8", errors="ignore"), "utf-8"
    lines = text.splitlines()[:41]
    sample = "\n".join(lines)
    delimiter = sniff_delimiter(sample)
    rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
    r, fields = _find_header(rows)
    if r < 0:
        return []
    skip = _data_start(rows, r)
    if encoding == "cp1258":
        source: Any = io.BytesIO(path.read_bytes().decode("cp1258").encode("utf-8"))
    else:
        source = path
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
