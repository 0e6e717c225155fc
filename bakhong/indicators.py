"""Attainment, change, province aggregates and rankings, computed from observations.

Everything here takes the tidy observation table (``contract.OBSERVATION_SCHEMA``) and returns
new polars frames; nothing is formatted for a reader except the ``*_text`` helpers, whose
Vietnamese wording the reports show as is.

Qualifiers are respected: "trên 90%" (value 0.90, qualifier ">") attains a target of 90%
or less, but whether it attains 100% cannot be told, so attainment is then ``None``
("không xác định"), never guessed.
"""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from . import config
from .contract import FINDING_SCHEMA, OBSERVATION_SCHEMA, of_record
from .vocab.catalog import Catalog, load_catalog
from .vocab.parse import format_number, format_percent
from .vocab.provenance import drop_shadowed
from .vocab.ratio import corrected

#: Rules whose error makes a denominator unfit for weighting.
DENOMINATOR_RULES = ("denominator_inconsistent", "denominator_implausible", "ratio_over_100",
                     "stated_mismatch")
_QUALIFIER_WORD = re.compile(r"^\W*(trên|hơn|vượt|từ|ít nhất|tối thiểu|dưới|tối đa|khoảng)\b",
                             re.IGNORECASE)


# --- reading the processed data -----------------------------------------------------------

@cache
def _read_cached(folder: str, stamp: tuple[float, float]) -> tuple[pl.DataFrame, pl.DataFrame]:
    path = Path(folder)
    observations = pl.read_parquet(path / "observations.parquet")
    findings_path = path / "findings.parquet"
    findings = pl.read_parquet(findings_path) if findings_path.is_file() else \
        pl.DataFrame(schema=FINDING_SCHEMA)
    if "origin" in observations.columns:
        # survey indicators (bakhong.survey) are not a unit's report: they reach reports as
        # the survey-versus-report findings, not as a second value of the same cell
        observations = observations.filter(pl.col("origin").fill_null("") != "survey")
    return prefer_real(observations), findings


