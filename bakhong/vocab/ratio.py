"""How a stated ratio is read: a numerator and a denominator written the wrong way round
("72599/33216 = 45,75%") are read the right way round — the one definition the cell rule
``swapped_ratio``, the population checks and the province's weighted figures all use.
"""

from __future__ import annotations

from typing import Any

import polars as pl

__all__ = ["corrected", "is_swapped", "swap_tolerance", "swapped_expr"]

_EPS = 1e-9


def swap_tolerance() -> float:
    """How far the stated rate may be from the inverse ratio and still be read as a swap:
    the ``tolerance`` of the ``swapped_ratio`` rule (rules.toml), for a percentage typed or
    rounded by hand ("72599/33216 = 45,7%", the inverse being 45,75%)."""
    from .rules import rules

    return rules()["swapped_ratio"].tolerance


def is_swapped(numerator: float | None, denominator: float | None, value: float | None,
               stated: bool | None, tolerance: float | None = 0.0) -> bool:
    """Whether the rate stated beside ``numerator/denominator`` is ``denominator/numerator``:
    the numerator is the larger, and the value the source states is the inverse ratio.

    >>> is_swapped(72599, 33216, 0.4575, True, 0.00005), is_swapped(33216, 72599, 0.4575, True)
    (True, False)
    """
    if numerator is None or denominator is None or value is None or not stated:
        return False
    if not numerator or numerator <= denominator:
        return False
    return abs(value - denominator / numerator) <= max(tolerance or 0.0,
                                                       swap_tolerance()) + _EPS


def corrected(row: dict[str, Any]) -> tuple[float | None, float | None]:
    """An observation's (numerator, denominator) read the right way round.

    >>> corrected({"numerator": 72599, "denominator": 33216, "value": 0.4575,
    ...            "stated": True, "tolerance": 0.00005})
    (33216, 72599)
    """
    num, den = row.get("numerator"), row.get("denominator")
    if den and is_swapped(num, den, row.get("value"), row.get("stated"), row.get("tolerance")):
        return den, num
    return num, den


def swapped_expr() -> pl.Expr:
    """:func:`is_swapped` over a table of observations (null where a part is missing)."""
    num, den = pl.col("numerator"), pl.col("denominator")
    allowed = pl.max_horizontal(pl.col("tolerance").fill_null(0.0), pl.lit(swap_tolerance()))
    return ((num > den) & pl.col("stated")
            & ((pl.col("value") - den / num).abs() <= allowed + _EPS))
