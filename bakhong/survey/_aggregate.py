"""Survey indicators per village, commune and district: numerators and denominators
(:func:`aggregate`) and the observations they make (:func:`indicators`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import polars as pl

from ..contract import OBSERVATION_SCHEMA
from ..errors import UnknownUnitError
from ..vocab.catalog import Catalog, load_catalog
from ..vocab.parse import format_int
from ._fields import LEVELS, LOCATION_FIELDS, SURVEY_INDICATORS
from ._model import Survey
from ._places import _locate

_LEVEL_KEYS = {
    "village": ("village_code", "village_name"),
    "commune": ("commune_code", "commune_name"),
    "district": ("district_code", "district_name"),
    # the communes and wards of 1 July 2025 the surveyed communes went into (crosswalk)
    "commune_2025": ("new_code", "new_name"),
}


def _with_new_units(base: pl.DataFrame) -> pl.DataFrame:
    """Each row's 2025 unit: the one its commune went into whole. A commune split across
    several new units has none — its people cannot be placed exactly, so they are left out
    of that level, never shared out by guess."""
    from ..vocab import units as units_mod

    codes = [c for c in base["commune_code"].unique().to_list() if c]
    new: dict[str, str | None] = {}
    for code in codes:
        try:
            unit = units_mod.by_code(code, "2024")
        except UnknownUnitError:  # a synthetic or unknown commune has no successor
            new[code] = None
            continue
        new[code] = unit.successors[0] if len(unit.successors) == 1 else None
    names = {c: units_mod.by_code(c, "2026").name for c in set(new.values()) if c}
    return base.with_columns(
        pl.col("commune_code").replace_strict(new, default=None, return_dtype=pl.String)
        .alias("new_code")).with_columns(
        pl.col("new_code").replace_strict(names, default=None, return_dtype=pl.String)
        .alias("new_name"))


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
    ``levels`` may include "commune_2025": the same people summed into the units of 1 July
    2025 (``unit_level`` "commune_2025", the new unit's code), exactly — the people of a
    commune split across new units are left out of that level.
    """
    if isinstance(people, Survey):
        base = people.grains.join(people.places.drop(f"written_{f}" for f in LOCATION_FIELDS),
                                  on="place", how="left")
    else:  # a people table with the location columns as written
        base = _locate(people.lazy().filter(~pl.col("duplicate")).group_by(_GRAIN)
                       .agg(*_sums()).collect())
    parts = [f"{c}_{p}" for c in SURVEY_INDICATORS for p in ("num", "den")]
    if "commune_2025" in levels:
        base = _with_new_units(base)
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
