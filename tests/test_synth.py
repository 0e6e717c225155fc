"""The synthetic province: marked as synthetic everywhere, deterministic, plausible, and its
ground truth reproduced by the checks (seeds the benchmark never uses)."""

from __future__ import annotations

import json
import shutil
import statistics

import polars as pl
import pytest
from conftest import THUONG_XUAN

from bakhong.checks import check, check_paths
from bakhong.read import read_tables
from bakhong.synth.province import GROUND_TRUTH, HIGHLAND, score, synthesize, totals
from bakhong.vocab.units import populations

# never used by benchmarks/checks_recall.py (which runs seed 7 unless told otherwise)
UNSEEN_SEEDS = (31, 4242, 90001)


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synthetic")
    truth = synthesize(4242, folder)
    observations, problems, tables = read_tables([folder])
    return folder, truth, observations, check(observations, problems), tables


@pytest.mark.parametrize("seed", UNSEEN_SEEDS)
def test_checks_reproduce_the_ground_truth(tmp_path, seed):
    truth = synthesize(seed, tmp_path)
    findings = check_paths([tmp_path])[1]
    scores = score(findings, truth)
    injected = {r["rule"] for r in scores if r["injected"]}
    # every error rule of the vocabulary that a file can carry is injected
    assert {"ratio_over_100", "stated_mismatch", "swapped_ratio", "denominator_inconsistent",
            "denominator_implausible", "duplicate", "load_error", "unknown_unit"} <= injected
    assert {"outlier", "regression", "related_inconsistent", "incomplete_unit", "missing",
            "unparseable", "target_mismatch"} <= injected
    for row in scores:
        if row["severity"] == "error" and row["injected"]:
            assert row["recall"] == 1.0, row
    errors = findings.filter(pl.col("severity") == "error")
    assert totals(scores, "error")["findings"] == errors.height
    assert totals(scores, "error")["precision"] == 1.0     # no error on a clean cell
    assert totals(scores)["precision"] >= 0.95


