"""Personal numbers in what a district typed: a phone number or a citizen ID (CCCD) written
into a result table's cell, its evidence column, a narrative report, or a survey's place
column (:data:`PLACE_NUMBER`). Such a number never leaves the loader: the text a finding
quotes, and the raw text and evidence an observation keeps, carry :data:`HIDDEN` in its
place.

A phone number is 10 digits starting 0 (or +84 / 84 and 9 digits), a CCCD 12 digits
starting 0; groups may be split by a space, dot or hyphen ("0912 345 678",
"038.123.456.789"); a CCCD Excel kept as a number loses its 0 (11 digits) or shows as
"3,81E+10". Figures are never such: a count of people has at most 8 digits and starts 1–9.
"""

from __future__ import annotations

import re

import polars as pl

#: a phone or CCCD number as written (see the module docstring)
PERSONAL = (r"(?:\+84|\b84|\b0)(?:[ .\-]?[0-9]){9,11}\b"   # phone, CCCD
            r"|\b[1-9][0-9]{10}\b"                      # a CCCD whose leading 0 Excel dropped
            r"|\b[0-9][.,][0-9]+[eE]\+?1[01]\b")          # …or wrote as 3,81E+10
_PERSONAL = re.compile(PERSONAL)
#: what stands in its place
HIDDEN = "[số cá nhân đã ẩn]"

#: A place cell (a survey's Xã or Thôn, a title, a sheet name) holding a phone number or a
#: citizen ID instead of a name: nine digits or more, alone or in groups ("0912345678",
#: "+84 912 345 678", "038 123 456 789"), or a number in scientific notation ("3,81E+10").
#: Wider than :data:`PERSONAL`: a place's name holds no figure that long.
PLACE_NUMBER = r"\+?[0-9](?:[\s.\-()]{0,2}[0-9]){8,}|[0-9][.,][0-9]+[eE]\+?[0-9]"


def looks_personal(text: str | None) -> bool:
    """Whether a place name as written is a phone or CCCD number (:data:`PLACE_NUMBER`)."""
    return bool(text) and re.search(PLACE_NUMBER, str(text)) is not None


def hide(text: str) -> str:
    """``text`` with every phone or CCCD number replaced by :data:`HIDDEN`.

    >>> hide("Liên hệ 0912 345 678 hoặc CCCD 038123456789; đạt 72.599/80.000")
    'Liên hệ [số cá nhân đã ẩn] hoặc CCCD [số cá nhân đã ẩn]; đạt 72.599/80.000'
    """
    return _PERSONAL.sub(HIDDEN, text) if text and any(c.isdigit() for c in text) else text


def hide_columns(frame: pl.DataFrame, columns: tuple[str, ...] = ("raw", "evidence")
                 ) -> pl.DataFrame:
    """The frame with :func:`hide` applied to its text ``columns`` that exist."""
    present = [c for c in columns if c in frame.columns and frame.schema[c] == pl.String]
    return frame.with_columns(pl.col(c).str.replace_all(PERSONAL, HIDDEN) for c in present) \
        if present and not frame.is_empty() else frame
