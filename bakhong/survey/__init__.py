"""Survey microdata: the census of everyone aged 15+ (seed 002) read into indicators.

The pilot plan of xã Nga Liên has every village survey everyone aged 15 and over: citizen ID
(CCCD), VNeID account, phone, smartphone, SIM in own name, online-public-service account,
bank account, e-signature. This module owns reading those tables and turning them into
observations; nothing else in bakhong reads survey files.

Reading
-------
* ``.parquet`` (one big file), ``.csv`` (UTF-8 with or without BOM, Windows-1258; comma,
  semicolon or tab), ``.xlsx``/``.xls``/``.ods`` (read with calamine, every sheet that holds
  a survey table; a sheet's name is the village when the sheet has no village column).
* The header row is found wherever it sits (title rows above it are read for the commune
  and district); columns are matched by their header text with or without diacritics
  (:func:`classify_header`), in any order. Unrecognised columns are never read further.
* Yes/no cells: "x", "có", "Có", "co", "1", "TRUE", "✓" are yes; blank, "không", "0",
  "FALSE", "chưa" are no. Anything else makes the row unreadable. A question split under
  its header in "Có" | "Không" columns: a mark under "Có" is yes, under "Không" no; neither
  is no answer (the person is left out of that indicator, not counted as "no"); both make
  the row unreadable.
* Age: a number of years, or a year/date of birth (age = survey year − birth year), also
  when a year or date of birth is written under "Tuổi".
* Location: district (huyện), commune (xã), village (thôn) columns; else the title rows,
  the sheet's name and the file name — the sheets of a workbook of several name their
  villages; a lone sheet named "Thôn Liên Sơn" names its village unless the title rows do;
  the file name comes last. GSO codes from :mod:`bakhong.units` where the unit is known; other
  communes get ``<district code>-<slug>`` and villages ``<commune code>-<slug>`` (synthetic
  surveys carry their own codes in "Mã xã"/"Mã thôn" columns, which are kept).
* Rows that cannot be read (a yes/no cell holding something else, no readable age, an age
  outside 15–120, no commune) are counted and reported by file, sheet, row and column
  (:attr:`Survey.rejects`, and one ``unparseable`` finding per file, sheet and column that
  names the cell to correct and what to write there, told to the district the rows lie in
  so that its report shows it) — never silently dropped, and never with the cell's content
  (it may be personal data).

Personal data
-------------
Names and phone numbers are never selected from a file (Parquet and CSV columns are not even
read; spreadsheet cells are skipped when the table is built). CCCD cells are read only to be
validated (12 digits) and turned into a salted 64-bit hash with a seed drawn at random for
each run, used to find the same person counted twice; the hash is dropped before
:func:`read_surveys` returns. Duplicates are reported as a count per commune, and a person
counted twice counts once in every indicator.

Indicators (:func:`indicators`)
-------------------------------
Per village, commune and district, with numerators and denominators:

* TC06 smartphone — adults, i.e. aged **18 and over** (Bộ luật Dân sự 2015, điều 20).
* TC07 bank (or other payment) account — everyone surveyed, aged 15+.
* TC08 VNeID — the catalog's denominator is all residents, but the survey covers only those
  aged 15+: the survey value is the share among people aged 15+ (the raw text says so), and
  the comparison with a report's TC08 is made on that basis, with the caveat in its message.
  Children under 14 could not hold a level-2 account before July 2024, so the 15+ share is
  the rate that can be checked from outside.
* TC09 e-signature — adults (18+), as the catalog's population for TC09.

The other fields (phone, SIM in own name, online-public-service account, CCCD) match no
criterion of the template exactly and are kept in :attr:`Survey.people` only.

Phase: a survey is dated against the rollout by ``phase`` ("after" by default: the survey is
the check of a district's "after" figure); a file whose name says "truoc-trien-khai" is
"before". Period: the year in the file name, else ``period``.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import itertools
import random
import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ..errors import SourceError, UnknownUnitError
from ..read.table import OBSERVATION_SCHEMA, SYNTHETIC_MARK, sniff_delimiter
from ..vocab import rules as fnd
from ..vocab import units as units_mod
from ..vocab.catalog import Catalog, load_catalog
from ..vocab.parse import fold_words, format_int, format_percent, nfc
from ..vocab.rules import Finding

SURVEY_SUFFIXES = (".parquet", ".csv", ".xlsx", ".xlsm", ".xls", ".ods")
SURVEY_FOLDER = "survey"
YESNO_FIELDS = ("phone", "smartphone", "sim_own", "vneid", "dvc", "bank", "esign")
LOCATION_FIELDS = ("district", "commune", "village", "district_code", "commune_code",
                   "village_code")
PII_FIELDS = ("name", "phone_number")  # never selected; "cccd" is read to be hashed only
FIELD_VI = {
    "cccd": "Số CCCD", "phone": "Điện thoại", "smartphone": "Điện thoại thông minh",
    "sim_own": "Thuê bao chính chủ", "vneid": "Tài khoản định danh điện tử (VNeID)",
    "dvc": "Tài khoản dịch vụ công trực tuyến", "bank": "Tài khoản ngân hàng",
    "esign": "Chữ ký điện tử", "age": "Tuổi", "birth_year": "Năm sinh", "district": "Huyện",
    "commune": "Xã", "village": "Thôn", "district_code": "Mã huyện", "commune_code": "Mã xã",
    "village_code": "Mã thôn",
}
#: A question split in two columns under its header, "Có" | "Không": the "Không" column of
#: field ``f`` is read as ``f_no``; a row marked in both is rejected as ``f_both``.
FIELD_VI |= {f"{f}_no": f"{FIELD_VI[f]} – Không" for f in YESNO_FIELDS}
_NO_LABELS = {"khong", "chua co", "chua"}
YES = ("x", "có", "co", "c", "1", "1.0", "true", "yes", "y", "v", "đã có", "da co", "rồi",
       "roi", "✓", "✔", "√")
NO = ("", "không", "khong", "k", "ko", "0", "0.0", "false", "no", "n", "chưa", "chua",
      "chưa có", "chua co", "không có", "khong co", "-")
MIN_AGE, ADULT_AGE, MAX_AGE = 15, 18, 120

#: Survey indicators: code -> (field, minimum age, words for the population in ``raw``).
SURVEY_INDICATORS: dict[str, tuple[str, int, str]] = {
    "TC06": ("smartphone", ADULT_AGE, "người từ 18 tuổi"),
    "TC07": ("bank", MIN_AGE, "người từ 15 tuổi"),
    "TC08": ("vneid", MIN_AGE, "người từ 15 tuổi (khảo sát không gồm trẻ dưới 15 tuổi)"),
    "TC09": ("esign", ADULT_AGE, "người từ 18 tuổi"),
}
LEVELS = ("district", "commune", "village")

#: A total row ("Cộng", "Tổng cộng", "Tổng số") starts with its label and ends the table.
#: Without diacritics only the two-word labels count: "Tong Van Binh" is a person (Tống).
_TOTAL_RAW = r"^\s*(?:tổng cộng|tổng số|tổng|cộng|tong cong|tong so)\b"
_TOTAL = re.compile(_TOTAL_RAW, re.I)
_FOOTER_RAW = re.compile(r"\b(người lập|nguoi lap|ký tên|ky ten|chủ tịch|chu tich|xác nhận|"
                         r"xac nhan|thủ trưởng|thu truong|trưởng thôn|truong thon)\b")


# --- headers ----------------------------------------------------------------------------

def classify_header(header: Any) -> str | None:
    """The survey field a column header names, or None.

    >>> [classify_header(h) for h in ("Họ và tên", "SỐ CCCD", "Dien thoai thong minh",
    ...                               "Thuê bao chính chủ", "Số điện thoại", "Năm sinh")]
    ['name', 'cccd', 'smartphone', 'sim_own', 'phone_number', 'birth_year']
    """
    h = fold_words(str(header)) if header is not None else ""
    if not h:
        return None
    words = h.split()
    if re.search(r"\bma (huyen|thi xa|thanh pho|quan)\b", h):
        return "district_code"
    if re.search(r"\bma (xa|phuong|thi tran)\b", h):
        return "commune_code"
    if re.search(r"\bma (thon|ban|xom|to|khu)\b", h):
        return "village_code"
    if re.search(r"\b(cccd|cmnd|can cuoc|chung minh|so dinh danh ca nhan)\b", h):
        return "cccd"
    if re.search(r"\b(ho ten|ho va ten|ten nguoi|nguoi duoc khao sat)\b", h) or h in {
            "ten", "ho ten"}:
        return "name"
    if "chinh chu" in h:
        return "sim_own"
    if re.search(r"\b(so dien thoai|sdt|so dt|so thue bao|dien thoai lien he)\b", h):
        return "phone_number"
    if "thong minh" in h or "smartphone" in h:
        return "smartphone"
    if "vneid" in h or "dinh danh" in h:
        return "vneid"
    if "dich vu cong" in h or re.search(r"\bdvc", h):
        return "dvc"
    if "ngan hang" in h or "tai khoan thanh toan" in h:
        return "bank"
    if "chu ky" in h or "ky so" in h:
        return "esign"
    if "dien thoai" in h or h in {"dt", "dtdd"}:
        return "phone"
    if "nam sinh" in h or "ngay sinh" in h:
        return "birth_year"
    if words[-1] == "tuoi" or h.startswith("tuoi") or h == "do tuoi":
        return "age"
    if re.search(r"\b(huyen|thi xa|quan)\b", h) or h.startswith("thanh pho"):
        return "district"
    if re.match(r"^(ten )?(xa|phuong|thi tran)\b", h):
        return "commune"
    if re.match(r"^(ten )?(thon|ban|xom|to dan pho|khu pho|khu dan cu|lang)\b", h):
        return "village"
    return None


def _header_fields(cells: Sequence[Any], negative: Iterable[int] = ()) -> dict[int, str]:
    """{column index: field}; the ``negative`` columns are the "Không" halves of split
    questions."""
    out: dict[int, str] = {}
    taken: set[str] = set()
    negative = set(negative)
    for c, cell in enumerate(cells):
        kind = classify_header(cell)
        if kind in YESNO_FIELDS and c in negative:
            kind = f"{kind}_no"
        if kind and (kind not in taken or kind in PII_FIELDS):
            out[c] = kind
            taken.add(kind)
    return out


def _is_header(fields: dict[int, str]) -> bool:
    kinds = set(fields.values())
    return len(kinds & set(YESNO_FIELDS)) >= 2 or (
        len(kinds & set(YESNO_FIELDS)) >= 1 and bool(kinds & {"age", "birth_year", "cccd"}))


def _find_header(rows: Sequence[Sequence[Any]], limit: int = 40) -> tuple[int, dict[int, str]]:
    """(header row index, {column index: field}); a two-row header is read as one."""
    for r in range(min(limit, len(rows))):
        fields = _header_fields(rows[r])
        below = rows[r + 1] if r + 1 < len(rows) else []
        filled = sum(1 for v in rows[r] if v not in (None, ""))
        if below and filled >= 2:  # a title line above the header is not half of it
            merged, last, negative = [], None, []
            for c in range(max(len(rows[r]), len(below))):
                top = rows[r][c] if c < len(rows[r]) else None
                last = top if top not in (None, "") else last
                bottom = below[c] if c < len(below) else None
                merged.append(f"{_cell_text(last) or ''} {_cell_text(bottom) or ''}"
                              if bottom not in (None, "") else top)
                if bottom not in (None, "") and fold_words(str(bottom)) in _NO_LABELS:
                    negative.append(c)
            two = _header_fields(merged, negative)
            if _is_header(two) and len(two) > max(len(fields), len(_header_fields(below))):
                return r + 1, two
        if _is_header(fields):
            return r, fields
    return -1, {}


def _is_numbering(cells: Sequence[Any]) -> bool:
    """The row under a header that numbers its columns — "(1) (2) (3) …", "1 2 3 …" or
    "A B C …" — as Vietnamese forms print it: not a person."""
    texts = [(_cell_text(v) or "").strip() for v in cells if v not in (None, "")]
    if len(texts) < 3:
        return False
    marks = [re.fullmatch(r"\(?\s*(\d{1,2}|[A-Za-z])\s*\)?", t) for t in texts]
    if not all(marks):
        return False
    numbers = [int(m.group(1)) for m in marks if m and m.group(1).isdigit()]
    return len(numbers) < 3 or all(b > a for a, b in itertools.pairwise(numbers))


def _is_subheader(cells: Sequence[Any]) -> bool:
    """A row of "Có" / "Không" under a header that splits each question in two columns:
    labels, not a person's answers (a person's row has an age or a year of birth)."""
    texts = {fold_words(str(v)) for v in cells if v not in (None, "")}
    return texts <= _SPLIT_WORDS and bool(texts & {"co", "da co"}) and bool(
        texts & {"khong", "chua co"})


_SPLIT_WORDS = {"co", "khong", "da co", "chua co", "co khong"}


def _data_start(rows: Sequence[Sequence[Any]], header: int) -> int:
    """The first row of data: below the header, and below the rows under it that split
    its questions ("Có", "Không") or number its columns ("(1) (2) …")."""
    start = header + 1
    while start < min(len(rows), header + 3) and (
            _is_subheader(rows[start]) or _is_numbering(rows[start])):
        start += 1
    return start


def _is_total(cells: Sequence[Any]) -> bool:
    """The row's first filled cell, within its first three, is a total's label (a person's
    row starts with its number or name)."""
    first = next((v for v in cells[:3] if v not in (None, "")), None)
    return isinstance(first, str) and bool(_TOTAL.match(first))


# --- cells ------------------------------------------------------------------------------

def _cell_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer():
            value = int(value)
        else:
            return repr(value)
    if isinstance(value, int):
        text = str(value)
        # a 12-digit CCCD typed into a number cell loses its leading zero(s)
        return text.zfill(12) if 10 <= len(text) <= 11 else text
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


# --- reading one file into a frame of strings --------------------------------------------

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
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise SourceError(f"không phải bảng tính hợp lệ ({type(exc).__name__})",
                          path.name) from None
    names = workbook.sheet_names
    parts = []
    for name in names:
        try:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception:
            raise SourceError(f"không đọc được trang “{name}”", path.name) from None
        part = _part_from_grid(path, name, rows, len(names) > 1)
        del rows  # the grid (with any names and phone numbers) is not kept
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


# --- normalising ------------------------------------------------------------------------

def _token(text: pl.Expr) -> pl.Expr:
    """A text yes/no cell, stripped and lower-cased. NFD spellings (files saved on a Mac)
    are in _YES/_NO: no per-row normalisation."""
    return text.cast(pl.String).str.strip_chars().str.to_lowercase()


def _spellings(tokens: Iterable[str]) -> list[str]:
    return sorted({form for t in tokens for form in (unicodedata.normalize("NFC", t),
                                                     unicodedata.normalize("NFD", t))})


def _as_written(tokens: list[str]) -> list[str]:
    """The tokens as cells write them ("x", "X", "Có", "KHÔNG"): looked up as they are."""
    return sorted({v for t in tokens for v in (t, t.upper(), t.capitalize())
                   if v and v.strip().lower() in tokens})


_YES = _spellings(YES)
_NO = _spellings(NO)
_YES_ANY_CASE = _as_written(_YES)
_NO_ANY_CASE = _as_written(_NO)


def _text_yesno(name: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """A text yes/no column: (yes, the cell cannot be read, the cell is filled).

    Most cells are written as a word of :data:`YES`/:data:`NO` in one of its usual cases
    ("x", "X", "Có"): one hash lookup reads them. Only the others (" x ", "CÓ RỒI") are
    stripped and lower-cased — that per-cell text work cost twice the lookups (0,5 s for
    7 columns of 3 million cells)."""
    raw = pl.col(name).cast(pl.String)
    written_yes = raw.is_in(_YES_ANY_CASE)
    written = (written_yes | raw.is_in(_NO_ANY_CASE) | (raw == "")).fill_null(True)
    token = _token(pl.when(~written).then(raw))  # null where the cell was read as written
    yes = (written_yes | token.is_in(_YES)).fill_null(False)
    unread = ~written & ~token.is_in(_YES + _NO).fill_null(True)
    filled = ((raw != "") & (token.fill_null("x") != "")).fill_null(False)
    return yes, unread, filled


def _yesno(name: str, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """A typed (Boolean or numeric) yes/no column: (value: True/False, ok: the cell is a
    yes/no, filled: the cell is not blank). Text columns are read by :func:`_text_yesno`."""
    col = pl.col(name)
    if dtype == pl.Boolean:
        return col.fill_null(False), pl.lit(True), col.is_not_null()
    return ((col.fill_null(0) == 1), col.is_null() | col.is_in([0, 1]), col.is_not_null())


def _age(schema: pl.Schema, year: int) -> pl.Expr:
    """The age in years, or null where no age can be read."""
    exprs = []
    survey_year = pl.lit(year, pl.Int32)
    if "age" in schema:
        dtype = schema["age"]
        if dtype.is_numeric():
            exprs.append(pl.col("age").cast(pl.Float64).floor().cast(pl.Int32, strict=False))
        else:
            # "45" by a cast (a year of birth written under "Tuổi", "1990", is one); the
            # rest — "45 tuổi", a date of birth — by a regex run on those cells alone (a
            # regex over every cell costs 0,4 s for 3 million, twenty times the cast)
            text = pl.col("age").cast(pl.String)
            plain = text.cast(pl.Int32, strict=False)
            rest = pl.when(plain.is_null()).then(text)
            exprs.append(pl.coalesce(
                pl.when(plain.is_between(1900, year)).then(survey_year - plain)
                .otherwise(plain),
                survey_year - _year_in(rest),
                rest.str.extract(r"([0-9]{1,3})").cast(pl.Int32, strict=False)))
    if "birth_year" in schema:
        dtype = schema["birth_year"]
        if dtype.is_numeric():
            born = pl.col("birth_year").cast(pl.Int32, strict=False)
        elif dtype in (pl.Date, pl.Datetime):
            born = pl.col("birth_year").dt.year().cast(pl.Int32)
        else:
            text = pl.col("birth_year").cast(pl.String)
            plain = text.cast(pl.Int32, strict=False)
            born = pl.when(plain.is_between(1900, 2099)).then(plain).otherwise(
                _year_in(pl.when(plain.is_null()).then(text)))
        exprs.append(survey_year - born)
    if not exprs:
        return pl.lit(None, pl.Int32)
    return pl.coalesce(exprs) if len(exprs) > 1 else exprs[0]


def _year_in(text: pl.Expr) -> pl.Expr:
    """The year (19xx, 20xx) written in a cell ("12/05/1990", "1990-05-12"), or null."""
    return text.str.extract(r"((?:19|20)[0-9]{2})").cast(pl.Int32, strict=False)


def _cccd_text(dtype: pl.DataType) -> pl.Expr:
    if dtype.is_numeric():
        return pl.col("cccd").cast(pl.Int64, strict=False).cast(pl.String).str.zfill(12)
    return pl.col("cccd").cast(pl.String)


def _cccd_number(dtype: pl.DataType) -> pl.Expr:
    """The CCCD cell as a number, ``_n``, computed once per row for :func:`_cccd`. A cast,
    not a regex per row (which costs more than reading the column)."""
    return _cccd_text(dtype).cast(pl.UInt64, strict=False).alias("_n")


def _cccd(dtype: pl.DataType, salt: int) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Reading ``_n`` (:func:`_cccd_number`): (has an ID, hash of a valid 12-digit number or
    null, the cell is a number but not 12 digits). The cast takes a leading "+", which the
    12-digit rule does not."""
    text, n = _cccd_text(dtype), pl.col("_n")
    valid = n.is_not_null() & (text.str.len_bytes() == 12) & ~text.str.starts_with("+")
    # "x", "có" in a CCCD column: looked up only where the cell is not a number
    has = n.is_not_null() | pl.when(n.is_null()).then(text).is_in(_YES_ANY_CASE) \
        .fill_null(False)
    return has, pl.when(valid).then(n.hash(seed=salt)), n.is_not_null() & ~valid


