"""Attainment, change, province aggregates and ranking on the real Thường Xuân table."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import THUONG_XUAN

from bakhong import indicators
from bakhong.checks import check
from bakhong.read import read_table


@pytest.fixture(scope="module")
def thuong_xuan():
    table = read_table(THUONG_XUAN)
    return table.observations, check(table.observations, table.findings)


def test_qualifier_aware_attainment():
    assert indicators.attains(0.9, ">", 0.9) is True       # "trên 90%" vs 90%
    assert indicators.attains(0.9, ">", 1.0) is None       # may or may not reach 100%
    assert indicators.attains(0.74, "=", 0.8) is False
    assert indicators.attains(0.8, "=", 0.8) is True
    assert indicators.attains(0.95, "<", 0.9) is None      # "dưới 95%"
    assert indicators.attains(None, "=", 0.8) is None


def test_thuong_xuan_as_the_source_gives_it(thuong_xuan):
    obs, _ = thuong_xuan
    wide = indicators.wide(obs).filter(pl.col("unit_code") == "396")
    row = {r["indicator"]: r for r in wide.iter_rows(named=True)}
    k2 = row["K2"]
    assert indicators.value_text(k2["before"], k2["before_qualifier"], k2["before_raw"]) == "22,7%"
    assert indicators.value_text(k2["after"], k2["after_qualifier"], k2["after_raw"]) == \
        "hơn 96,5%"
    k1 = row["K1"]
    assert indicators.value_text(k1["after"], k1["after_qualifier"], k1["after_raw"]) == \
        "trên 90%"
    assert indicators.change_text(k1["change"], k1["after_qualifier"]) == "tăng hơn 55 điểm %"
    tc09 = row["TC09"]
    assert indicators.value_text(tc09["after"], tc09["after_qualifier"], tc09["after_raw"]) == \
        "45,75%"
    assert row["TC06"]["attained"] is False and row["TC14"]["attained"] is False
    assert row["TC09"]["attained"] is True
    assert sum(r["attained"] is True for r in row.values() if r["target"] is not None) == 14


def test_province_weights_only_usable_denominators(thuong_xuan):
    obs, findings = thuong_xuan
    prov = indicators.province(obs, findings)
    by = {(r["indicator"], r["phase"]): r for r in prov.iter_rows(named=True)}
    # TC13 gives 23252/23252 with no problem: weighted
    assert by[("TC13", "after")]["weighted"] is True
    assert by[("TC13", "after")]["value"] == pytest.approx(1.0)
    # TC08's denominator is flagged: unweighted, and the method says why
    assert by[("TC08", "after")]["weighted"] is False
    assert "không trọng số" in by[("TC08", "after")]["method"]
    # TC06 has no ratio at all
    assert "không đơn vị nào ghi tử số/mẫu số" in by[("TC06", "after")]["method"]


def test_province_weighted_mean_is_sum_over_sum():
    rows = []
    for code, num, den in (("396", 50, 100), ("386", 900, 1000)):
        rows.append({"unit_code": code, "unit_name": code, "unit_level": "district",
                     "period": "2024", "indicator": "TC13", "phase": "after",
                     "value": num / den, "qualifier": "=", "numerator": float(num),
                     "denominator": float(den), "status": "ok", "synthetic": False})
    obs = pl.DataFrame(rows)
    prov = indicators.province(obs)
    assert prov["value"][0] == pytest.approx(950 / 1100)   # not the mean 0.7
    assert prov["weighted"][0] is True


def test_ranking_ties_share_the_best_rank():
    rows = [{"unit_code": c, "unit_name": c, "unit_level": "district", "period": "2024",
             "indicator": "TC06", "phase": "after", "value": v, "qualifier": "=",
             "status": "ok"} for c, v in (("a", 0.9), ("b", 0.9), ("c", 0.5))]
    ranks = indicators.ranking(pl.DataFrame(rows), "2024")
    assert dict(zip(ranks["unit_code"], ranks["rank"], strict=True)) == {"a": 1, "b": 1, "c": 3}
    assert set(ranks["units"]) == {3}


def test_real_beats_synthetic():
    base = {"unit_name": "x", "unit_level": "district", "period": "2024", "indicator": "K1",
            "phase": "after", "value": 0.5, "status": "ok"}
    obs = pl.DataFrame([{**base, "unit_code": "396", "synthetic": False},
                        {**base, "unit_code": "396", "synthetic": True, "value": 0.1},
                        {**base, "unit_code": "386", "synthetic": True}])
    kept = indicators.prefer_real(obs)
    assert kept.height == 2 and kept.filter(pl.col("unit_code") == "396")["value"][0] == 0.5
