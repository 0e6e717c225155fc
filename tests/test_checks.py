from __future__ import annotations

import polars as pl
import pytest
from conftest import THUONG_XUAN, document

from bakhong.checks import check, check_paths
from bakhong.read import read_table
from bakhong.synth.template import Document
from bakhong.vocab.rules import FINDING_SCHEMA, RULE_NAMES, rules


def _found(path, **kw):
    table = read_table(path, **kw)
    return check(table.observations, table.findings)


def _pairs(findings, severity=None):
    if severity:
        findings = findings.filter(pl.col("severity") == severity)
    return sorted(zip(findings["rule"], findings["indicator"], strict=True))


def test_thuong_xuan_findings_are_exactly_the_sources_errors():
    findings = check_paths([THUONG_XUAN])[1]
    assert findings.schema == pl.Schema(FINDING_SCHEMA)
    assert _pairs(findings, "error") == [("denominator_inconsistent", "TC08"),
                                          ("swapped_ratio", "TC09")]
    assert _pairs(findings, "info") == [("below_target", "TC06"), ("below_target", "TC14")]
    assert _pairs(findings, "warning") == []
    swapped = findings.filter(rule="swapped_ratio").row(0, named=True)
    assert "33.216/72.599 = 45,75%" in swapped["message"]
    assert "218,57%" in swapped["message"]
    assert swapped["source"].endswith("!E20")
    assert swapped["expected"] == "33.216/72.599"
    inconsistent = findings.filter(rule="denominator_inconsistent").row(0, named=True)
    assert "946.030" in inconsistent["message"] and "72.599" in inconsistent["message"]


def test_a_clean_file_has_no_finding(make_file):
    assert check_paths([make_file("386-ba-thuoc-2024.xlsx")])[1].is_empty()


DEFECTS = {
    "ratio_over_100": ({"TC07": {"after": "120%"}, "TC05": {"after": "5.000/4.000"}},
                       [("TC05", "after"), ("TC07", "after")]),
    "stated_mismatch": ({"TC10": {"after": "41.234/50.000 = 72%"}}, [("TC10", "after")]),
    "swapped_ratio": ({"TC09": {"after": "= 72599/33216 = 45,75%"}}, [("TC09", "after")]),
    # TC07, not TC06: TC06 at 80,5% beside the fixture's 92% e-signatures (TC09) would also,
    # rightly, be related_inconsistent
    "regression": ({"TC07": {"before": 0.85, "after": "80,5%"}}, [("TC07", "after")]),
    "below_target": ({"TC15": {"after": "55%"}}, [("TC15", "after")]),
    "target_mismatch": ({"TC09": {"target": "30% trở lên"}}, [("TC09", "after")]),
    "unparseable": ({"TC11": {"after": "đang cập nhật"}}, [("TC11", "after")]),
    "missing": ({"TC12": {"after": None}}, [("TC12", "after")]),
    "denominator_inconsistent": (
        {"TC08": {"after": "= 90.000/90.000 = 100%"}, "TC09": {"after": "3.216/7.259 = 44,3%"},
         "TC06": {"after": "6.000/7.200 = 83,33%"}, "TC14": {"after": "6.500/9.050 = 71,82%"}},
        [("TC08", "after"), ("TC14", "after")]),
    "denominator_implausible": ({"TC08": {"after": "500.000/500.000 = 100%"}},
                                [("TC08", "after")]),
}


@pytest.mark.parametrize("rule", sorted(DEFECTS))
def test_each_defect_is_found_where_it_is_and_nowhere_else(make_file, rule):
    changes, expected = DEFECTS[rule]
    findings = _found(make_file("386-ba-thuoc-2024.xlsx", document(**changes)))
    hits = findings.filter(rule=rule)
    assert sorted(zip(hits["indicator"], hits["phase"], strict=True)) == expected
    assert set(findings["rule"]) - {"below_target"} <= {rule}
    assert all(hits["message"].str.len_chars() > 20)
    assert all(hits["source"].str.contains("!"))
    assert set(hits["severity"]) == {rules()[rule].severity}


def test_duplicate_and_unknown_rows(make_file):
    base = document()
    doc = Document(base.unit_title, base.period, base.cells, extra_rows=(
        ("6", "Tỷ lệ người dân có điện thoại thông minh", "50%"),
        ("17", "Số cuộc họp trực tuyến trong năm", "12"),
    ))
    findings = _found(make_file("386-ba-thuoc-2024.xlsx", doc))
    assert _pairs(findings) == [("duplicate", "TC06"), ("unknown_indicator", "")]


def test_unknown_unit_is_an_error_with_candidates(make_file):
    findings = _found(make_file("bao-cao.xlsx", document(unit="UBND huyện Thường Xuyên")))
    row = findings.filter(rule="unknown_unit").row(0, named=True)
    assert row["severity"] == "error" and "Huyện Thường Xuân" in row["message"]


def test_rule_vocabulary_is_the_designs():
    # every rule of rules.toml is named from the fixed vocabulary and every name has its rule
    assert sorted(rules()) == sorted(RULE_NAMES) and len(RULE_NAMES) == len(set(RULE_NAMES))
    for rule in rules().values():
        assert rule.severity in {"error", "warning", "info"}
        assert rule.message and rule.fix