@dataclass
class SurveyFile:
    """What reading one survey file gave: counts only, never a cell's content."""

    path: Path
    period: str
    phase: str
    synthetic: bool
    rows: int = 0            # data rows met (blank rows excluded)
    people: int = 0          # rows kept
    rejected: int = 0        # rows that could not be read or lie outside the survey
    blank: int = 0           # rows with no field filled (spacers, page breaks)
    invalid_ids: int = 0     # CCCD cells that are a number but not 12 digits
    fields: tuple[str, ...] = ()
    error: str = ""


@dataclass
class Survey:
    """Every survey file read: one row per person (no personal data) and the reading report."""

    people: pl.DataFrame
    files: list[SurveyFile]
    rejects: pl.DataFrame                  # file, sheet, row, column, reason
    duplicates: pl.DataFrame               # per commune: the people counted twice (a count)
    findings: list[Finding] = field(default_factory=list)
    grains: pl.DataFrame | None = None     # sums per file and place (duplicates taken out)
    places: pl.DataFrame | None = None     # place -> units, and the location as written

    def located(self) -> pl.DataFrame:
        """The people with unit codes and canonical names, and the location as written
        (``written_<field>``)."""
        return self.people.join(self.places, on="place", how="left")

    @property
    def quality(self) -> pl.DataFrame:
        """Per file: rows, people, rejected, blank, invalid IDs (no personal data)."""
        return pl.DataFrame(
            [{"file": f.path.name, "period": f.period, "phase": f.phase,
              "synthetic": f.synthetic, "rows": f.rows, "people": f.people,
              "rejected": f.rejected, "blank": f.blank, "invalid_ids": f.invalid_ids,
              "error": f.error} for f in self.files],
            schema={"file": pl.String, "period": pl.String, "phase": pl.String,
                    "synthetic": pl.Boolean, "rows": pl.Int64, "people": pl.Int64,
                    "rejected": pl.Int64, "blank": pl.Int64, "invalid_ids": pl.Int64,
                    "error": pl.String})


