"""Province rules, across units and periods: outliers (modified z-score), change over time,
related indicators, completeness."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence

import polars as pl

from ..contract import PHASE_VI
from ..vocab import rules as fnd
from ..vocab import units as units_mod
from ..vocab.catalog import Catalog
from ..vocab.parse import format_int, format_number, format_percent
from ..vocab.ratio import corrected
from ..vocab.rules import Finding, Rule
from ._rows import finding_fields, finding_record


def modified_z(values: Sequence[float]) -> list[float] | None:
    """The modified z-score of each value (WHO Data Quality Review; Iglewicz & Hoaglin).

    M = 0.6745·(x − median)/MAD, or 0.7979·(x − median)/MeanAD when MAD = 0; None when
    every value is the same (nothing stands out).

    >>> [round(m, 2) for m in modified_z([0.8, 0.82, 0.81, 0.79, 0.2])]
    [0.0, 1.35, 0.67, -0.67, -40.47]
    """
    if not values:
        return None
    median = statistics.median(values)
    mad = statistics.median(abs(x - median) for x in values)
    if mad > 1e-12:
        return [0.6745 * (x - median) / mad for x in values]
    mean_ad = statistics.fmean(abs(x - median) for x in values)
    if mean_ad <= 1e-12:
        return None
    return [0.7979 * (x - median) / mean_ad for x in values]


def _comparable(obs: pl.DataFrame) -> pl.DataFrame:
    """One plausible value per unit × period × indicator × phase (impossible values > 100%
    are errors already and would only distort the median)."""
    return (obs.filter(pl.col("status").eq("ok") & pl.col("unit_code").ne("")
                       & pl.col("value").is_not_null() & pl.col("value").le(1 + 1e-6))
            .unique(subset=["unit_code", "period", "indicator", "phase"], keep="first",
                    maintain_order=True))


def _outliers(obs: pl.DataFrame, catalog: Catalog, rule: Rule,
              problems: Sequence[Finding]) -> list[Finding]:
    p = rule.params
    threshold, min_units = p.get("threshold", 3.5), p.get("min_units", 5)
    weak_below = p.get("weak_below", 8)
    frame = _comparable(obs)
    out: list[Finding] = []
    # real units are compared with real units only: a district's leadership must never read
    # that its real figure is unusual next to synthetic ones
    for _, group in frame.group_by(["period", "unit_level", "synthetic", "indicator", "phase"],
                                   maintain_order=True):
        if group.height < min_units:
            continue
        rows = group.to_dicts()
        scores = modified_z([r["value"] for r in rows])
        if scores is None:
            continue
        median = statistics.median(r["value"] for r in rows)
        for row, score in zip(rows, scores, strict=True):
            if abs(score) <= threshold:
                continue
            side = "thấp" if score < 0 else "cao"
            detail = (f"{side} bất thường so với {len(rows)} đơn vị cùng cấp (trung vị "
                      f"{format_percent(median)}, điểm z hiệu chỉnh {format_number(score, 1)}, "
                      f"ngưỡng ±{format_number(threshold, 1)}).")
            if len(rows) < weak_below:
                detail += (f" Lưu ý: chỉ có {len(rows)} đơn vị (dưới {weak_below}) nên so sánh "
                           "này chưa chắc chắn.")
            out.append(fnd.make(rule.name, finding_fields(row, catalog) | {"detail": detail},
                                **finding_record(row)))
    out += _over_time(frame, catalog, rule)
    return out


def _over_time(frame: pl.DataFrame, catalog: Catalog, rule: Rule) -> list[Finding]:
    """WHO DQR consistency over time: current / mean of the unit's previous periods."""
    band, min_mean = rule.params.get("over_time", 0.33), rule.params.get("min_mean", 0.05)
    periods = sorted(p for p in frame["period"].unique().to_list() if p)
    if len(periods) < 2:
        return []
    out: list[Finding] = []
    for _, group in frame.group_by(["unit_code", "indicator", "phase"], maintain_order=True):
        history = {r["period"]: r for r in group.to_dicts()}
        for i, period in enumerate(periods[1:], start=1):
            if period not in history:
                continue
            previous = [history[q]["value"] for q in periods[:i] if q in history]
            if not previous:
                continue
            mean = statistics.fmean(previous)
            if mean < min_mean:
                continue
            ratio = history[period]["value"] / mean
            if abs(ratio - 1) <= band + 1e-9:
                continue
            earlier = ", ".join(q for q in periods[:i] if q in history)
            detail = (f"bằng {format_number(ratio, 2)} lần trung bình các kỳ trước "
                      f"({format_percent(mean)}, kỳ {earlier}),"
                      f" ngoài khoảng 1 ± {format_number(band * 100, 0)}%.")
            row = history[period]
            out.append(fnd.make(rule.name, finding_fields(row, catalog) | {"detail": detail},
                                **finding_record(row)))
    return out


