"""The polars expressions that read one survey cell: a yes/no answer in any of its spellings,
an age from years or a birth year or date, a CCCD validated (12 digits) and hashed with a
per-run salt, never kept.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import polars as pl

from ._fields import NO, YES


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
    """The CCCD cell as text: a number cell with its leading zero back, a text cell with the
    separators typed between its digit groups ("038 123 456 789", "038.123.456.789") taken
    out — a regex run only on the cells that are not a plain number."""
    if dtype.is_numeric():
        return pl.col("cccd").cast(pl.Int64, strict=False).cast(pl.String).str.zfill(12)
    text = pl.col("cccd").cast(pl.String)
    odd = pl.when(text.cast(pl.UInt64, strict=False).is_null()).then(text)
    grouped = odd.str.replace_all(r"[\s\-]", "").str.replace(
        r"^([0-9]{3})\.([0-9]{3})\.([0-9]{3})\.([0-9]{3})$", "$1$2$3$4")
    return pl.coalesce(grouped, text)


#: A number Excel wrote in scientific notation ("3,81E+10", "3.8123E+11"): its digits are lost.
_SCIENTIFIC = r"^\s*[0-9]+(?:[.,][0-9]+)?[eE]\+?[0-9]+\s*$"


def _cccd_number(dtype: pl.DataType) -> list[pl.Expr]:
    """Per row, computed once for :func:`_cccd`: ``_n``, the CCCD cell as a number (a cast,
    not a regex per row, which costs more than reading the column), and ``_ok``, that it is
    12 digits with no sign; for text, ``_sci``, a number in scientific notation."""
    text = _cccd_text(dtype)
    out = [text.cast(pl.UInt64, strict=False).alias("_n"),
           ((text.str.len_bytes() == 12) & ~text.str.starts_with("+")).alias("_ok")]
    if not dtype.is_numeric():
        plain = pl.col("cccd").cast(pl.String)
        odd = pl.when(plain.cast(pl.UInt64, strict=False).is_null()).then(plain)
        out.append(odd.str.contains(_SCIENTIFIC).fill_null(False).alias("_sci"))
    return out


def _cccd(dtype: pl.DataType, salt: int) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Reading ``_n``, ``_ok`` and ``_sci`` (:func:`_cccd_number`): (has an ID, hash of a
    valid 12-digit number or null, the cell is a number but not 12 digits — 11 or 13 digits,
    a sign, or scientific notation that lost its digits)."""
    n = pl.col("_n")
    sci = pl.col("_sci") if not dtype.is_numeric() else pl.lit(False)
    valid = n.is_not_null() & pl.col("_ok")
    # "x", "có" in a CCCD column: looked up only where the cell is not a number
    has = n.is_not_null() | sci | pl.when(n.is_null()).then(pl.col("cccd").cast(pl.String)) \
        .is_in(_YES_ANY_CASE).fill_null(False)
    return has, pl.when(valid).then(n.hash(seed=salt)), (n.is_not_null() & ~valid) | sci


#: A place cell holding a phone number or a citizen ID instead of a name: nine digits or
#: more, alone or in groups ("0912345678", "+84 912 345 678", "038 123 456 789"), or a number
#: in scientific notation ("3,81E+10").
PERSONAL_NUMBER = r"\+?[0-9](?:[\s.\-()]{0,2}[0-9]){8,}|[0-9][.,][0-9]+[eE]\+?[0-9]"


def looks_personal(text: str | None) -> bool:
    """Whether a place name as written (a cell, a title, a sheet name) is a phone or CCCD
    number (:data:`PERSONAL_NUMBER`)."""
    return bool(text) and re.search(PERSONAL_NUMBER, str(text)) is not None


def _personal(name: str) -> pl.Expr:
    """Whether each cell of a place column looks like a phone or CCCD number, tested once
    per distinct value (a column has a few hundred place names for millions of rows: 70 ms
    for 3 million cells, against 160 ms for a regex per cell)."""
    text = pl.col(name).cast(pl.String)
    distinct = text.unique()
    return text.is_in(distinct.filter(distinct.str.contains(PERSONAL_NUMBER)).implode()) \
        .fill_null(False)