#: One row per person. ``place`` is a key to :attr:`Survey.places`: the units of the
#: location as the file wrote it (or its title or name gave it), resolved once per place;
#: :meth:`Survey.located` joins them — no per-person string is kept, which is what keeps
#: 3 million rows fast and small.
PEOPLE_SCHEMA: dict[str, pl.DataType] = {
    "file": pl.Categorical, "row": pl.UInt32, "period": pl.Categorical,
    "phase": pl.Categorical, "synthetic": pl.Boolean, "place": pl.UInt64, "age": pl.Int32,
    "has_cccd": pl.Boolean, **{f: pl.Boolean for f in YESNO_FIELDS}, "duplicate": pl.Boolean,
}
UNIT_COLUMNS = ("district_code", "district_name", "commune_code", "commune_name",
                "village_code", "village_name")
REJECT_SCHEMA = {"file": pl.String, "sheet": pl.String, "row": pl.UInt32,
                 "column": pl.String, "reason": pl.String}


def _phase_of(path: Path, phase: str) -> str:
    folded = fold_words(path.stem)
    if "truoc trien khai" in folded:
        return "before"
    if "sau trien khai" in folded:
        return "after"
    return phase


def _period_of(path: Path, period: str | None) -> str:
    m = re.search(r"(20\d\d)", path.stem)
    return m.group(1) if m else (period or "")


