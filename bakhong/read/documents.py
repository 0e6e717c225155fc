"""Plans applied to the results read with them: the targets in force, and the findings about
documents and time.

* **Targets in force** (:func:`apply_targets`): for a unit and period, a plan's target beats
  the template's and ``targets.csv``'s; a later plan (by its date, else its file name) beats
  an earlier one; a district's plan binds its communes too, the commune's own plan first.
  ``target_source`` says which: "Kế hoạch … (tệp:line 57)".
* **Findings** (:func:`document_findings`, rule scope ``document``): a plan or a blank form
  from a unit with no results for the period (``no_results``); results signed after a
  plan's deadline for reporting results (``late_report``); results from a unit the plan
  excluded (``excluded_unit``); fewer fully-online services than the plan's minimum
  (``too_few_online_services``). Each names the plan's sentence.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ..contract import Source
from ..vocab import rules as fnd
from ..vocab import units as units_mod
from ..vocab.parse import fold, format_date
from ..vocab.rules import Finding
from .kind import KIND_VI
from .table import Table

_DOCUMENT_KINDS = ("plan", "blank_template")


def is_document(table: Table) -> bool:
    """A plan or a blank form: it gives targets and dates, never results."""
    return table.document.kind in _DOCUMENT_KINDS


def _label(table: Table) -> str:
    kind = "Kế hoạch" if table.document.kind == "plan" else "Văn bản hướng dẫn"
    who = f" {table.unit.full_name}" if table.unit else ""
    return f"{kind}{who} {table.period}".strip()


def _order(table: Table) -> tuple[str, str]:
    return (table.dated or "", table.path.name)


def plan_targets(documents: list[Table]) -> pl.DataFrame:
    """One row per unit × period × indicator of the plans' targets, the binding one: columns
    unit_code, period, indicator, target, target_qualifier, target_source, binds (the code
    of the unit the plan is about), raw, source."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for table in sorted(documents, key=_order):  # later plans overwrite earlier ones
        if table.plan is None or table.unit is None:
            continue
        for t in table.plan.targets:
            rows[(table.unit.code, table.period, t["indicator"])] = {
                "unit_code": table.unit.code, "period": table.period,
                "indicator": t["indicator"], "target": t["target"],
                "target_qualifier": t["target_qualifier"],
                "target_source": f"{_label(table)}, {t['source']}", "raw": t["raw"],
                "source": t["source"], "level": table.unit.level}
    schema = {"unit_code": pl.String, "period": pl.String, "indicator": pl.String,
              "target": pl.Float64, "target_qualifier": pl.String, "target_source": pl.String,
              "raw": pl.String, "source": pl.String, "level": pl.String}
    return pl.DataFrame(list(rows.values()), schema=schema)


def apply_targets(observations: pl.DataFrame, documents: list[Table]) -> pl.DataFrame:
    """The observations with the plans' targets in force (see the module docstring)."""
    targets = plan_targets(documents)
    if targets.is_empty() or observations.is_empty():
        return observations
    keys = ["unit_code", "period", "indicator"]
    own = targets.select(*keys, "target", "target_qualifier", "target_source")
    districts = targets.filter(pl.col("level") == "district").select(
        pl.col("unit_code").alias("_parent"), "period", "indicator",
        pl.col("target").alias("_dt"), pl.col("target_qualifier").alias("_dq"),
        pl.col("target_source").alias("_ds"))
    parents = {c: units_mod.parent_code(c)
               for c in observations["unit_code"].unique().to_list() if c}
    out = observations.with_columns(
        pl.col("unit_code").replace_strict(parents, default="").alias("_parent")
    ).join(own.rename({"target": "_ot", "target_qualifier": "_oq", "target_source": "_os"}),
           on=keys, how="left").join(districts, on=["_parent", "period", "indicator"],
                                     how="left")
    return out.with_columns(
        pl.coalesce("_ot", "_dt", "target").alias("target"),
        pl.when(pl.col("_ot").is_not_null()).then("_oq").when(pl.col("_dt").is_not_null())
        .then("_dq").otherwise("target_qualifier").alias("target_qualifier"),
        pl.coalesce("_os", "_ds", "target_source").alias("target_source"),
    ).select(observations.columns)


def plan_records(documents: list[Table]) -> list[dict[str, Any]]:
    """Each plan or instruction read, as written to ``plans.json``: its file, unit, period,
    kind and reason, date, and what it says."""
    return [{"file": t.path.name, "unit_code": t.unit.code if t.unit else "",
             "unit_name": t.unit.name if t.unit else "", "period": t.period,
             "document": t.document.kind, "reason": t.document.reason, "dated": t.dated,
             "synthetic": t.synthetic, **(t.plan.as_dict() if t.plan else {})}
            for t in sorted(documents, key=lambda t: t.path.name)]


def _record(table: Table, source: str) -> dict[str, Any]:
    return {"unit_code": table.unit.code if table.unit else "",
            "unit_name": table.unit.name if table.unit else "", "period": table.period,
            "source": source, "synthetic": table.synthetic}


def _binds(plan_table: Table, unit_code: str) -> bool:
    """Whether a plan is about this unit: its own, or a commune of its district."""
    if plan_table.unit is None:
        return False
    return plan_table.unit.code == unit_code or (
        plan_table.unit.level == "district"
        and units_mod.parent_code(unit_code) == plan_table.unit.code)


def _results_deadline(plan_table: Table) -> dict[str, str] | None:
    """The plan's deadline for reporting results ("báo cáo kết quả … trước ngày 15/9/2024")."""
    due = [d for d in (plan_table.plan.deadlines if plan_table.plan else ())
           if "bao cao" in fold(d["what"]) and "ket qua" in fold(d["what"])]
    return max(due, key=lambda d: d["due"]) if due else None


def document_findings(tables: list[Table]) -> list[Finding]:
    """The findings about documents and time over every table read (module docstring)."""
    documents = [t for t in tables if is_document(t)]
    results = [t for t in tables if not is_document(t) and t.unit is not None]
    have_results = {(t.unit.code, t.period) for t in results if not t.observations.is_empty()}
    found: list[Finding] = []
    for doc in documents:
        if doc.unit is not None and (doc.unit.code, doc.period) not in have_results:
            found.append(fnd.make("no_results", {"detail": KIND_VI[doc.document.kind]},
                                  **_record(doc, Source(doc.path.name).render())))
    for result in results:
        for plan_table in documents:
            if plan_table.period != result.period or not _binds(plan_table, result.unit.code):
                continue
            found += _against_plan(result, plan_table)
    return found


def _against_plan(result: Table, plan_table: Table) -> list[Finding]:
    plan = plan_table.plan
    if plan is None:
        return []
    found: list[Finding] = []
    record = _record(result, Source(result.path.name).render())
    for unit in plan.excluded_units:
        if unit["code"] == result.unit.code:
            found.append(fnd.make("excluded_unit", {"detail": f"{unit['name']}: "
                                  f"{unit['reason']} ({unit['source']})"}, **record))
    deadline = _results_deadline(plan_table)
    if deadline and result.dated and result.dated > deadline["due"]:
        found.append(fnd.make("late_report", {
            "value_date": format_date(result.dated), "due": format_date(deadline["due"]),
            "detail": f"{deadline['what']} ({deadline['source']})"}, **record))
    minimum = plan.min_online_services
    if minimum and result.online_services is not None and result.online_services < minimum:
        found.append(fnd.make("too_few_online_services", {
            "value_count": result.online_services, "minimum": minimum,
            "detail": f"tối thiểu {minimum:02d} dịch vụ ({plan_table.path.name})"}, **record))
    return found
