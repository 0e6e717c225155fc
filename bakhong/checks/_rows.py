"""What every check reads from an observation row: its key, catalog fields, derived columns
and the detail text of its finding."""

from __future__ import annotations

from typing import Any

import polars as pl

from ..vocab.catalog import Catalog
from ..vocab.parse import format_int, format_percent
from ..vocab.ratio import swapped_expr
from ..vocab.rules import Rule

KEY = ["unit_code", "period", "indicator"]


def finding_fields(row: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    code = row.get("indicator") or ""
    label = catalog[code].short if code in catalog else ""
    num, den = row.get("numerator"), row.get("denominator")
    ratio = num / den if num is not None and den else None
    inverse = den / num if num and den is not None else None
    return {
        "indicator": code, "label": label,
        "value": format_percent(row.get("value"), qualifier=row.get("qualifier") or "="),
        "numerator": format_int(num), "denominator": format_int(den),
        "ratio": format_percent(ratio), "inverse": format_percent(inverse),
        "target": format_percent(row.get("target"), qualifier=row.get("target_qualifier") or "="),
        "target_source": row.get("target_source") or "chỉ tiêu giao của mẫu báo cáo",
        "raw": row.get("raw") or "",
        "before": format_percent(row.get("before")), "after": format_percent(row.get("after")),
    }


def finding_record(row: dict[str, Any], phase: str | None = None) -> dict[str, Any]:
    return {
        "unit_code": row.get("unit_code") or "", "unit_name": row.get("unit_name") or "",
        "period": row.get("period") or "", "indicator": row.get("indicator") or "",
        "phase": phase if phase is not None else (row.get("phase") or ""),
        "value": row.get("value"), "source": row.get("source") or "",
        "synthetic": bool(row.get("synthetic")),
    }


def with_derived(obs: pl.DataFrame) -> pl.DataFrame:
    """The observations with the columns rule expressions may use (see rules.toml)."""
    return obs.with_columns(
        (pl.col("numerator") / pl.col("denominator")).alias("ratio"),
        (pl.col("denominator") / pl.col("numerator")).alias("inverse"),
        (pl.col("target") - pl.col("value")).alias("gap"),
        (pl.col("tolerance") + 1e-9).alias("tol"),
        swapped_expr().alias("swapped"),
    )


def detail_text(rule: Rule, row: dict[str, Any]) -> str:
    if rule.name == "ratio_over_100":
        if row.get("value") is not None and row["value"] > 1:
            return format_percent(row["value"])
        return f"{format_int(row['numerator'])}/{format_int(row['denominator'])} = " \
               f"{format_percent(row['ratio'])}"
    if rule.name == "target_mismatch":
        return format_percent(row.get("target_stated"))
    return ""