def _normalise(part: _Part, info: SurveyFile, salt: int
               ) -> tuple[pl.LazyFrame, pl.LazyFrame | None]:
    """Lazily: (rows with the fields read, ``_bad``/``_blank`` flags, the reasons a row
    cannot be read as ``_r_<field>`` flags (and a CSV's ``_total`` row), a ``place`` key — a
    hash of the location as written — and, for text files, that location; for Parquet, the
    location of each place, read on its own)."""
    schema = part.frame.collect_schema()
    year = int(info.period) if info.period.isdigit() else date.today().year
    text_fields = [f for f in YESNO_FIELDS if f in schema and schema[f] != pl.Boolean
                   and not schema[f].is_numeric()]
    split = [f for f in text_fields if f"{f}_no" in schema]
    age = _age(schema, year)
    location = [
        pl.col(f).cast(pl.String).alias(f) if f in schema
        else pl.lit(part.context.get(f), pl.String).alias(f) for f in LOCATION_FIELDS]
    # each text yes/no cell is read once: whether it says yes, cannot be read, is filled
    read_text = {f: _text_yesno(f) for f in text_fields + [f"{f}_no" for f in split]}
    prepared = part.frame.with_columns(location).with_columns(
        *(e.alias(f"_{k}_{f}") for f, exprs in read_text.items()
          for k, e in zip("yuf", exprs, strict=True)), age.alias("_age"),
        *([_cccd_number(schema["cccd"])] if "cccd" in schema else []))
    exprs: list[pl.Expr] = []
    reasons: dict[str, pl.Expr] = {}
    filled: list[pl.Expr] = []
    for f in YESNO_FIELDS:
        if f in split:
            # "x" under "Có" is yes, under "Không" no; neither is no answer (not counted),
            # both cannot be read
            marked_yes, marked_no = pl.col(f"_y_{f}"), pl.col(f"_y_{f}_no")
            exprs.append(pl.when(marked_yes != marked_no).then(marked_yes).alias(f))
            reasons[f] = pl.col(f"_u_{f}")
            reasons[f"{f}_no"] = pl.col(f"_u_{f}_no")
            reasons[f"{f}_both"] = marked_yes & marked_no
            filled += [pl.col(f"_f_{f}"), pl.col(f"_f_{f}_no")]
        elif f in text_fields:
            exprs.append(pl.col(f"_y_{f}").alias(f))
            reasons[f] = pl.col(f"_u_{f}")
            filled.append(pl.col(f"_f_{f}"))
        elif f in schema:
            value, ok, is_filled = _yesno(f, schema[f])
            exprs.append(value.alias(f))
            reasons[f] = ~ok
            filled.append(is_filled)
        else:
            exprs.append(pl.lit(None, pl.Boolean).alias(f))
    age = pl.col("_age")
    exprs.append(age.alias("age"))
    if "cccd" in schema:
        has, hashed, bad_id = _cccd(schema["cccd"], salt)
        exprs += [has.alias("has_cccd"), hashed.alias("_id"), bad_id.alias("_bad_id")]
        filled.append(pl.col("cccd").is_not_null())
    else:
        exprs += [pl.lit(None, pl.Boolean).alias("has_cccd"),
                  pl.lit(None, pl.UInt64).alias("_id"), pl.lit(False).alias("_bad_id")]
    for f in ("age", "birth_year"):
        if f in schema:
            filled.append(pl.col(f).is_not_null())
    reasons["age"] = age.is_null()
    reasons["age_range"] = (age < MIN_AGE) | (age > MAX_AGE)
    reasons["commune"] = pl.col("commune").is_null() & pl.col("commune_code").is_null()
    blank = ~pl.any_horizontal(filled) if filled else pl.lit(True)
    # a flag per reason, kept with the rows (bits: 3 million take 0,4 MB), so that the
    # unreadable rows' reasons come out of the same pass — a query of their own would read
    # the file again (2 s more for a CSV of 3 million rows with one row to correct)
    why = [f"_r_{f}" for f in reasons]
    flagged = prepared.with_columns(
        *(r.fill_null(False).alias(n) for n, r in zip(why, reasons.values(), strict=True)),
        blank.alias("_blank")).with_columns(pl.any_horizontal(why).alias("_bad"))
    if "_label" in schema:
        # a CSV's total row ("Cộng", "Tổng cộng") is unreadable as a person, and not
        # reported: its label is tested among the unreadable rows only
        why.append("_total")
        flagged = flagged.with_columns(pl.when("_bad").then(pl.col("_label")).str.contains(
            f"(?i){_TOTAL_RAW}").fill_null(False).alias("_total"))
    # the place key: per level the code column where the file has one, else the name;
    # one hash per column, combined (a struct hash of six strings costs more than the read)
    keys = [code if code in schema else name for name, code in
            (("district", "district_code"), ("commune", "commune_code"),
             ("village", "village_code"))]
    hashes = [pl.col(k).hash(seed=i + 1) if k in schema  # a file-wide value is hashed once
              else pl.lit(part.context.get(k), pl.String).hash(seed=i + 1)
              for i, k in enumerate(keys)]
    place = functools.reduce(lambda a, b: a ^ b, hashes).alias("place")
    if part.columnar:
        # Parquet: the location text is read again, on its own, for the first row of each
        # place only — cheaper than carrying six text columns through 3 million rows (the
        # people keep the 64-bit key alone)
        names = part.frame.with_columns(location).select("_row", *LOCATION_FIELDS)
        return flagged.select("_row", "_bad", "_blank", *exprs, place, *why), names
    # text is parsed once: the location rides along (as categories: a few thousand names
    # held once, not six text columns of 3 million rows) and the sums take each place's name
    return flagged.select("_row", "_bad", "_blank", *exprs, place, *why,
                          *(pl.col(f).cast(pl.Categorical) for f in LOCATION_FIELDS)), None


