"""Real beats synthetic (bakhong.vocab.provenance): one rule for files, tables and rows."""

from __future__ import annotations

import polars as pl

from bakhong.indicators import prefer_real
from bakhong.vocab.provenance import drop_shadowed, real_beats_synthetic


def _rows(*spec: tuple[str, str, bool]) -> pl.DataFrame:
    return pl.DataFrame([{"unit_code": u, "period": p, "synthetic": s, "n": i}
                         for i, (u, p, s) in enumerate(spec)])


def test_real_rows_shadow_synthetic_rows_of_the_same_unit_and_period_only():
    obs = _rows(("396", "2024", True), ("396", "2024", False), ("396", "2023", True),
                ("397", "2024", True))
    kept = drop_shadowed(obs)
    assert kept["n"].to_list() == [1, 2, 3]
    assert prefer_real(obs).equals(kept)


def test_findings_are_shadowed_by_the_real_observations():
    findings = _rows(("396", "2024", True), ("397", "2024", True), ("396", "2024", False))
    observations = _rows(("396", "2024", False))
    assert drop_shadowed(findings, by=observations)["n"].to_list() == [1, 2]


def test_without_real_data_synthetic_data_stands_in():
    obs = _rows(("396", "2024", True), ("397", "2024", True))
    assert drop_shadowed(obs).equals(obs)
    assert drop_shadowed(obs.head(0)).is_empty()


def test_items_and_keys_of_real_data_elsewhere():
    items = [("396", True), ("397", True), ("398", False), ("398", True)]
    kept = real_beats_synthetic(items, key=lambda i: i[0], synthetic=lambda i: i[1],
                                real=["396"])
    assert kept == [("397", True), ("398", False)]