def test_same_seed_same_truth_and_observations(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    synthesize(31, a)
    synthesize(31, b)
    assert (a / GROUND_TRUTH).read_bytes() == (b / GROUND_TRUTH).read_bytes()
    obs_a = read_tables([a])[0].drop("file")
    obs_b = read_tables([b])[0].drop("file")
    assert obs_a.equals(obs_b, null_equal=True)
    synthesize(32, b)
    assert (a / GROUND_TRUTH).read_bytes() != (b / GROUND_TRUTH).read_bytes()


def test_every_file_says_it_is_synthetic(province):
    from openpyxl import load_workbook

    folder, truth, observations, _, tables = province
    assert observations["synthetic"].all() and observations.height > 500
    assert all(t.synthetic for t in tables)
    assert truth["note"].startswith("DỮ LIỆU MÔ PHỎNG")
    for entry in truth["files"]:
        path = folder / entry["file"]
        if entry["note"] == "not a workbook":
            continue
        if path.suffix == ".xlsx":
            wb = load_workbook(path)
            assert "DỮ LIỆU MÔ PHỎNG" in wb.properties.title
            assert "DỮ LIỆU MÔ PHỎNG" in (wb.properties.keywords or "")
            first = wb.active["A1"].value
            assert "MÔ PHỎNG" in __import__("unicodedata").normalize("NFC", first)
        else:
            text = __import__("unicodedata").normalize("NFC", path.read_text("utf-8-sig"))
            assert text.splitlines()[0].startswith("DỮ LIỆU MÔ PHỎNG")


def test_the_province_has_the_quirks_districts_files_have(province):
    folder, truth, observations, _, _ = province
    suffixes = {p.suffix for p in folder.iterdir()}
    assert {".xlsx", ".csv"} <= suffixes
    assert len({f["layout"] for f in truth["files"]}) >= 5
    raws = observations["raw"].drop_nulls().to_list()
    assert any("/" in r and "=" in r for r in raws)               # "a/b = c%"
    assert any(r.startswith("trên") for r in raws)                # "trên 90%"
    assert any("," in r and "%" in r for r in raws)               # decimal comma
    assert (observations["qualifier"] == ">").any()


def test_values_are_plausible(province):
    _, truth, observations, _findings, _ = province
    after = observations.filter(pl.col("phase") == "after", pl.col("status") == "ok",
                                pl.col("value") <= 1)
    highland = after.filter(pl.col("unit_code").is_in(HIGHLAND))["value"].mean()
    lowland = after.filter(~pl.col("unit_code").is_in(HIGHLAND))["value"].mean()
    assert highland < lowland - 0.02
    wide = observations.filter(pl.col("status") == "ok").pivot(
        on="phase", index=["unit_code", "indicator"], values="value", aggregate_function="first")
    assert (wide["before"] < wide["after"]).mean() > 0.95
    met = after.filter(pl.col("target").is_not_null())
    assert 0.3 < (met["value"] >= met["target"]).mean() < 0.95   # spread around the targets
    cited = populations()
    for unit in truth["units"]:
        if unit["unit_code"] in cited:
            ratio = unit["synthetic_population"] / cited[unit["unit_code"]].population
            assert 1.0 <= ratio <= 1.1
    assert statistics.median(u["synthetic_population"] for u in truth["units"]) > 50_000


def test_real_data_beats_synthetic_silently(tmp_path):
    synthesize(31, tmp_path / "synthetic")
    shutil.copy(THUONG_XUAN, tmp_path / "thuong-xuan-2024.xlsx")
    observations, problems, tables = read_tables([tmp_path])
    tx = [t for t in tables if t.unit and t.unit.code == "396"]
    assert [t.path.name for t in tx] == ["thuong-xuan-2024.xlsx"]
    assert not any(f.rule == "duplicate" and f.unit_code == "396" for f in problems)
    assert not observations.filter(unit_code="396")["synthetic"].any()
    findings = check(observations, problems).filter(unit_code="396", severity="error")
    assert sorted(zip(findings["rule"], findings["indicator"], strict=True)) == [
        ("denominator_inconsistent", "TC08"), ("swapped_ratio", "TC09")]


def test_two_real_tables_that_disagree_are_a_duplicate(tmp_path, make_file):
    from conftest import document

    make_file("386-ba-thuoc-2024.xlsx")
    make_file("386-ba-thuoc-2024-sua.xlsx", document(TC07={"after": "81%"}))
    make_file("381-bim-son-2024.xlsx", document(unit="UBND thị xã Bỉm Sơn"))
    make_file("381-bim-son-2024-ban-2.xlsx", document(unit="UBND thị xã Bỉm Sơn"))
    observations, problems, tables = read_tables([tmp_path])
    dup = [f for f in problems if f.rule == "duplicate"]
    assert [(f.unit_code, f.indicator, f.phase) for f in dup] == [("386", "TC07", "after")]
    assert "386-ba-thuoc-2024-sua.xlsx" in dup[0].message
    assert len(tables) == 2          # one table per unit and period is used
    assert observations.filter(unit_code="386", indicator="TC07", phase="after").height == 1


def test_commune_level_units_are_made_up_and_say_so(tmp_path, make_file):
    from conftest import document

    from bakhong.read import read_table
    from bakhong.synth.template import Document

    base = document()
    doc = Document("UBND xã Mô phỏng 03 – huyện Thường Xuân", "2024", base.cells, synthetic=True)
    table = read_table(make_file("396-03-mo-phong-03-thuong-xuan-2024.xlsx", doc))
    assert (table.unit.code, table.unit.level, table.unit.parent_code) == ("396-03", "commune",
                                                                            "396")
    assert "Mô phỏng" in table.unit.name and table.synthetic


def test_ground_truth_is_json_with_the_defects(province):
    folder, truth, *_ = province
    data = json.loads((folder / GROUND_TRUTH).read_text("utf-8"))
    assert data == truth
    assert {"unit_code", "indicator", "phase", "rule", "severity", "file"} <= set(
        data["defects"][0])
    defective = {d["unit_code"] for d in data["defects"] if d["unit_code"]}
    assert len(defective) < len(data["units"]) * 0.75      # a minority-ish of units
