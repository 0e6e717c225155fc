"""Phone and CCCD numbers typed in the place columns of a survey: found per place, after the
pass over the file (a file has a few thousand places for millions of rows; a test per row
cost more than the pass itself).

A place's key hashes, per level, the code column where the file has one, else the name
(:func:`~bakhong.survey._normalise._key_fields`): every row of a place holds the same key
values, so a key value that is a personal number makes every row of that place a row to
correct — named by file, sheet, row and column, never quoted — and the place is no place.
A name outside the key is only ever shown as the place's first row wrote it: a personal
number there is blanked, never shown.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..vocab.personal import PLACE_NUMBER
from ._fields import LOCATION_FIELDS
from ._files import _Part
from ._normalise import _key_fields
from ._rejects import _reasons


def key_fields(parts: list[_Part]) -> set[str]:
    """The location fields that are in the place key of every part of a file."""
    keys = [set(_key_fields(p.frame.collect_schema())) for p in parts]
    return set.intersection(*keys) if keys else set()


def personal_places(located: pl.DataFrame, keys: set[str]
                    ) -> tuple[pl.DataFrame, pl.DataFrame | None, pl.DataFrame | None]:
    """``located`` (one row per place, with its location text) as (the places kept, their
    personal numbers blanked; the places whose key holds a personal number, with a
    ``_r_<field>_pii`` flag per key field; those places, blanked, for telling the district)."""
    fields = [f for f in LOCATION_FIELDS if f in located.columns]
    flag = {f: f"_r_{f}_pii" for f in fields}
    marked = located.with_columns(
        pl.col(f).cast(pl.String).str.contains(PLACE_NUMBER).fill_null(False).alias(flag[f])
        for f in fields)
    if not marked.select(pl.any_horizontal(pl.lit(False), *flag.values()).any()).item():
        return located, None, None
    in_key = pl.any_horizontal(pl.lit(False), *(pl.col(flag[f]) for f in fields if f in keys))
    blanked = marked.with_columns(
        pl.when(~pl.col(flag[f])).then(pl.col(f).cast(pl.String)).alias(f) for f in fields)
    hit = blanked.filter(in_key)
    kept = blanked.filter(~in_key).drop(flag.values())
    if hit.is_empty():
        return kept, None, None
    return (kept, hit.select("place", *(flag[f] for f in fields if f in keys)),
            hit.select("place", *fields))


def personal_rows(people: pl.DataFrame, flags: pl.DataFrame, path: Path,
                  parts: list[_Part]) -> tuple[pl.Series, pl.DataFrame]:
    """(which people lie in a place whose key is a personal number, their cells as rejects:
    file, sheet, row, column, reason)."""
    hit = people["place"].is_in(flags["place"].implode())
    rows = people.filter(hit).select("_row", "place", *(
        c for c in ("_part",) if c in people.columns)).join(flags, on="place", how="left")
    out = []
    for i, part in enumerate(parts):
        mine = rows.filter(pl.col("_part") == i) if "_part" in rows.columns else rows
        out.append(_reasons(mine.drop("_part", strict=False), path, part))
    return hit, pl.concat(out)