def survey_files(paths: Iterable[str | Path]) -> list[Path]:
    """Survey files among paths: a folder's ``survey/`` subfolders (or the folder itself when
    it is named ``survey``), and files given by name that are Parquet or under a survey
    folder."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            roots = [p] if SURVEY_FOLDER in p.resolve().parts else sorted(
                d for d in p.rglob(SURVEY_FOLDER) if d.is_dir())
            for root in roots:
                found.extend(sorted(
                    f for f in root.rglob("*") if f.is_file()
                    and f.suffix.lower() in SURVEY_SUFFIXES
                    and not f.name.startswith(("~$", "."))))
        elif is_survey_path(p):
            found.append(p)
    return list(dict.fromkeys(found))


def is_survey_path(path: Path) -> bool:
    """A file that is survey microdata by its place or kind (not a template table)."""
    path = Path(path)
    return path.suffix.lower() == ".parquet" or SURVEY_FOLDER in path.parent.parts


@dataclass(eq=False)
class _FileRead:
    """One survey file after its pass: the people (location as a key), the sums per place,
    the unreadable rows, and — for Parquet — the location text of each place's first row,
    still being read. Compared by identity (``r not in kept``): field-wise equality would
    compare data frames."""

    info: SurveyFile
    people: pl.DataFrame
    sums: pl.DataFrame
    rejects: pl.DataFrame | None
    names: Future[pl.DataFrame] | None = None


def _read_file(info: SurveyFile, salt: int, background: Executor,
               lossy: bool = False) -> _FileRead | None:
    """One pass over a survey file; None (with ``info.error``) when it cannot be read."""
    path = info.path
    try:
        parts = _parts(path, lossy)
    except SourceError as exc:
        info.error = exc.reason
        return None
    if not parts:
        info.error = ("không tìm thấy bảng khảo sát (cần dòng tiêu đề có các cột như "
                      "“Điện thoại thông minh”, “Tài khoản ngân hàng”, “Tuổi”)")
        return None
    info.synthetic = info.synthetic or any(
        SYNTHETIC_MARK in fold_words(" ".join(p.context.values())) for p in parts)
    frames, named = [], []
    for i, part in enumerate(parts):
        rows, names = _normalise(part, info, salt)
        frames.append(rows.with_columns(pl.lit(i, pl.UInt16).alias("_part"))
                      if len(parts) > 1 else rows)
        named.append(names)
    why = sorted({c for f in frames for c in f.collect_schema()
                  if c.startswith("_r_") or c in ("_total", "_part")})
    lazy = pl.concat(frames, how="diagonal_relaxed")
    # one pass over the file: the rows (no location text) and the sums per place;
    # duplicates are taken out of the sums afterwards
    people_q = lazy.select(*_ROW_COLUMNS, _top_bits(pl.col("_id")).alias("_top"), *why)
    columnar = named[0] is not None  # Parquet: one part
    # a field every part has in one column is never null (a split question left unmarked,
    # or a missing column, is no answer)
    answered = {f for f in YESNO_FIELDS
                if all(f in p.fields and f"{f}_no" not in p.fields for p in parts)}
    sums_q = lazy.group_by("place").agg(
        *_sums(~pl.col("_bad") & ~pl.col("_blank"), answered),
        pl.col("_row").first().alias("_first") if columnar else
        pl.col(LOCATION_FIELDS).first())
    names_q = None
    try:
        found, sums = pl.collect_all([people_q, sums_q])
        if columnar:
            names_q = named[0].filter(pl.col("_row").is_in(sums["_first"].implode()))
        else:
            sums = sums.with_columns(pl.col(LOCATION_FIELDS).cast(pl.String))
        blank = found["_blank"]
        bad = found["_bad"] & ~blank
        rejects = _rejects(found.filter(bad), path, parts) if bad.any() else None
    except (pl.exceptions.PolarsError, OSError) as exc:
        if not lossy and path.suffix.lower() == ".csv" and "utf-8" in str(exc):
            # a byte that is not UTF-8 beyond the head read to tell the encoding: read
            # again, each such byte replaced by "�" (a yes/no or age cell it spoils makes
            # its row unreadable)
            return _read_file(info, salt, background, lossy=True)
        info.error = _unreadable(exc)
        return None
    info.blank = int(blank.sum())
    if info.blank or rejects is not None:
        found = _without_rows(found, blank | bad)
    info.fields = tuple(sorted({f for p in parts for f in p.fields if not f.endswith("_no")}))
    info.people = found.height
    info.rejected = rejects.select("sheet", "row").n_unique() if rejects is not None else 0
    info.invalid_ids = int(found["_bad_id"].sum())
    info.rows = info.people + info.rejected
    constants = [pl.lit(path.name, pl.Categorical).alias("file"),
                 pl.lit(info.period, pl.Categorical).alias("period"),
                 pl.lit(info.phase, pl.Categorical).alias("phase"),
                 pl.lit(info.synthetic).alias("synthetic")]
    # the location text is read on both cores while the duplicates are searched on one
    return _FileRead(info, found.drop("_bad", "_blank", *why).with_columns(constants),
                     sums.with_columns(constants), rejects,
                     background.submit(names_q.collect) if names_q is not None else None)


def _without_rows(frame: pl.DataFrame, drop: pl.Series) -> pl.DataFrame:
    """``frame`` less the rows marked in ``drop``. A few rows — a district's file has tens to
    correct among millions — are cut out by slices, which copy nothing; a filter copies
    every column (13–20 ms and 80 MB for 3 million people)."""
    at = drop.arg_true()
    if len(at) > 1000:
        return frame.filter(~drop)
    pieces, start = [], 0
    for i in at.to_list():
        if i > start:
            pieces.append(frame.slice(start, i - start))
        start = i + 1
    if start < frame.height:
        pieces.append(frame.slice(start))
    return pl.concat(pieces, rechunk=False) if pieces else frame.clear()


def _rejects(unread: pl.DataFrame, path: Path, parts: list[_Part]) -> pl.DataFrame:
    """The cells of the unreadable rows (:func:`_reasons`), part by part, less a CSV's total
    row."""
    if "_total" in unread.columns:
        unread = unread.filter(~pl.col("_total"))
    out = []
    for i, part in enumerate(parts):
        rows = unread.filter(pl.col("_part") == i) if "_part" in unread.columns else unread
        out.append(_reasons(rows.select("_row", "place", *(
            pl.col(c).fill_null(False) for c in rows.columns if c.startswith("_r_"))),
            path, part))
    return pl.concat(out)


def _unreadable(exc: Exception) -> str:
    return f"không đọc được nội dung ({type(exc).__name__})"


def _with_names(read: _FileRead) -> bool:
    """The sums of a Parquet file given the location text of each place (False, with
    ``info.error``, when that text cannot be read)."""
    if read.names is None:
        return True
    try:
        names = read.names.result()
    except (pl.exceptions.PolarsError, OSError) as exc:
        read.info.error = _unreadable(exc)
        return False
    read.sums = read.sums.join(names, left_on="_first", right_on="_row",
                               how="left").drop("_first")
    read.names = None
    return True


def read_surveys(paths: Iterable[str | Path], phase: str = "after",
                 period: str | None = None) -> Survey:
    """Read survey files: files given by name, and the survey files of folders (see
    :func:`survey_files`).

    Parameters
    ----------
    phase : "after" (default) or "before": when the survey was made relative to rollout
    period : the period when a file's name gives no year
    """
    salt = random.SystemRandom().getrandbits(63)
    files: list[SurveyFile] = []
    reads: list[_FileRead] = []
    problems: list[Finding] = []
    paths = [Path(p) for p in paths]
    named = [p for p in paths if not p.is_dir()]
    with ThreadPoolExecutor(max_workers=1) as background:
        for path in list(dict.fromkeys(named + survey_files(p for p in paths if p.is_dir()))):
            info = SurveyFile(path, _period_of(path, period), _phase_of(path, phase),
                              is_synthetic(path))
            files.append(info)
            read = _read_file(info, salt, background)
            if read is None:
                problems.append(_load_error(info.error, info))
            else:
                reads.append(read)
        frame = _people(reads)
        later = _counted_before(frame["_id"], frame["_top"])
        kept = [read for read in reads if _with_names(read)]
    if len(kept) < len(reads):  # a Parquet file whose location text could not be read
        problems += [_load_error(r.info.error, r.info) for r in reads if r not in kept]
        reads = kept
        frame = _people(reads)
        later = _counted_before(frame["_id"], frame["_top"])
    if reads:
        summed = pl.concat([r.sums for r in reads], how="diagonal_relaxed")
    else:
        summed = pl.DataFrame(schema={
            "place": pl.UInt64, **{f"{c}_{p}": pl.UInt32 for c in SURVEY_INDICATORS
                                   for p in ("num", "den")},
            **{c: pl.String for c in LOCATION_FIELDS}, "file": pl.Categorical,
            "period": pl.Categorical, "phase": pl.Categorical, "synthetic": pl.Boolean})
    # the few thousand places are resolved to units once, for the duplicates and the sums
    place_table = _locate_places(summed.select("place", *LOCATION_FIELDS)
                                 .unique("place", keep="any").sort("place"))
    for read in reads:  # told by the unit the rows' places resolve to
        if read.rejects is not None:
            problems += _reject_findings(read.rejects, read.info, place_table)
    frame = frame.with_columns(_column_like(frame, "duplicate", later))
    repeated = frame[later]
    invalid = frame.lazy().filter("_bad_id").select("place").collect()
    counts = pl.concat([repeated.select("place", pl.lit(1).alias("duplicates"),
                                        pl.lit(0).alias("invalid_ids")),
                        invalid.select("place", pl.lit(0).alias("duplicates"),
                                       pl.lit(1).alias("invalid_ids"))])
    duplicates = counts.join(place_table, on="place", how="left").group_by(
        ["district_code", "commune_code", "commune_name"]).agg(
        pl.col("duplicates").sum(), pl.col("invalid_ids").sum()).sort("commune_code")
    frame = frame.rename({"_row": "row"}).select(list(PEOPLE_SCHEMA))  # drops the ID hash
    grains_frame = _without(summed.drop(LOCATION_FIELDS), repeated)
    rejects = [r.rejects for r in reads if r.rejects is not None]
    reject_frame = pl.concat(rejects).select(list(REJECT_SCHEMA)) if rejects \
        else pl.DataFrame(schema=REJECT_SCHEMA)
    return Survey(frame, files, reject_frame, duplicates, problems, grains_frame, place_table)


def _people(reads: list[_FileRead]) -> pl.DataFrame:
    if reads:
        return pl.concat([r.people for r in reads], how="diagonal_relaxed")
    return pl.DataFrame(schema={
        "_row": pl.UInt32, **{f: pl.Boolean for f in YESNO_FIELDS}, "age": pl.Int32,
        "has_cccd": pl.Boolean, "_id": pl.UInt64, "_top": pl.UInt32, "_bad_id": pl.Boolean,
        "place": pl.UInt64, "file": pl.Categorical, "period": pl.Categorical,
        "phase": pl.Categorical, "synthetic": pl.Boolean})


_ROW_COLUMNS = ("_row", "_bad", "_blank", *YESNO_FIELDS, "age", "has_cccd", "_id", "_bad_id",
                "place")


def _without(summed: pl.DataFrame, repeated: pl.DataFrame) -> pl.DataFrame:
    """The sums per file and place less the rows of people counted a second time."""
    if repeated.is_empty():
        return summed
    keys = ["file", "place"]
    less = repeated.group_by(keys).agg(*_sums())
    parts = [c for c in less.columns if c not in keys]
    return summed.join(less, on=keys, how="left", suffix="_less").with_columns(
        (pl.col(c) - pl.col(f"{c}_less").fill_null(0)).alias(c) for c in parts
    ).drop(f"{c}_less" for c in parts)


def _column_like(frame: pl.DataFrame, name: str, rows: pl.Series) -> pl.Series:
    """A Boolean column, true at the positions ``rows``, cut into the chunks of ``frame``'s
    columns. A Parquet file reads into a chunk per row group; a column of one chunk beside
    them makes polars copy every column into one chunk at the next select (20–35 ms for 3
    million people)."""
    marks = pl.repeat(False, frame.height, eager=True).alias(name)
    if len(rows):
        marks = marks.scatter(rows, True)
    column, start = None, 0
    for chunk in frame.get_column(frame.columns[0]).get_chunks():
        part = marks.slice(start, len(chunk))  # a view, not a copy
        start += len(chunk)
        column = part if column is None else column.append(part)
    return column if column is not None else marks


def _top_bits(ids: pl.Expr | pl.Series) -> pl.Expr | pl.Series:
    """The top 32 bits of 64-bit ID hashes (null where the ID is)."""
    return (ids // (1 << 32)).cast(pl.UInt32)


def _counted_before(ids: pl.Series, top: pl.Series) -> pl.Series:
    """Positions (ascending) of the rows whose valid ID appeared on an earlier row; ``top``:
    :func:`_top_bits` of ``ids``, computed in the file's pass.

    Only the top bits are sorted (numpy sorts 32-bit integers with SIMD instructions, in
    half the time of a 64-bit sort of hash and position); rows whose top bits no other row
    shares cannot be repeats. The few others — the repeats, and IDs that share their top
    bits by chance, about a thousand in three million — are compared on the whole hash, in
    row order. Nothing goes from numpy back to polars but those few values: a numpy array
    made a polars Series costs an import of numpy.ma (20 ms) on a process's first call."""
    none = pl.Series(dtype=pl.get_index_type())
    if ids.is_empty() or ids.null_count() == len(ids):
        return none
    ordered = top.drop_nulls().to_numpy()  # a copy, when the column has chunks
    if ordered.flags.writeable:
        ordered.sort()
    else:
        ordered = np.sort(ordered)
    again = ordered[1:] == ordered[:-1]
    if not again.any():
        return none
    shared = pl.Series(np.unique(ordered[1:][again]).tolist(), dtype=pl.UInt32)
    index = top.is_in(shared.implode()).fill_null(False).arg_true()
    return index.filter(~ids.gather(index).is_first_distinct())