def read_processed(folder: str | Path | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(observations, findings) written by ``bakhong ingest``; read once per file version.

    A unit and period with both a real and a synthetic table keep the real one only; rows
    computed from survey microdata (``origin`` = "survey") are left out.
    """
    path = Path(folder) if folder else config.processed_dir()
    obs_path = path / "observations.parquet"
    if not obs_path.is_file():
        from .errors import SourceError

        raise SourceError("chưa có số liệu đã nạp — hãy chạy `bakhong ingest` trước",
                          str(obs_path))
    findings_path = path / "findings.parquet"
    stamp = (obs_path.stat().st_mtime,
             findings_path.stat().st_mtime if findings_path.is_file() else 0.0)
    return _read_cached(str(path.resolve()), stamp)


def read_plans(folder: str | Path | None = None) -> list[dict]:
    """The plans and instructions ``bakhong ingest`` read (``plans.json``): per document its
    unit, period, kind, targets, window, deadlines and excluded units; [] when none."""
    path = (Path(folder) if folder else config.processed_dir()) / "plans.json"
    if not path.is_file():
        return []
    import json

    return json.loads(path.read_text(encoding="utf-8"))


def plans_for(plans: list[dict], unit_code: str, parent_code: str, period: str) -> list[dict]:
    """The plans binding a unit in a period: its own, and its district's."""
    return [p for p in plans if p["period"] == period and p["unit_code"]
            and p["unit_code"] in (unit_code, parent_code)]


def progress_series(observations: pl.DataFrame, unit_code: str, period: str) -> pl.DataFrame:
    """A unit's progress reports as one dated series per indicator: as_of, indicator,
    value, qualifier, target, target_qualifier, source — oldest first."""
    if "as_of" not in observations.columns:
        return observations.clear().select("indicator", "value")
    return observations.filter(
        (pl.col("unit_code") == unit_code) & (pl.col("period") == period)
        & pl.col("as_of").is_not_null() & (pl.col("status") == "ok")
    ).select("as_of", "indicator", "value", "qualifier", "target", "target_qualifier",
             "source").sort(["indicator", "as_of"])


def communes_of(observations: pl.DataFrame, district_code: str, period: str) -> pl.DataFrame:
    """The observations of a district's communes in a period (their results of record)."""
    from .vocab.units import parent_code

    rows = of_record(observations).filter((pl.col("period") == period)
                                          & (pl.col("unit_level") == "commune"))
    codes = [c for c in rows["unit_code"].unique().to_list()
             if parent_code(c, period) == district_code]
    return rows.filter(pl.col("unit_code").is_in(codes))


def prefer_real(observations: pl.DataFrame) -> pl.DataFrame:
    """Drop synthetic rows of a unit and period that also has real rows
    (:func:`bakhong.vocab.provenance.drop_shadowed`)."""
    return drop_shadowed(observations)


# --- attainment -----------------------------------------------------------------------------

def attains(value: float | None, qualifier: str | None, target: float | None,
            target_qualifier: str | None = "≥") -> bool | None:
    """Whether a value as stated attains a target; None when it cannot be told.

    >>> attains(0.9, ">", 0.9), attains(0.9, ">", 1.0), attains(0.74, "=", 0.8)
    (True, None, False)
    """
    if value is None or target is None or (isinstance(value, float) and math.isnan(value)):
        return None
    qualifier = qualifier or "="
    strict = (target_qualifier or "≥") == ">"
    eps = 1e-9
    reaches = value > target + eps if strict else value >= target - eps
    if reaches:
        return True if qualifier in ("=", ">", "≥") else None  # "dưới 95%" may miss 90%
    return None if qualifier in (">", "≥") else False  # "trên 70%" may or may not reach 80%


def wide(observations: pl.DataFrame, catalog: Catalog | None = None) -> pl.DataFrame:
    """One row per unit × period × indicator: before and after side by side, the target in
    force, the change in points and whether the target is attained.

    Columns: unit_code, unit_name, period, indicator, short, group, order, target,
    target_qualifier, before, before_qualifier, before_raw, before_source, after,
    after_qualifier, after_raw, after_source, numerator, denominator, evidence, synthetic,
    file, change, attained.
    """
    catalog = catalog or load_catalog()
    info = pl.DataFrame(
        [{"indicator": i.code, "short": i.short, "label": i.label, "group": i.group,
          "order": n} for n, i in enumerate(catalog.indicators)],
        schema={"indicator": pl.String, "short": pl.String, "label": pl.String,
                "group": pl.String, "order": pl.Int64})
    if observations.is_empty():
        observations = pl.DataFrame(schema=OBSERVATION_SCHEMA)
    observations = of_record(observations)  # a progress report is not the result of record
    key = ["unit_code", "period", "indicator"]
    ok = pl.col("status") == "ok"

    def phase(name: str) -> pl.DataFrame:
        part = observations.filter(pl.col("phase") == name)
        return part.select(
            *key,
            pl.when(ok).then(pl.col("value")).alias(name),
            pl.when(ok).then(pl.col("qualifier")).alias(f"{name}_qualifier"),
            pl.col("raw").alias(f"{name}_raw"),
            pl.col("source").alias(f"{name}_source"),
            pl.col("numerator").alias(f"{name}_numerator"),
            pl.col("denominator").alias(f"{name}_denominator"),
        ).unique(subset=key, keep="first")

    base = observations.group_by(key, maintain_order=True).agg(
        pl.col("unit_name").first(), pl.col("target").first(),
        pl.col("target_qualifier").first(), pl.col("evidence").drop_nulls().first(),
        pl.col("synthetic").first(), pl.col("file").first(),
    )
    out = (base.join(phase("before"), on=key, how="left")
           .join(phase("after"), on=key, how="left")
           .join(info, on="indicator", how="left")
           .with_columns((pl.col("after") - pl.col("before")).alias("change")))
    attained = [attains(v, q, t, tq) for v, q, t, tq in out.select(
        "after", "after_qualifier", "target", "target_qualifier").iter_rows()]
    out = out.with_columns(pl.Series("attained", attained, dtype=pl.Boolean))
    return out.sort(["unit_code", "period", "order"])


# --- province ---------------------------------------------------------------------------------

def _bad_denominators(findings: pl.DataFrame | None) -> set[tuple[str, str, str, str]]:
    if findings is None or findings.is_empty():
        return set()
    bad = findings.filter(pl.col("rule").is_in(DENOMINATOR_RULES)
                          & (pl.col("severity") == "error"))
    return {tuple(r) for r in bad.select("unit_code", "period", "indicator", "phase").iter_rows()}


def province(observations: pl.DataFrame, findings: pl.DataFrame | None = None,
             catalog: Catalog | None = None) -> pl.DataFrame:
    """The province's before and after per indicator, with how each was computed.

    Where every reporting unit gives a usable numerator and denominator the province figure
    is Σ numerators / Σ denominators (a swapped ratio read the right way round); otherwise it
    is the unweighted mean of the units' rates, and ``method`` says so in Vietnamese.
    A value stated as "trên x%" counts as x%.
    """
    catalog = catalog or load_catalog()
    bad = _bad_denominators(findings)
    rows: list[dict[str, Any]] = []
    obs = of_record(observations).filter(pl.col("status") == "ok")
    for (code, period, phase_name), group in obs.group_by(
            ["indicator", "period", "phase"], maintain_order=True):
        units = group.height
        weights: list[tuple[float, float]] = []
        unusable = 0
        for r in group.iter_rows(named=True):
            num, den = corrected(r)  # a swapped ratio read the right way round
            if num is None or not den or (r["unit_code"], period, code, phase_name) in bad:
                unusable += 1
                continue
            weights.append((num, den))
        values = group["value"].to_list()
        if not unusable and weights:
            value = sum(n for n, _ in weights) / sum(d for _, d in weights)
            method = (f"bình quân gia quyền theo mẫu số: tổng tử số / tổng mẫu số của "
                      f"{units} đơn vị")
            weighted = True
        else:
            value = sum(values) / len(values)
            reason = ("không đơn vị nào ghi tử số/mẫu số" if not weights else
                      f"{unusable}/{units} đơn vị không có mẫu số dùng được")
            method = f"trung bình cộng không trọng số của {units} đơn vị ({reason})"
            weighted = False
        rows.append({"indicator": code, "period": period, "phase": phase_name,
                     "value": value, "units": units, "weighted": weighted, "method": method,
                     "lower_bound": any(q in (">", "≥") for q in group["qualifier"].to_list())})
    schema = {"indicator": pl.String, "period": pl.String, "phase": pl.String,
              "value": pl.Float64, "units": pl.Int64, "weighted": pl.Boolean,
              "method": pl.String, "lower_bound": pl.Boolean}
    frame = pl.DataFrame(rows, schema=schema)
    order = {code: n for n, code in enumerate(catalog.codes)}
    return frame.with_columns(
        pl.col("indicator").replace_strict(order, default=99).alias("order")
    ).sort(["period", "order", "phase"]).drop("order")


def province_wide(observations: pl.DataFrame, findings: pl.DataFrame | None = None,
                  catalog: Catalog | None = None) -> pl.DataFrame:
    """:func:`province` with before and after side by side, target and change."""
    catalog = catalog or load_catalog()
    long = province(observations, findings, catalog)
    key = ["indicator", "period"]

    def side(name: str) -> pl.DataFrame:
        return long.filter(pl.col("phase") == name).select(
            *key, pl.col("value").alias(name), pl.col("method").alias(f"{name}_method"),
            pl.col("units").alias(f"{name}_units"),
            pl.col("lower_bound").alias(f"{name}_lower_bound"))

    codes = long.select(key).unique(maintain_order=True)
    out = codes.join(side("before"), on=key, how="left").join(side("after"), on=key, how="left")
    targets = []
    for code in out["indicator"]:
        t = catalog.target(code) if code in catalog else None
        targets.append(t.value if t else None)
    return out.with_columns(
        pl.Series("target", targets, dtype=pl.Float64),
        (pl.col("after") - pl.col("before")).alias("change"),
        pl.col("indicator").map_elements(lambda c: catalog[c].short if c in catalog else c,
                                         return_dtype=pl.String).alias("short"),
        pl.col("indicator").map_elements(lambda c: catalog[c].group if c in catalog else "",
                                         return_dtype=pl.String).alias("group"),
    )


# --- ranking ----------------------------------------------------------------------------------

def ranking(observations: pl.DataFrame, period: str | None = None,
            level: str = "district") -> pl.DataFrame:
    """Each unit's rank among all units of ``level`` per indicator, by the value after rollout
    (1 = highest; ties share the best rank). Columns: unit_code, unit_name, period, indicator,
    value, qualifier, rank, units."""
    obs = of_record(observations).filter((pl.col("phase") == "after")
                                         & (pl.col("status") == "ok")
                                         & (pl.col("unit_level") == level))
    if period is not None:
        obs = obs.filter(pl.col("period") == period)
    obs = obs.unique(subset=["unit_code", "period", "indicator"], keep="first")
    return obs.select(
        "unit_code", "unit_name", "period", "indicator", "value", "qualifier",
        pl.col("value").rank("min", descending=True).over(["period", "indicator"])
        .cast(pl.Int64).alias("rank"),
        pl.len().over(["period", "indicator"]).cast(pl.Int64).alias("units"),
    ).sort(["period", "indicator", "rank", "unit_code"])


def attainment_counts(table: pl.DataFrame) -> pl.DataFrame:
    """Per unit, of :func:`wide`'s rows with a target: attained, not attained, unknown."""
    criteria = table.filter(pl.col("target").is_not_null())
    if "synthetic" not in criteria.columns:
        criteria = criteria.with_columns(pl.lit(False).alias("synthetic"))
    return criteria.group_by(["unit_code", "unit_name", "period"]).agg(
        pl.col("synthetic").any(),
        pl.col("attained").eq(True).sum().alias("attained"),
        pl.col("attained").eq(False).sum().alias("missed"),
        pl.col("attained").is_null().sum().alias("unknown"),
        pl.len().alias("criteria"),
    ).sort(["attained", "unit_name"], descending=[True, False])


# --- wording ------------------------------------------------------------------------------------

def value_text(value: float | None, qualifier: str | None = "=", raw: str | None = None) -> str:
    """A value as the source states it: "hơn 96,5%" stays "hơn 96,5%", not "trên 96,5%".

    >>> value_text(0.965, ">", "hơn 96,5%"), value_text(0.4575, "=", "= 72599/33216 = 45,75%")
    ('hơn 96,5%', '45,75%')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    shown = format_percent(value)
    qualifier = qualifier or "="
    if qualifier == "=":
        return shown
    word = _QUALIFIER_WORD.match(raw or "")
    if word:
        return f"{word.group(1).lower()} {shown}"
    return format_percent(value, qualifier=qualifier)


def change_text(delta: float | None, after_qualifier: str | None = "=") -> str:
    """A change in percentage points, in words: "tăng 61,3 điểm %", "giảm 2 điểm %"; when the
    value after is a lower bound ("trên 90%") the change is too: "tăng hơn 55 điểm %".

    >>> change_text(0.738, ">"), change_text(-0.02), change_text(0.0)
    ('tăng hơn 73,8 điểm %', 'giảm 2 điểm %', 'không đổi')
    """
    if delta is None or (isinstance(delta, float) and math.isnan(delta)):
        return "—"
    lower_bound = (after_qualifier or "=") in (">", "≥")
    if abs(delta) < 5e-4:
        return "tăng" if lower_bound else "không đổi"
    points = f"{format_number(abs(delta) * 100, 1)} điểm %"
    if delta > 0:
        return f"tăng hơn {points}" if lower_bound else f"tăng {points}"
    return f"giảm chưa đến {points}" if lower_bound else f"giảm {points}"


def attained_text(attained: bool | None, target: float | None = None) -> str:
    if target is None:
        return "—"
    return {True: "Đạt", False: "Chưa đạt"}.get(attained, "Không xác định")  # type: ignore[arg-type]


def headline(table: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """A unit's headline K1–K3, the one place the manifest, the report and the email read it.

    ``table``: :func:`wide` rows of one unit and period. Per pillar indicator (``group`` =
    "pillar", in catalog order): the values before and after with both qualifiers, and the
    texts as the source states them (``value_text``: "hơn 96,5%" stays "hơn 96,5%") and the
    change in words (``change_text``).

    >>> obs = pl.DataFrame([{"unit_code": "u", "unit_name": "U", "period": "2024",
    ...     "indicator": "K2", "phase": p, "value": v, "qualifier": q, "raw": r, "status": "ok"}
    ...     for p, v, q, r in [("before", 0.227, "=", "22,7%"), ("after", 0.965, ">",
    ...     "hơn 96,5%")]], schema_overrides={"target": pl.Float64})
    >>> fact = headline(wide(obs.with_columns(pl.lit(None, pl.String).alias(c) for c in
    ...     set(OBSERVATION_SCHEMA) - set(obs.columns))))["K2"]
    >>> fact["before_text"], fact["after_text"], fact["after_qualifier"], fact["change_text"]
    ('22,7%', 'hơn 96,5%', '>', 'tăng hơn 73,8 điểm %')
    """
    out: dict[str, dict[str, Any]] = {}
    for r in table.filter(pl.col("group") == "pillar").iter_rows(named=True):
        out[r["indicator"]] = {
            "before": r["before"], "before_qualifier": r["before_qualifier"],
            "after": r["after"], "after_qualifier": r["after_qualifier"],
            "before_text": value_text(r["before"], r["before_qualifier"], r["before_raw"]),
            "after_text": value_text(r["after"], r["after_qualifier"], r["after_raw"]),
            "change_text": change_text(r["change"], r["after_qualifier"]),
        }
    return out


# --- the verdict: what a leader reads first ------------------------------------------------

#: warnings that doubt the figure itself (not its target, not the file)
DOUBTING_WARNINGS = ("related_inconsistent", "outlier", "regression",
                     "denominator_implausible")


def criterion_label(code: str, catalog: Catalog | None = None) -> str:
    """The one name of a criterion in every sentence a reader sees: "Người dân có chữ ký điện
    tử (tiêu chí 9)" — the tables give the same number (STT) and name; a pillar (no number)
    by its short name alone."""
    catalog = catalog or load_catalog()
    if code not in catalog:
        return code
    ind = catalog[code]
    return f"{ind.short} (tiêu chí {ind.number})" if ind.number is not None else ind.short


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _doubting(findings: pl.DataFrame) -> pl.DataFrame:
    """The findings that doubt a figure: every error, and the warnings of
    :data:`DOUBTING_WARNINGS`."""
    return findings.filter(
        (pl.col("severity") == "error")
        | ((pl.col("severity") == "warning") & pl.col("rule").is_in(DOUBTING_WARNINGS)))


def doubted(findings: pl.DataFrame) -> dict[str, str]:
    """Indicator → how a finding doubts its figure: "error" (it cannot be true) or "warning"
    (another source contradicts it, it is far from every other unit, …)."""
    rows = _doubting(findings)
    out: dict[str, str] = {}
    for code, severity in rows.select("indicator", "severity").iter_rows():
        if code and out.get(code) != "error":
            out[code] = severity
    return out


def doubted_cells(findings: pl.DataFrame) -> set[tuple[str, str]]:
    """(unit, indicator) of every figure a finding doubts (:func:`doubted`, all units)."""
    rows = _doubting(findings)
    return {(u, i) for u, i in rows.select("unit_code", "indicator").iter_rows() if u and i}


def verdict(table: pl.DataFrame, findings: pl.DataFrame, first: int = 3) -> dict[str, Any]:
    """A unit's verdict, the one summary its report opens with and its email and the manifest
    repeat: criteria met of those with a target (and how many of them rest on doubtful
    figures), missed, undetermined, the errors to correct, and the ``first`` things to do —
    the criteria furthest below target and the errors to correct, each with the anchor of its
    row in the report (``tc-TC06``, ``vd-TC08``).

    ``table``: :func:`wide` rows of one unit and period; ``findings``: that unit's findings.
    """
    catalog = load_catalog()
    crit = table.filter(pl.col("group") != "pillar")
    flagged = doubted(findings)
    met = crit.filter(pl.col("attained") == True)  # noqa: E712
    missed = crit.filter(pl.col("attained") == False).with_columns(  # noqa: E712
        (pl.col("target") - pl.col("after")).alias("gap")).sort("gap", descending=True)
    with_target = crit.filter(pl.col("target").is_not_null()).height
    errors = findings.filter(pl.col("severity") == "error")
    to_fix = [r for r in errors.unique(subset=["indicator", "rule"], keep="first",
                                       maintain_order=True).iter_rows(named=True)]
    targets = [{
        "kind": "target", "indicator": r["indicator"], "anchor": f"tc-{r['indicator']}",
        "text": f"{criterion_label(r['indicator'], catalog)}: "
                f"{value_text(r['after'], r['after_qualifier'], r['after_raw'])}, chỉ tiêu "
                f"{format_percent(r['target'], qualifier=r['target_qualifier'] or '≥')} — còn "
                f"thiếu {format_number(r['gap'] * 100, 1)} điểm %."}
        for r in missed.iter_rows(named=True) if r["indicator"] not in flagged]
    fixes = [{
        "kind": "error", "indicator": r["indicator"],
        "anchor": f"vd-{r['indicator'] or r['rule']}",
        "text": (f"Sửa số liệu {criterion_label(r['indicator'], catalog)}: "
                 if r["indicator"] else "Gửi lại tệp: ") + _lower_first(r["fix"] or r["message"])}
        for r in to_fix]
    # one missed target first, then the errors, then the other missed targets
    ordered = targets[:1] + fixes + targets[1:]
    return {
        "met": met.height, "with_target": with_target, "missed": missed.height,
        "undetermined": with_target - met.height - missed.height,
        "doubtful": met.filter(pl.col("indicator").is_in(list(flagged))).height,
        "errors": errors.height, "first": ordered[:first],
    }
