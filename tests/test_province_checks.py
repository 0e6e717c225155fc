"""Cross-unit rules: outlier (and consistency over time), related_inconsistent,
incomplete_unit, and the province summary."""

from __future__ import annotations

import polars as pl
from conftest import THUONG_XUAN, document

from bakhong.checks import check, check_paths, modified_z, summary
from bakhong.read import read_tables
from bakhong.vocab.rules import related, rules
from bakhong.vocab.units import districts

LOWLAND = [u for u in districts() if not u.mountain][:9]


def _province(make_file, n: int, changes: dict | None = None, period: str = "2024",
              suffix: str = "") -> None:
    for i, unit in enumerate(LOWLAND[:n]):
        cells = (changes or {}).get(unit.code, {})
        doc = document(unit=f"UBND {unit.kind} {unit.name}", period=period, **cells)
        # a little spread, as real units have
        spread = {"TC07": {"after": f"{80 + i}%"}, "TC15": {"after": f"{70 + i}%"}}
        for code, cell in spread.items():
            if code not in cells:
                doc.cells[code].update(cell)
        make_file(f"{unit.code}-{unit.slug}-{period}{suffix}.xlsx", doc)


def _hits(findings, rule):
    hits = findings.filter(rule=rule)
    return sorted(zip(hits["unit_code"], hits["indicator"], hits["phase"], strict=True))


def test_modified_z_follows_who_dqr():
    assert modified_z([0.5, 0.5, 0.5]) is None                   # nothing stands out
    values = [1.0] * 9 + [0.6]                                    # MAD = 0: MeanAD fallback
    scores = modified_z(values)
    assert round(scores[-1], 2) == round(0.7979 * -0.4 / (0.4 / 10), 2)


def test_outlier_is_found_and_a_weak_comparison_says_so(tmp_path, make_file):
    low = LOWLAND[2]
    _province(make_file, 9, {low.code: {"TC07": {"after": "20%"}}})
    findings = check_paths([tmp_path])[1]
    assert _hits(findings, "outlier") == [(low.code, "TC07", "after")]
    assert "chưa chắc chắn" not in findings.filter(rule="outlier")["message"][0]
    for f in tmp_path.glob("*.xlsx"):
        if not f.name.startswith((low.code, LOWLAND[0].code, LOWLAND[1].code,
                                  LOWLAND[3].code, LOWLAND[4].code, LOWLAND[5].code)):
            f.unlink()
    findings = check_paths([tmp_path])[1]
    message = findings.filter(rule="outlier")["message"][0]
    assert "6 đơn vị" in message and "chưa chắc chắn" in message
    assert rules()["outlier"].severity == "warning"


def test_consistency_over_time_is_an_outlier(tmp_path, make_file):
    _province(make_file, 5, period="2023")
    first = LOWLAND[0]
    _province(make_file, 5, {first.code: {"TC15": {"after": "30%"}}}, period="2024")
    findings = check_paths([tmp_path])[1]
    over_time = findings.filter(rule="outlier", unit_code=first.code, indicator="TC15",
                                period="2024")
    assert over_time.height >= 1
    assert any("trung bình các kỳ trước" in m for m in over_time["message"])


def test_related_pairs_are_data_and_hold(tmp_path, make_file):
    assert ("TC14", "TC08") in {(p.smaller, p.larger) for p in related()}
    assert all(p.reason and p.tolerance >= 0 for p in related())
    path = make_file("386-ba-thuoc-2024.xlsx",
                     document(TC08={"after": "70%"}, TC14={"after": "85%"}))
    findings = check_paths([path])[1]
    assert _hits(findings, "related_inconsistent") == [("386", "TC14", "after")]
    message = findings.filter(rule="related_inconsistent")["message"][0]
    assert message.startswith("Số liệu không khớp nhau:") and "VNeID" in message
    # counts decide when both cells give them: 60% of adults can be fewer people than 55%
    # of all residents
    ok = make_file("381-bim-son-2024.xlsx", document(
        unit="UBND thị xã Bỉm Sơn", TC08={"after": "= 27.500/50.000 = 55%"},
        TC14={"after": "= 21.000/35.000 = 60%"}))
    assert check_paths([ok])[1].filter(rule="related_inconsistent").is_empty()


def test_incomplete_units_and_units_that_sent_nothing(tmp_path, make_file):
    doc = document()
    partial = {k: v for k, v in doc.cells.items() if k not in ("TC03", "TC12")}
    from bakhong.synth.template import Document

    make_file("386-ba-thuoc-2024.xlsx", Document(doc.unit_title, "2024", partial))
    alone = check_paths([tmp_path])[1]
    assert _hits(alone, "incomplete_unit") == [("386", "", "")]     # 14/16 < 90%
    make_file("381-bim-son-2024.xlsx", document(unit="UBND thị xã Bỉm Sơn"))
    findings = check_paths([tmp_path])[1]
    absent = findings.filter(pl.col("rule") == "incomplete_unit", pl.col("unit_code") != "386")
    assert absent.height == 27 - 2          # Đông Sơn still reports for 2024
    assert "405" in set(absent["unit_code"])


def test_checking_one_file_does_not_flag_the_others():
    findings = check_paths([THUONG_XUAN])[1]
    assert findings.filter(rule="incomplete_unit").is_empty()
    assert findings.filter(rule="outlier").is_empty()


def test_summary_counts_units_per_rule(tmp_path, make_file):
    low = LOWLAND[2]
    _province(make_file, 9, {low.code: {"TC07": {"after": "20%"}},
                             LOWLAND[0].code: {"TC05": {"after": "120%"}}})
    observations, problems, _ = read_tables([tmp_path])
    findings = check(observations, problems)
    table = summary(findings, observations)
    row = table.filter(rule="outlier").row(0, named=True)
    assert (row["units"], row["total"]) == (1, 27)  # the 18 districts that sent nothing count
    assert row["names"] == low.name and abs(row["share"] - 1 / 27) < 1e-9
    assert table.filter(rule="ratio_over_100")["names"][0] == LOWLAND[0].name


def test_a_real_unit_is_never_an_outlier_among_synthetic_ones(tmp_path, make_file):
    from bakhong.synth.template import Document

    low = LOWLAND[2]
    _province(make_file, 9, {low.code: {"TC07": {"after": "20%"}}})
    assert _hits(check_paths([tmp_path])[1], "outlier") == [(low.code, "TC07", "after")]
    # the same nine tables, marked synthetic, beside one real table of an extreme unit
    for f in tmp_path.glob("*.xlsx"):
        f.unlink()
    for i, unit in enumerate(LOWLAND[:9]):
        doc = document(unit=f"UBND {unit.kind} {unit.name}",
                       TC07={"after": "20%" if unit is low else f"{80 + i}%"})
        doc = Document(doc.unit_title, doc.period, doc.cells, synthetic=unit is not low)
        make_file(f"{unit.code}-{unit.slug}-2024.xlsx", doc)
    assert _hits(check_paths([tmp_path])[1], "outlier") == []