_REASON_TEXT = {"age_range": f"tuổi ngoài phạm vi khảo sát ({MIN_AGE}–{MAX_AGE})",
                "commune": "không rõ xã",
                **{f"{f}_both": "đánh dấu cả “Có” và “Không”" for f in YESNO_FIELDS}}
#: What the finding says of the rows, by reason (else "có ô không đọc được").
_REJECT_WHAT = {**_REASON_TEXT, "age_range": f"có {_REASON_TEXT['age_range']}"}


def _reasons(why: pl.DataFrame, path: Path, part: _Part) -> pl.DataFrame:
    """file, sheet, row, column, reason — one row per unreadable cell (no cell content) —
    and, for the findings, ``_field``, the column's ``_letter`` and the row's ``place``."""
    flags = [c for c in why.columns if c.startswith("_r_")]
    long = why.unpivot(index=["_row", "place"], on=flags).filter(pl.col("value"))
    field_of = pl.col("variable").str.strip_prefix("_r_")
    # the age is read from "Tuổi", else from "Năm sinh": the column to correct is that one
    age_from = "age" if "age" in part.fields or "birth_year" not in part.fields \
        else "birth_year"
    column = field_of.replace({"age_range": age_from, "age": age_from}) \
        .str.strip_suffix("_both")
    return long.select(
        pl.lit(path.name).alias("file"), pl.lit(part.sheet).alias("sheet"),
        pl.col("_row").alias("row"),
        column.replace_strict(FIELD_VI, default=column).alias("column"),
        field_of.replace_strict(_REASON_TEXT, default="không đọc được").alias("reason"),
        field_of.alias("_field"),
        column.replace_strict(part.letters, default="").alias("_letter"), "place",
    ).sort("row", "column")


_SURVEY_FIX = ("Gửi lại tệp khảo sát (.xlsx, .csv hoặc .parquet) có một dòng tiêu đề gồm các cột "
               "như “Tuổi”/“Năm sinh”, “Điện thoại thông minh”, “Tài khoản ngân hàng”, "
               "“Tài khoản VNeID”, “Chữ ký điện tử”, “Xã”, “Thôn”.")
_SPLIT_FIX = ("Mỗi câu hỏi chỉ đánh dấu “x” vào một trong hai cột: “Có” khi người được hỏi đã "
              "có, “Không” khi chưa có, ở các dòng đã nêu.")
#: What to correct in the rows a survey file could not have read, by reason (else
#: :data:`_YESNO_FIX`).
_REJECT_FIX = {
    "age": "Ghi tuổi bằng số (ví dụ 45) hoặc năm sinh (ví dụ 1980) ở các dòng đã nêu.",
    "age_range": (f"Kiểm tra tuổi hoặc năm sinh ở các dòng đã nêu: khảo sát gồm người từ "
                  f"{MIN_AGE} tuổi trở lên; dòng của người dưới {MIN_AGE} tuổi không cần ghi."),
    "commune": ("Ghi tên xã ở cột “Xã”, hoặc ở dòng tiêu đề phía trên bảng "
                "(ví dụ “UBND xã Nga Liên, huyện Nga Sơn”)."),
    **{f"{f}_both": _SPLIT_FIX for f in YESNO_FIELDS},
}
_YESNO_FIX = ("Ghi “x” hoặc “có” khi người được hỏi đã có; để trống hoặc ghi “không” khi chưa "
              "có, ở các dòng đã nêu.")


def _load_error(detail: str, info: SurveyFile) -> Finding:
    """A survey file that could not be read, told to the district its name gives."""
    context = _context_from_name(info.path)
    district_code, district_name, *_ = _resolve_upper(
        context.get("district"), None, context.get("commune"), None)
    finding = fnd.make("load_error", {"detail": detail}, source=info.path.name,
                       period=info.period, synthetic=info.synthetic,
                       unit_code=district_code or "", unit_name=district_name or "")
    return dataclasses.replace(finding, fix=_SURVEY_FIX)


