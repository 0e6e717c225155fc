"""Comparing across the 1 July 2025 reform: a new commune's "before" from its predecessors.

A commune or ward of 2025 on that sent no "before" figure for an indicator gets one from its
predecessors' last pre-reform results (their 2024 "after" figures), through the crosswalk
(:mod:`bakhong.vocab.units`): Σ numerators / Σ denominators when every predecessor gives both,
its value when there is one predecessor, else the unweighted mean of their rates — the
``raw`` text names the predecessors and the method. No baseline is made up: where a
predecessor was split across several new units (its figure belongs to none of them alone),
or a predecessor's figure is missing, the baseline is refused with a ``no_baseline``
finding naming why.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ..contract import OBSERVATION_SCHEMA, Source
from ..vocab import rules as fnd
from ..vocab import units as units_mod
from ..vocab.parse import format_percent
from ..vocab.ratio import corrected
from ..vocab.rules import Finding

#: the last period before the reform, whose results are a new unit's baseline
BASELINE_PERIOD = "2024"


def _baseline(indicator: str, olds: list[units_mod.Unit],
              before: dict[tuple[str, str], dict[str, Any]]) -> tuple[dict | None, str]:
    """(the baseline, or None, and why not) of one new unit and indicator."""
    split = [u for u in olds if len(u.successors) > 1]
    if split:
        names = ", ".join(u.full_name for u in split)
        return None, f"{names} được chia cho nhiều đơn vị mới, số liệu cũ không thuộc riêng " \
                     "đơn vị nào"
    rows = [before.get((u.code, indicator)) for u in olds]
    missing = [u.full_name for u, r in zip(olds, rows, strict=True) if r is None]
    if missing:
        return None, f"thiếu số liệu {BASELINE_PERIOD} của {', '.join(missing)}"
    pairs = [corrected(r) for r in rows]
    if len(rows) == 1:
        value, method = rows[0]["value"], "số liệu của đơn vị cũ"
    elif all(n is not None and d for n, d in pairs):
        value = sum(n for n, _ in pairs) / sum(d for _, d in pairs)
        method = "tổng tử số / tổng mẫu số"
    else:
        value = sum(r["value"] for r in rows) / len(rows)
        method = "trung bình cộng (không đủ tử số, mẫu số để tính gia quyền)"
    said = "; ".join(f"{u.full_name} {format_percent(r['value'])}"
                     for u, r in zip(olds, rows, strict=True))
    return {"value": value, "raw": f"Trước sáp nhập (kỳ {BASELINE_PERIOD}, {method}): {said}",
            "source": ", ".join(r["source"] or "" for r in rows)}, ""


def reform_baselines(observations: pl.DataFrame) -> tuple[pl.DataFrame, list[Finding]]:
    """The observations with the new units' missing "before" figures derived from their
    predecessors, and the ``no_baseline`` findings where none can be."""
    if observations.is_empty():
        return observations, []
    ok = pl.col("status") == "ok"
    new_rows = observations.filter(pl.col("period").str.slice(0, 4) > BASELINE_PERIOD)
    if new_rows.is_empty():
        return observations, []
    has_before = {(r["unit_code"], r["period"], r["indicator"]) for r in new_rows.filter(
        (pl.col("phase") == "before") & ok).iter_rows(named=True)}
    before = {(r["unit_code"], r["indicator"]): r for r in observations.filter(
        (pl.col("period") == BASELINE_PERIOD) & (pl.col("phase") == "after") & ok
        & pl.col("value").is_not_null()).iter_rows(named=True)}
    rows, found, refused = [], [], set()
    for r in new_rows.filter(pl.col("phase") == "after").iter_rows(named=True):
        key = (r["unit_code"], r["period"], r["indicator"])
        if key in has_before:
            continue
        unit = units_mod.by_code(r["unit_code"], r["period"])
        if not unit.new or not unit.predecessors:
            continue
        olds = [units_mod.by_code(c, BASELINE_PERIOD) for c in unit.predecessors]
        baseline, why = _baseline(r["indicator"], olds, before)
        if baseline is None:
            if (unit.code, r["period"], why) not in refused:  # one finding per unit and reason
                refused.add((unit.code, r["period"], why))
                found.append(fnd.make("no_baseline", {"detail": why, "unit": unit.full_name},
                                      unit_code=unit.code, unit_name=unit.name,
                                      period=r["period"], phase="before",
                                      source=Source(r["file"] or "").render(),
                                      synthetic=bool(r["synthetic"])))
            continue
        rows.append({**r, "phase": "before", "value": baseline["value"], "qualifier": "=",
                     "numerator": None, "denominator": None, "raw": baseline["raw"],
                     "source": baseline["source"], "status": "ok", "stated": False,
                     "origin": "crosswalk", "confidence": 1.0})
    if not rows:
        return observations, found
    added = pl.DataFrame(rows, schema=OBSERVATION_SCHEMA)
    # the blank "before" cell the derived figure stands in for
    kept = observations.join(added.select("unit_code", "period", "indicator", "phase"),
                             on=["unit_code", "period", "indicator", "phase"], how="anti")
    return pl.concat([kept, added], how="diagonal_relaxed"), found
