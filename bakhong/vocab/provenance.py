"""Real data beats synthetic: the one rule, for files, tables and rows of a unit and period.

A synthetic province (``bakhong synth``) may lie beside the real files of some units. Where
a unit and period has real data, its synthetic data is not used, not shown and not checked;
elsewhere the synthetic data stands in, marked "DỮ LIỆU MÔ PHỎNG" wherever it shows.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

import polars as pl

__all__ = ["KEY", "drop_shadowed", "real_beats_synthetic"]

#: What real data covers: a unit in a period.
KEY = ["unit_code", "period"]

T = TypeVar("T")


def real_beats_synthetic(items: Iterable[T], key: Callable[[T], Hashable],
                         synthetic: Callable[[T], bool], real: Iterable[Hashable] = ()
                         ) -> list[T]:
    """``items`` less the synthetic ones whose key a real item (or a key of ``real``) covers,
    in their order.

    >>> real_beats_synthetic([("a", True), ("a", False), ("b", True)], key=lambda i: i[0],
    ...                      synthetic=lambda i: i[1])
    [('a', False), ('b', True)]
    """
    items = list(items)
    covered = set(real) | {key(i) for i in items if not synthetic(i)}
    return [i for i in items if not (synthetic(i) and key(i) in covered)]


def drop_shadowed(frame: pl.DataFrame, by: pl.DataFrame | None = None) -> pl.DataFrame:
    """``frame`` without its synthetic rows of a unit and period where ``by`` (by default
    ``frame`` itself) has real rows; rows keep their order.

    >>> obs = pl.DataFrame({"unit_code": ["1", "1", "2"], "period": ["2024"] * 3,
    ...                     "synthetic": [True, False, True]})
    >>> drop_shadowed(obs)["synthetic"].to_list()
    [False, True]
    """
    by = frame if by is None else by
    if frame.is_empty() or "synthetic" not in frame.columns or "synthetic" not in by.columns:
        return frame
    real = by.filter(~pl.col("synthetic")).select(KEY).unique()
    shadowed = frame.filter(pl.col("synthetic")).join(real, on=KEY, how="semi")
    if shadowed.is_empty():
        return frame
    return frame.join(real.with_columns(pl.lit(True).alias("_real")), on=KEY, how="left",
                      maintain_order="left").filter(
        ~(pl.col("synthetic") & pl.col("_real").fill_null(False))).drop("_real")
