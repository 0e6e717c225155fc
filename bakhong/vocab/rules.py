"""The finding vocabulary: rules as data (``_data/rules.toml``), the finding record, its table.

A finding is one problem: a unit, period, indicator and phase, the rule it breaks, a
severity, a Vietnamese message a district official understands, the value, what was
expected, the cell it sits in, and the fix suggested to the district.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import polars as pl

from .. import config
from ..contract import FINDING_SCHEMA, PHASE_VI, SEVERITIES, SEVERITY_VI
from .personal import hide

__all__ = [
    "FINDING_SCHEMA", "PHASE_VI", "RULE_NAMES", "SEVERITIES", "SEVERITY_VI", "Finding",
    "Related", "Relation", "Rule", "make", "related", "relations", "render", "rules", "sort",
    "to_frame",
]

#: The fixed vocabulary of rule names (DESIGN.md).
RULE_NAMES = (
    "load_error", "unparseable", "missing", "unknown_unit", "unknown_indicator", "duplicate",
    "ratio_over_100", "stated_mismatch", "swapped_ratio", "denominator_implausible",
    "denominator_inconsistent", "regression", "below_target", "target_mismatch", "outlier",
    "related_inconsistent", "incomplete_unit",
    # documents and time (bakhong.read.documents)
    "no_results", "late_report", "excluded_unit", "too_few_online_services",
    # units through time (bakhong.vocab.units)
    "unit_out_of_period", "no_baseline",
    # trust in figures
    "malformed_row",
    # hostile and broken input: a sheet read in part, a figure with a minus
    "partly_read", "negative_value",
)


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str
    scope: str
    message: str
    fix: str = ""
    expected: str = ""
    when: str = ""
    check: str = ""
    tolerance: float = 0.0
    unless: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)  # a check's own thresholds


@dataclass(frozen=True)
class Related:
    """Two indicators of one unit whose rates must stand in order: smaller ≤ larger + tolerance."""

    smaller: str
    larger: str
    tolerance: float
    reason: str


@dataclass(frozen=True)
class Relation:
    """Two populations that must stand in proportion inside one unit."""

    larger: str
    smaller: str
    max_ratio: float
    reason: str


@cache
def _rules_file() -> dict[str, Any]:
    with (config.PACKAGE_DATA / "rules.toml").open("rb") as handle:
        return tomllib.load(handle)


@cache
def rules() -> dict[str, Rule]:
    """Every rule by name, in the order of ``rules.toml``."""
    out = {}
    for row in _rules_file()["rule"]:
        row = dict(row)
        row["unless"] = tuple(row.get("unless", ()))
        out[row["name"]] = Rule(**row)
    unknown = set(out) - set(RULE_NAMES)
    if unknown:
        raise ValueError(f"rules.toml names rules outside the vocabulary: {sorted(unknown)}")
    return out


@cache
def relations() -> tuple[Relation, ...]:
    return tuple(Relation(**row) for row in _rules_file().get("relation", ()))


@cache
def related() -> tuple[Related, ...]:
    """The pairs of indicators ``related_inconsistent`` checks (``[[related]]`` in rules.toml)."""
    return tuple(Related(**row) for row in _rules_file().get("related", ()))


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    message: str
    unit_code: str = ""
    unit_name: str = ""
    period: str = ""
    indicator: str = ""
    phase: str = ""
    value: float | None = None
    expected: str = ""
    source: str = ""
    fix: str = ""
    synthetic: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)  # flat fields: no need for asdict's deep copy


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "—"


def render(template: str, fields: dict[str, Any]) -> str:
    """Fill a message template; a field the finding lacks shows as "—"."""
    return template.format_map(_Blank(fields))


def make(rule_name: str, fields: dict[str, Any] | None = None, **record: Any) -> Finding:
    """A finding of a rule, its message and fix rendered from ``fields``."""
    rule = rules()[rule_name]
    # a cell's text quoted in a message never carries a phone or CCCD number
    fields = {"phase": PHASE_VI.get(record.get("phase", ""), ""),
              **{k: hide(v) if isinstance(v, str) else v for k, v in (fields or {}).items()}}
    return Finding(rule=rule.name, severity=rule.severity,
                   message=render(rule.message, fields), fix=render(rule.fix, fields),
                   expected=render(rule.expected, fields) if rule.expected else "",
                   **record)


def to_frame(findings: list[Finding]) -> pl.DataFrame:
    """Findings as a table with :data:`FINDING_SCHEMA`, most severe first."""
    frame = pl.DataFrame([f.as_dict() for f in findings] or None, schema=FINDING_SCHEMA,
                         orient="row" if not findings else None)
    return sort(frame)


def sort(frame: pl.DataFrame) -> pl.DataFrame:
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return frame.with_columns(
        pl.col("severity").replace_strict(order, default=9).alias("_o")
    ).sort(["_o", "unit_code", "indicator", "phase", "rule"]).drop("_o")