def _unit_names(located: pl.DataFrame) -> str:
    """The communes of some rows, as a reader names them ("Xã Nga Liên, Xã Nga Thạch")."""
    names = []
    for code, name in located.select("commune_code", "commune_name").unique() \
            .drop_nulls("commune_name").sort("commune_code").iter_rows():
        try:
            names.append(units_mod.by_code(code).full_name)
        except UnknownUnitError:
            names.append(name)
    return ", ".join(names[:3]) + (", …" if len(names) > 3 else "")


def _reject_findings(rejects: pl.DataFrame, info: SurveyFile,
                     places: pl.DataFrame) -> list[Finding]:
    """One ``unparseable`` finding per file, sheet and column: how many rows and which (no
    content), the cell to correct, what to write there, and — where the rows lie in one
    district — that district, so that its report shows them."""
    located = rejects.join(places.select("place", "district_code", "district_name",
                                         "commune_code", "commune_name"),
                           on="place", how="left")
    out = []
    for (field_, sheet), group in located.group_by(["_field", "sheet"], maintain_order=True):
        rows = group["row"].unique().sort().to_list()
        shown = ", ".join(str(r) for r in rows[:8]) + (", …" if len(rows) > 8 else "")
        what = _REJECT_WHAT.get(field_, "có ô không đọc được")
        letter, header = group["_letter"][0], group["column"][0]
        spreadsheet = bool(re.fullmatch(r"[A-Z]{1,3}", letter))
        column = (f" ở cột {letter} “{header}”" if spreadsheet else f" ở cột “{header}”") \
            if field_ != "commune" or letter else ""
        communes = _unit_names(group)
        where = info.path.name + (f" ({communes})" if communes else "") + \
            (f", trang “{sheet}”" if sheet else "")
        message = (f"Tệp khảo sát {where}: {format_int(len(rows))} dòng {what}{column} "
                   f"(dòng {shown}); các dòng này không được tính vào chỉ tiêu.")
        districts = group.select("district_code", "district_name").unique() \
            .drop_nulls("district_code")
        unit_code, unit_name = districts.row(0) if districts.height == 1 else ("", "")
        base = field_.removesuffix("_both").removesuffix("_no")
        indicator = next((code for code, (f, _, _) in SURVEY_INDICATORS.items()
                          if f == base), "")
        cell = f"{letter}{rows[0]}" if spreadsheet else f"dòng {rows[0]}"
        finding = fnd.make("unparseable", {"raw": message}, indicator=indicator,
                           phase=info.phase, period=info.period, synthetic=info.synthetic,
                           unit_code=unit_code, unit_name=unit_name or "",
                           source="!".join(p for p in (info.path.name, sheet, cell) if p))
        out.append(dataclasses.replace(finding, message=message,
                                       fix=_REJECT_FIX.get(field_, _YESNO_FIX)))
    return out


# --- units ------------------------------------------------------------------------------

def _slug(text: str) -> str:
    return fold_words(text).replace(" ", "-")


_UPPER = ("district", "district_code", "commune", "commune_code")
_UNIT_COLUMNS = {f"u_{c}": c for c in UNIT_COLUMNS}


