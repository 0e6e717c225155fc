"""One part of a survey file turned into rows of people: fields read, rows that cannot be read
marked with the reason and the cell, the CCCD hashed.
"""

from __future__ import annotations

import functools
from datetime import date

import polars as pl

from ._cells import _age, _cccd, _cccd_number, _text_yesno, _yesno
from ._fields import LOCATION_FIELDS, MAX_AGE, MIN_AGE, YESNO_FIELDS
from ._files import _Part
from ._headers import _TOTAL_RAW
from ._model import SurveyFile


def _answers(schema: pl.Schema, text_fields: list[str], split: list[str]
             ) -> tuple[list[pl.Expr], dict[str, pl.Expr], list[pl.Expr]]:
    """Per yes/no field: the answer, the reasons it cannot be read, whether it is filled."""
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
    return exprs, reasons, filled


def _key_fields(schema: pl.Schema | dict) -> list[str]:
    """The location fields a place key hashes: per level the code column where the file has
    one, and the name — the name alone where there is no code column. A name beside a code
    is in the key so that a phone or CCCD number typed in it makes a place of its own, whose
    rows are named to correct (:mod:`._personal`)."""
    out = []
    for name, code in (("district", "district_code"), ("commune", "commune_code"),
                       ("village", "village_code")):
        out += [code, name] if code in schema and name in schema else \
            [code if code in schema else name]
    return out


def _place_key(part: _Part, schema: pl.Schema) -> pl.Expr:
    """A hash of the location as written, the key of a row's place."""
    # the place key: per level the code column where the file has one, else the name;
    # one hash per column, combined (a struct hash of six strings costs more than the read)
    keys = _key_fields(schema)
    hashes = [pl.col(k).hash(seed=i + 1) if k in schema  # a file-wide value is hashed once
              else pl.lit(part.context.get(k), pl.String).hash(seed=i + 1)
              for i, k in enumerate(keys)]
    return functools.reduce(lambda a, b: a ^ b, hashes).alias("place")


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
        *(_cccd_number(schema["cccd"]) if "cccd" in schema else []))
    exprs, reasons, filled = _answers(schema, text_fields, split)
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
    place = _place_key(part, schema)
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