def _related(obs: pl.DataFrame, catalog: Catalog, rule: Rule,
             problems: Sequence[Finding]) -> list[Finding]:
    """Pairs of ``[[related]]`` that must hold inside a unit and phase: counts when both
    cells give them, else rates with the pair's tolerance."""
    frame = _comparable(obs)
    cells = {(r["unit_code"], r["period"], r["phase"], r["indicator"]): r
             for r in frame.iter_rows(named=True)}
    out: list[Finding] = []
    for (unit, period, phase, code), small in cells.items():
        for pair in fnd.related():
            if pair.smaller != code:
                continue
            large = cells.get((unit, period, phase, pair.larger))
            if large is None:
                continue
            n_small, _ = corrected(small)
            n_large, _ = corrected(large)
            if n_small is not None and n_large is not None:
                if n_small <= n_large * (1 + pair.tolerance):
                    continue
                said = (f"{format_int(n_small)} người ({code}) nhiều hơn "
                        f"{format_int(n_large)} người ({pair.larger})")
            else:
                if small["value"] <= large["value"] + pair.tolerance + 1e-9:
                    continue
                said = (f"{format_percent(small['value'])} ({code}) cao hơn "
                        f"{format_percent(large['value'])} ({pair.larger}) quá "
                        f"{format_number(pair.tolerance * 100, 1)} điểm %")
            detail = (f"{code} ({catalog[code].short}) {PHASE_VI[phase]} là {said} — "
                      f"{catalog[pair.larger].short}; trong khi {pair.reason}.")
            out.append(fnd.make(rule.name, finding_fields(small, catalog) | {"detail": detail},
                                **finding_record(small)))
    return out


def expected_units(period: str, level: str = "district") -> tuple[units_mod.Unit, ...]:
    """The reference units that should report for a period: a unit merged away before the
    period began (Đông Sơn after 2024) is not expected."""
    return tuple(u for u in units_mod.units() if u.level == level
                 and not (u.valid_to and period and u.valid_to[:4] < period[:4]))


def _completeness(obs: pl.DataFrame, catalog: Catalog, rule: Rule,
                  problems: Sequence[Finding]) -> list[Finding]:
    share, min_districts = rule.params.get("share", 0.9), rule.params.get("min_districts", 2)
    criteria = [i.code for i in catalog.criteria]
    out: list[Finding] = []
    known = obs.filter(pl.col("unit_code") != "")
    for (unit_code, period), group in known.group_by(["unit_code", "period"],
                                                     maintain_order=True):
        reported = set(group.filter(pl.col("status") == "ok")["indicator"]) & set(criteria)
        if len(reported) >= share * len(criteria) - 1e-9:
            continue
        lacking = [c for c in criteria if c not in reported]
        first = group.row(0, named=True)
        detail = (f"chỉ có số liệu của {len(reported)}/{len(criteria)} chỉ tiêu "
                  f"({format_percent(len(reported) / len(criteria))}, cần từ "
                  f"{format_percent(share, 0)}); thiếu {', '.join(lacking)}.")
        out.append(fnd.make(rule.name, {"detail": detail}, unit_code=unit_code,
                            unit_name=first["unit_name"], period=period,
                            source=first["file"] or "", synthetic=bool(first["synthetic"])))
    districts = known.filter(pl.col("unit_level") == "district")
    for period in sorted(set(districts["period"])):
        sent = set(districts.filter(pl.col("period") == period)["unit_code"])
        if len(sent) < min_districts:
            continue
        unreadable = {f.unit_code for f in problems if f.rule == "load_error"}
        synthetic = bool(districts.filter(pl.col("period") == period)["synthetic"].all())
        for unit in expected_units(period):
            if unit.code in sent or unit.code in unreadable:
                continue
            detail = f"{unit.full_name} chưa gửi báo cáo kỳ {period}."
            out.append(fnd.make(rule.name, {"detail": detail}, unit_code=unit.code,
                                unit_name=unit.name, period=period, synthetic=synthetic))
    return out


PROVINCE_CHECKS: dict[str, Callable[[pl.DataFrame, Catalog, Rule, Sequence[Finding]],
                                    list[Finding]]] = {
    "outliers": _outliers,
    "related_inconsistent": _related,
    "completeness": _completeness,
}
