"""The polars expressions that read one survey cell: a yes/no answer in any of its spellings,
an age from years or a birth year or date, a CCCD validated (12 digits) and hashed with a
per-run salt, never kept.
"""

from __future__ import annotations

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
    if dtype.is_numeric():
        return pl.col("cccd").cast(pl.Int64, strict=False).cast(pl.String).str.zfill(12)
    return pl.col("cccd").cast(pl.String)


#: A number Excel wrote in scientific notation ("3,81E+10", "3.8123E+11"): its digits are lost.
_SCIENTIFIC = r"^\s*[0-9]+(?:[.,][0-9]+)?[eE]\+?[0-9]+\s*$"


def _cccd_number(dtype: pl.DataType) -> list[pl.Expr]:
    """Per row, computed once for :func:`_cccd` (a cast, not a regex per row, which costs
    more than reading the column): ``_n``, the CCCD cell as a number; ``_ok``, that it is 12
    digits with no sign; ``_sci``, a number in scientific notation. A text cell that is not
    a plain number has the separators typed between its digit groups taken out ("038 123
    456 789", "038.123.456.789") — a regex run on those cells alone."""
    text = _cccd_text(dtype)
    plain = text.cast(pl.UInt64, strict=False)
    twelve = (text.str.len_bytes() == 12) & ~text.str.starts_with("+")
    if dtype.is_numeric():
        return [plain.alias("_n"), twelve.alias("_ok"), pl.lit(False).alias("_sci")]
    odd = pl.when(plain.is_null()).then(text)
    grouped = odd.str.replace_all(r"[\s\-]", "").str.replace(
        r"^([0-9]{3})\.([0-9]{3})\.([0-9]{3})\.([0-9]{3})$", "$1$2$3$4")
    return [pl.coalesce(plain, grouped.cast(pl.UInt64, strict=False)).alias("_n"),
            pl.when(plain.is_not_null()).then(twelve)
            .otherwise(grouped.str.len_bytes() == 12).fill_null(False).alias("_ok"),
            odd.str.contains(_SCIENTIFIC).fill_null(False).alias("_sci")]


def _cccd(dtype: pl.DataType, salt: int) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Reading ``_n``, ``_ok`` and ``_sci`` (:func:`_cccd_number`): (has an ID, hash of a
    valid 12-digit number or null, the cell is a number but not 12 digits — 11 or 13 digits,
    a sign, or scientific notation that lost its digits)."""
    n, sci = pl.col("_n"), pl.col("_sci")
    valid = n.is_not_null() & pl.col("_ok")
    # "x", "có" in a CCCD column: looked up only where the cell is not a number
    has = n.is_not_null() | sci | pl.when(n.is_null()).then(pl.col("cccd").cast(pl.String)) \
        .is_in(_YES_ANY_CASE).fill_null(False)
    return has, pl.when(valid).then(n.hash(seed=salt)), (n.is_not_null() & ~valid) | sci
