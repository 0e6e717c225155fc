"""Finding a survey table in a grid of cells: which header names which field
(:func:`classify_header`), where the header row and the data start, which rows are
numbering, sub-headers, totals and footers.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from ..vocab.parse import fold_words
from ._fields import _NO_LABELS, PII_FIELDS, YESNO_FIELDS

#: A total row ("Cộng", "Tổng cộng", "Tổng số") starts with its label and ends the table.
#: Without diacritics only the two-word labels count: "Tong Van Binh" is a person (Tống).
_TOTAL_RAW = r"^\s*(?:tổng cộng|tổng số|tổng|cộng|tong cong|tong so)\b"
_TOTAL = re.compile(_TOTAL_RAW, re.I)
_FOOTER_RAW = re.compile(r"\b(người lập|nguoi lap|ký tên|ky ten|chủ tịch|chu tich|xác nhận|"
                         r"xac nhan|thủ trưởng|thu truong|trưởng thôn|truong thon)\b")


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
