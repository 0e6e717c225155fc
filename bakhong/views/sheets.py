"""Writing for a spreadsheet so that nothing in it runs: every text bakhong writes into an
.xlsx is stored as text (never a formula), every text field of a CSV that begins with
= + - @, a tab or a carriage return is prefixed with "'" (OWASP, CSV injection), and file
names fit the file system.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

import polars as pl

#: the longest file name (in bytes) most file systems take
MAX_NAME_BYTES = 255
#: what a spreadsheet would run: = + - @ first (after spaces), or a tab or CR first
FORMULA_START = r"^(?:[\s\u00a0\u200b\ufeff]*[=+\-@]|[\t\r\n])"
#: a signed figure ("-12%", "+5 điểm %") runs nothing: Excel reads it as the number it is
PLAIN_NUMBER = r"^\s*[+\-]\d[\d.,]*\s*(?:%|điểm\s*%?)?\s*$"
_FORMULA_START = re.compile(FORMULA_START)
_PLAIN_NUMBER = re.compile(PLAIN_NUMBER)


def runs(text: str) -> bool:
    """Whether a spreadsheet would take ``text`` for a formula (OWASP, CSV injection)."""
    return bool(_FORMULA_START.match(text)) and not _PLAIN_NUMBER.match(text)


def spreadsheet_text(value: object) -> object:
    """A value as a CSV must be given it so that nothing in it runs: text beginning with
    = + - @, a tab or a carriage return is prefixed with "'" (OWASP, CSV injection);
    numbers, dates, booleans and None are returned as they are.

    >>> spreadsheet_text("=HYPERLINK(1)"), spreadsheet_text(-0.5), spreadsheet_text("Thôn 1")
    ("'=HYPERLINK(1)", -0.5, 'Thôn 1')
    """
    if isinstance(value, str) and runs(value):
        return "'" + value
    return value


def as_text(cell: Any, prefix: bool = True) -> Any:
    """Make an openpyxl cell holding a string a text cell that stays text. openpyxl stores
    a string beginning with "=" as a formula, and text beginning with = + - @ becomes one
    when it is edited; such text is marked "quote prefix" (Excel's own mark for text typed
    after "'"), and with ``prefix`` also given a visible "'" (:func:`spreadsheet_text`).
    A district's own cells in its annotated copy are marked only, so they read as it wrote
    them."""
    if isinstance(cell.value, str):
        if runs(cell.value):
            if prefix:
                cell.value = "'" + cell.value
            cell.quotePrefix = True
        cell.data_type = "s"
    return cell


def append(sheet: Any, values: Iterable[Any], prefix: bool = True) -> None:
    """``sheet.append(values)`` with every string written as text (:func:`as_text`)."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        as_text(cell, prefix)


def csv_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every text column's values that a spreadsheet would run prefixed with
    "'" (:func:`spreadsheet_text`); numbers are left as they are."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not text:
        return frame
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(FORMULA_START) & ~pl.col(c).str.contains(PLAIN_NUMBER))
        .then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c)).alias(c) for c in text)


def fitted_name(stem: str, suffix: str, limit: int = MAX_NAME_BYTES) -> str:
    """``stem + suffix`` cut to ``limit`` bytes of UTF-8 at a character boundary, with a
    short digest of the whole stem so that two long names cut alike stay apart."""
    name = stem + suffix
    if len(name.encode()) <= limit:
        return name
    digest = "-" + hashlib.sha1(stem.encode()).hexdigest()[:8]
    room = limit - len((digest + suffix).encode())
    cut = stem.encode()[:room].decode("utf-8", errors="ignore")
    return cut + digest + suffix


__all__ = ["FORMULA_START", "MAX_NAME_BYTES", "PLAIN_NUMBER", "append", "as_text",
           "csv_safe", "fitted_name", "runs", "spreadsheet_text"]