def _locate(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the location as written replaced by unit codes and canonical names
    (district_code/_name, commune_code/_name, village_code/_name)."""
    return _locate_places(frame).drop(f"written_{f}" for f in LOCATION_FIELDS)


def _locate_places(places: pl.DataFrame) -> pl.DataFrame:
    """The place table (``place`` and the location as written) with the units it resolves
    to; the columns as written are renamed ``written_<field>``."""
    written = list(LOCATION_FIELDS)
    out = places.join(_resolve_combos(places.select(written)), on=written, how="left",
                      nulls_equal=True)
    return out.rename({f: f"written_{f}" for f in written}).rename(_UNIT_COLUMNS)


def _resolve_combos(combos: pl.DataFrame) -> pl.DataFrame:
    """Per (district, commune, village) as written: those columns, then ``u_district_code``
    … ``u_village_name``. Units are matched once per distinct (district, commune) — a few
    hundred in a province — and villages are named column-wise."""
    written = list(LOCATION_FIELDS)
    combos = combos.unique().with_columns(  # a blank cell is no value
        pl.when(pl.col(f).str.strip_chars() != "").then(pl.col(f)).alias(f"_in_{f}")
        for f in written)
    upper_keys = [f"_in_{f}" for f in _UPPER]
    upper = combos.select(upper_keys).unique()
    found = pl.DataFrame([_resolve_upper(*combo) for combo in upper.iter_rows()],
                         schema={f"u_{c}": pl.String for c in UNIT_COLUMNS[:4]}, orient="row")
    out = combos.join(pl.concat([upper, found], how="horizontal"), on=upper_keys, how="left",
                      nulls_equal=True)
    names = {v: nfc(v) for v in out["_in_village"].drop_nulls().unique()}
    slugs = {v: _slug(n) for v, n in names.items()}
    village, code = pl.col("_in_village"), pl.col("_in_village_code").str.strip_chars()
    return out.select(
        *written, *(f"u_{c}" for c in UNIT_COLUMNS[:4]),
        pl.when(code.is_not_null()).then(code)
        .when(village.is_not_null()).then(pl.concat_str(
            pl.col("u_commune_code"), pl.lit("-"),
            village.replace_strict(slugs, default=None, return_dtype=pl.String)))
        .alias("u_village_code"),
        pl.when(village.is_not_null())
        .then(village.replace_strict(names, default=None, return_dtype=pl.String))
        .otherwise(code).alias("u_village_name"))


@functools.lru_cache(maxsize=4096)
def _district(code: str | None, name: str | None) -> units_mod.Unit | None:
    if code:
        try:
            return units_mod.by_code(code.strip())
        except UnknownUnitError:
            pass
    if name:
        try:
            unit = units_mod.match(nfc(name), level="district")
            return unit if unit.level == "district" else None
        except UnknownUnitError:
            return None
    return None


@functools.lru_cache(maxsize=65536)
def _commune(name: str, district_code: str | None) -> units_mod.Unit | None:
    try:
        unit = units_mod.match(name, level="commune")
    except UnknownUnitError:
        return None
    if unit.level != "commune" or (district_code and unit.parent_code != district_code):
        return None
    return unit


@functools.lru_cache(maxsize=65536)
def _resolve_upper(district: str | None, district_code: str | None, commune: str | None,
                   commune_code: str | None) -> tuple[str | None, ...]:
    """(district code, district name, commune code, commune name) of one (district,
    commune) as written: GSO codes where units.csv knows the unit, else
    ``<district code>-<slug>`` for a commune."""
    unit = _district(district_code, district)
    commune_name = nfc(commune) if commune else None
    commune_code = commune_code.strip() if commune_code else None
    known = None
    if commune_name and not commune_code:
        known = _commune(commune_name, unit.code if unit else None)
    if known is not None:
        commune_code, commune_name = known.code, known.name
        if unit is None:
            unit = units_mod.by_code(known.parent_code)
    elif commune_name:
        commune_name = re.sub(r"^(?i:xã|phường|thị trấn)\s+", "", commune_name)
        if not commune_code:
            commune_code = f"{unit.code if unit else 'x'}-{_slug(commune_name)}"
    elif commune_code:
        commune_name = commune_code
    return (unit.code if unit else None, unit.name if unit else None, commune_code,
            commune_name)


# --- indicators -------------------------------------------------------------------------

_LEVEL_KEYS = {
    "village": ("village_code", "village_name"),
    "commune": ("commune_code", "commune_name"),
    "district": ("district_code", "district_name"),
}


def _sums(counted: pl.Expr | None = None, answered: Collection[str] = ()) -> list[pl.Expr]:
    """Numerator and denominator of each survey indicator, over the rows ``counted``.
    ``answered``: fields never null in these rows, whose denominators are then the same for
    the same minimum age (two masks, not four: 8% of a Parquet file's pass)."""
    sums = []
    for code, (f, min_age, _) in SURVEY_INDICATORS.items():
        eligible = pl.col("age") >= min_age
        if f not in answered:
            eligible = eligible & pl.col(f).is_not_null()
        if counted is not None:
            eligible = counted & eligible
        sums += [(eligible & pl.col(f)).sum().alias(f"{code}_num"),
                 eligible.sum().alias(f"{code}_den")]
    return sums


_GRAIN = ["file", "period", "phase", "synthetic", *LOCATION_FIELDS]


def aggregate(people: Survey | pl.DataFrame | pl.LazyFrame,
              levels: Sequence[str] = LEVELS) -> pl.DataFrame:
    """Numerators and denominators of the survey indicators per unit, long format.

    Columns: unit_level, unit_code, unit_name, period, phase, synthetic, indicator,
    numerator, denominator, files. One pass over the people, grouped by the location as
    written; units are resolved on those few thousand groups, then summed per level.
    """
    if isinstance(people, Survey):
        base = people.grains.join(people.places.drop(f"written_{f}" for f in LOCATION_FIELDS),
                                  on="place", how="left")
    else:  # a people table with the location columns as written
        base = _locate(people.lazy().filter(~pl.col("duplicate")).group_by(_GRAIN)
                       .agg(*_sums()).collect())
    parts = [f"{c}_{p}" for c in SURVEY_INDICATORS for p in ("num", "den")]
    out = []
    for level in levels:
        code_col, name_col = _LEVEL_KEYS[level]
        keys = ["period", "phase", "synthetic", code_col, name_col]
        sub = base.filter(pl.col(code_col).is_not_null())
        if sub.is_empty():
            continue
        agg = sub.group_by(keys).agg(*(pl.col(c).sum() for c in parts),
                                     pl.col("file").unique().sort().alias("files"))
        long = agg.unpivot(index=[*keys, "files"], on=parts).with_columns(
            pl.col("variable").str.slice(0, 4).alias("indicator"),
            pl.col("variable").str.slice(5).alias("part")).drop("variable")
        wide = long.pivot(on="part", index=[*keys, "files", "indicator"], values="value")
        out.append(wide.rename({code_col: "unit_code", name_col: "unit_name",
                                "num": "numerator", "den": "denominator"})
                   .with_columns(pl.lit(level).alias("unit_level")))
    if not out:
        return pl.DataFrame(schema={"unit_level": pl.String, "unit_code": pl.String,
                                    "unit_name": pl.String, "period": pl.String,
                                    "phase": pl.String, "synthetic": pl.Boolean,
                                    "indicator": pl.String, "numerator": pl.Int64,
                                    "denominator": pl.Int64, "files": pl.List(pl.String)})
    return pl.concat(out, how="diagonal_relaxed").select(
        "unit_level", "unit_code", "unit_name", "period", "phase", "synthetic", "indicator",
        "numerator", "denominator", "files").sort(["unit_level", "unit_code", "indicator"])


def _source(files: list[str]) -> str:
    if len(files) <= 3:
        return ", ".join(files)
    return f"{', '.join(files[:3])}, … ({len(files)} tệp khảo sát)"


def indicators(survey: Survey | pl.DataFrame, catalog: Catalog | None = None,
               levels: Sequence[str] = LEVELS) -> pl.DataFrame:
    """The survey's indicators as observations (:data:`bakhong.load.OBSERVATION_SCHEMA`),
    ``origin`` = "survey", ``source`` naming the survey file(s)."""
    catalog = catalog or load_catalog()
    agg = aggregate(survey, levels).filter(pl.col("denominator") > 0)
    rows = []
    for r in agg.iter_rows(named=True):
        target = catalog.target(r["indicator"], r["unit_code"], r["period"])
        num, den = r["numerator"], r["denominator"]
        who = SURVEY_INDICATORS[r["indicator"]][2]
        rows.append({
            "unit_code": r["unit_code"], "unit_name": r["unit_name"],
            "unit_level": r["unit_level"], "period": r["period"], "indicator": r["indicator"],
            "phase": r["phase"], "value": num / den, "qualifier": "=",
            "numerator": float(num), "denominator": float(den),
            "target": target.value if target else None,
            "target_qualifier": target.qualifier if target else None,
            "raw": f"Khảo sát: {format_int(num)}/{format_int(den)} {who}",
            "source": _source(r["files"]), "status": "ok", "tolerance": 0.0, "stated": False,
            "target_stated": None, "evidence": None, "synthetic": r["synthetic"],
            "file": _source(r["files"]), "origin": "survey",
        })
    return pl.DataFrame(rows, schema=OBSERVATION_SCHEMA) if rows else \
        pl.DataFrame(schema=OBSERVATION_SCHEMA)


# --- survey against report ----------------------------------------------------------------

def _comparison_settings() -> dict[str, Any]:
    return fnd._rules_file().get("external_comparison", {"rule": "related_inconsistent",
                                                        "tolerance": 0.33})


def compare(observations: pl.DataFrame, catalog: Catalog | None = None) -> list[Finding]:
    """A district's or commune's reported value against its survey value (WHO DQR external
    comparison): outside ±tolerance relative to the survey value is a finding.

    Only figures of the same unit, period, indicator and phase are compared, and a real
    report only with a real survey (a synthetic one only with a synthetic one).
    """
    if "origin" not in observations.columns or observations.is_empty():
        return []
    catalog = catalog or load_catalog()
    settings = _comparison_settings()
    tolerance = float(settings["tolerance"])
    key = ["unit_code", "period", "indicator", "phase", "synthetic"]
    survey = observations.filter(
        (pl.col("origin") == "survey") & pl.col("unit_level").is_in(["district", "commune"])
        & pl.col("value").is_not_null()
    ).select(*key, pl.col("value").alias("survey_value"), pl.col("numerator").alias("s_num"),
             pl.col("denominator").alias("s_den"), pl.col("source").alias("survey_source"))
    report = observations.filter(
        (pl.col("origin").fill_null("table") != "survey") & (pl.col("status") == "ok")
        & pl.col("value").is_not_null())
    pairs = report.join(survey, on=key, how="inner")
    out = []
    for row in pairs.iter_rows(named=True):
        s, v = row["survey_value"], row["value"]
        relative = (v - s) / s if s else (float("inf") if v else 0.0)
        if abs(relative) <= tolerance + 1e-9:
            continue
        code = row["indicator"]
        label = catalog[code].short if code in catalog else ""
        caveat = (" (khảo sát chỉ gồm người từ 15 tuổi, còn báo cáo tính trên tổng số dân)"
                  if code == "TC08" else "")
        diff = "vô hạn" if relative == float("inf") else format_percent(abs(relative))
        detail = (
            f"chỉ tiêu {code} ({label}), {fnd.PHASE_VI.get(row['phase'], '')}: báo cáo ghi "
            f"{format_percent(v, qualifier=row['qualifier'] or '=')} nhưng khảo sát người dân "
            f"({row['survey_source']}) cho {format_percent(s)} "
            f"({format_int(row['s_num'])}/{format_int(row['s_den'])}){caveat} — chênh "
            f"{diff} so với số liệu khảo sát, vượt ngưỡng ±{format_percent(tolerance, 0)} "
            f"(đối chiếu với nguồn bên ngoài theo WHO DQR)")
        finding = fnd.make(
            settings["rule"], {"detail": detail},
            unit_code=row["unit_code"], unit_name=row["unit_name"] or "",
            period=row["period"] or "", indicator=code, phase=row["phase"] or "",
            value=v, source=row["source"] or "", synthetic=bool(row["synthetic"]))
        out.append(dataclasses.replace(finding, expected=f"{format_percent(s)} (khảo sát)"))
    return out
