"""The checks scored against a synthetic province's ground truth: each planted defect found or
missed (:func:`score`), and recall and precision (:func:`totals`).
"""

from __future__ import annotations

from typing import Any

from ..vocab import rules as fnd


def _key(row: dict[str, Any]) -> tuple[str, str, str, str]:
    return (row["rule"], row["unit_code"] or "", row["indicator"] or "", row["phase"] or "")


def score(findings: Any, truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Recall and precision of the checks, per rule, against a ground truth.

    A finding is a true positive when a defect of its rule sits on the same unit, indicator
    and phase; results (``info``: ``below_target``) are not scored. Returns one row per rule
    that was injected or found: rule, severity, injected, recalled, findings, correct,
    recall, precision (None when there is nothing to divide by).
    """
    expected = {_key(d) for d in truth["defects"]}
    rows = [r for r in findings.iter_rows(named=True) if r["severity"] != "info"]
    found_keys = {_key(r) for r in rows}
    severity = {name: rule.severity for name, rule in fnd.rules().items()}
    out = []
    for rule in fnd.RULE_NAMES:
        injected = {k for k in expected if k[0] == rule}
        hits = [r for r in rows if r["rule"] == rule]
        if not injected and not hits:
            continue
        recalled = len(injected & found_keys)
        correct = sum(_key(r) in expected for r in hits)
        out.append({
            "rule": rule, "severity": severity.get(rule, ""), "injected": len(injected),
            "recalled": recalled, "findings": len(hits), "correct": correct,
            "recall": recalled / len(injected) if injected else None,
            "precision": correct / len(hits) if hits else None,
        })
    return out


def totals(scores: list[dict[str, Any]], severity: str | None = None) -> dict[str, Any]:
    """Recall and precision over every rule (of one severity)."""
    rows = [r for r in scores if severity is None or r["severity"] == severity]
    injected = sum(r["injected"] for r in rows)
    found = sum(r["findings"] for r in rows)
    return {
        "injected": injected, "recalled": sum(r["recalled"] for r in rows),
        "findings": found, "correct": sum(r["correct"] for r in rows),
        "recall": sum(r["recalled"] for r in rows) / injected if injected else None,
        "precision": sum(r["correct"] for r in rows) / found if found else None,
    }
