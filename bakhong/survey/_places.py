"""The location as written (district, commune, village) resolved to units: GSO codes where the
unit is known, ``<district code>-<slug>`` and ``<commune code>-<slug>`` where it is not.
"""

from __future__ import annotations

import functools
import re

import polars as pl

from ..errors import UnknownUnitError
from ..vocab import units as units_mod
from ..vocab.parse import fold_words, nfc
from ._fields import LOCATION_FIELDS
from ._model import UNIT_COLUMNS


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
