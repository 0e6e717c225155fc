"""A reported value against the survey's (WHO DQR external comparison): outside the tolerance
relative to the survey value is a finding.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import polars as pl

from ..vocab import rules as fnd
from ..vocab.catalog import Catalog, load_catalog
from ..vocab.parse import format_int, format_percent
from ..vocab.rules import Finding


def _comparison_settings() -> dict[str, Any]:
    return fnd._rules_file().get("external_comparison", {"rule": "related_inconsistent",
                                                        "tolerance": 0.33})


def compare(observations: pl.DataFrame, catalog: Catalog | None = None) -> list[Finding]:
    """A district's or commune's reported value against its survey value (WHO DQR external
    comparison): outside ±tolerance relative to the survey value is a finding.

    Only figures of the same unit, period, indicator and phase are compared, and a real
    report only with a real survey (a synthetic one only with a synthetic one).
    """
    if "origin" not in observations.columns or observations.is_empty():
        return []
    catalog = catalog or load_catalog()
    settings = _comparison_settings()
    tolerance = float(settings["tolerance"])
    key = ["unit_code", "period", "indicator", "phase", "synthetic"]
    survey = observations.filter(
        (pl.col("origin") == "survey") & pl.col("unit_level").is_in(["district", "commune"])
        & pl.col("value").is_not_null()
    ).select(*key, pl.col("value").alias("survey_value"), pl.col("numerator").alias("s_num"),
             pl.col("denominator").alias("s_den"), pl.col("source").alias("survey_source"))
    report = observations.filter(
        (pl.col("origin").fill_null("table") != "survey") & (pl.col("status") == "ok")
        & pl.col("value").is_not_null())
    pairs = report.join(survey, on=key, how="inner")
    out = []
    for row in pairs.iter_rows(named=True):
        s, v = row["survey_value"], row["value"]
        relative = (v - s) / s if s else (float("inf") if v else 0.0)
        if abs(relative) <= tolerance + 1e-9:
            continue
        code = row["indicator"]
        label = catalog[code].short if code in catalog else ""
        caveat = (" (khảo sát chỉ gồm người từ 15 tuổi, còn báo cáo tính trên tổng số dân)"
                  if code == "TC08" else "")
        diff = "vô hạn" if relative == float("inf") else format_percent(abs(relative))
        detail = (
            f"chỉ tiêu {code} ({label}), {fnd.PHASE_VI.get(row['phase'], '')}: báo cáo ghi "
            f"{format_percent(v, qualifier=row['qualifier'] or '=')} nhưng khảo sát người dân "
            f"({row['survey_source']}) cho {format_percent(s)} "
            f"({format_int(row['s_num'])}/{format_int(row['s_den'])}){caveat} — chênh "
            f"{diff} so với số liệu khảo sát, vượt ngưỡng ±{format_percent(tolerance, 0)} "
            f"(đối chiếu với nguồn bên ngoài theo WHO DQR)")
        finding = fnd.make(
            settings["rule"], {"detail": detail},
            unit_code=row["unit_code"], unit_name=row["unit_name"] or "",
            period=row["period"] or "", indicator=code, phase=row["phase"] or "",
            value=v, source=row["source"] or "", synthetic=bool(row["synthetic"]))
        out.append(dataclasses.replace(finding, expected=f"{format_percent(s)} (khảo sát)"))
    return out
