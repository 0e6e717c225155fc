"""Units through time: the 2024 communes, the 166 units of 1 July 2025 and the crosswalk
(vietnamadminunits), resolved for the period of each file."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, clean_cells

from bakhong.read import read_source
from bakhong.synth.template import Document, write
from bakhong.vocab import units


def cli_units(*args: str) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "bakhong.cli", "units", *args, "--json"],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_2024_commune_with_its_2025_successor():
    first = cli_units("Xuân Thắng", "--period", "2024")[0]
    assert (first["code"], first["full_name"], first["parent_code"]) == ("15640",
                                                                         "Xã Xuân Thắng", "396")
    assert first["valid_to"] == "2025-06-30"
    assert first["successors"] == [{"code": "15643", "name": "Xã Thắng Lộc"}]


def test_a_2025_commune_with_its_four_predecessors():
    first = cli_units("Thường Xuân", "--period", "2025")[0]
    assert (first["code"], first["full_name"], first["valid_from"]) == (
        "15646", "Xã Thường Xuân", "2025-07-01")
    assert [p["name"] for p in first["predecessors"]] == [
        "Thị trấn Thường Xuân", "Xã Xuân Dương", "Xã Thọ Thanh", "Xã Ngọc Phụng"]


def test_a_reused_code_resolves_by_period():
    assert units.by_code("14797", "2024").full_name == "Phường Đông Hải"
    assert units.by_code("14797", "2025").full_name == "Phường Hạc Thành"
    assert [r["full_name"] for r in cli_units("14797", "--period", "2026")] == [
        "Phường Hạc Thành"]


def test_every_unit_of_either_period_is_listed():
    new = [u for u in units.units() if u.new]
    old = [u for u in units.units() if u.level == "commune" and not u.new]
    assert len(new) == 166 and all(u.predecessors for u in new)
    assert len(old) >= 540 and all(u.successors for u in old)
    assert len(cli_units("--period", "2024", "--level", "commune", "--limit", "1000")) >= 540
    listed_2026 = cli_units("--period", "2026", "--level", "commune", "--limit", "1000")
    assert len(listed_2026) == 166
    # the 27 districts of 2024, Đông Sơn merged at the turn of 2025, none after 30 June 2025
    assert len([u for u in units.units() if u.level == "district" and u.alive("2024")]) == 27
    assert [u.code for u in units.units() if u.level == "district"
            and not u.alive("2025")] == ["405"]
    assert not [u for u in units.units() if u.level == "district" and u.alive("2026")]


@pytest.mark.parametrize("title, period, code, flagged", [
    ("UBND xã Thường Xuân", "2025", "15646", False),     # the new xã
    ("UBND xã Thường Xuân", "2024", "396", False),       # the same words in 2024: the district
    ("UBND xã Xuân Thắng", "2024", "15640", False),      # a 2024 commune
    ("UBND huyện Thường Xuân", "2026", "396", True),     # a district after the reform
    ("UBND phường Hạc Thành", "2024", "14797", True),    # a new ward before it existed
    ("UBND phường Đông Hải", "2024", "14797", False),
])
def test_a_table_is_read_as_the_unit_of_its_period(tmp_path, title, period, code, flagged):
    path = tmp_path / f"bao-cao-{period}.xlsx"
    write(path, Document(unit_title=title, period=period, cells=clean_cells(), synthetic=True))
    table = read_source(path)
    assert table.unit.code == code
    found = [f for f in table.findings if f.rule == "unit_out_of_period"]
    assert bool(found) == flagged
    if flagged:
        assert period in found[0].message


def test_the_library_data_is_read_without_importing_its_geocoder():
    code = ("import sys, bakhong.vocab.units as u; u.units(); "
            "print('geopy' in sys.modules, 'shapely' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.stdout.split() == ["False", "False"], out.stderr


# --- across the reform: a new commune's baseline from its predecessors ------------------

def _commune_table(folder, title: str, period: str, code: str, after: float | None,
                   before: float | None, num: int | None = None, den: int | None = None):
    cells = clean_cells()
    for cell in cells.values():
        cell.pop("before", None)
        if before is not None:
            cell["before"] = before
    if after is not None:
        cells["TC06"] = {**cells["TC06"], "after": f"{num}/{den}" if num else after}
    path = folder / f"{code}-{title.split()[-1].lower()}-{period}.xlsx"
    write(path, Document(unit_title=title, period=period, cells=cells, synthetic=True))
    return path


def test_a_new_commune_gets_its_before_from_its_four_predecessors(tmp_path):
    from bakhong.checks import check_paths

    for code, title, num, den in (("15646", "UBND thị trấn Thường Xuân", 3000, 4000),
                                  ("15649", "UBND xã Xuân Dương", 1000, 2000),
                                  ("15652", "UBND xã Thọ Thanh", 1500, 2000),
                                  ("15655", "UBND xã Ngọc Phụng", 500, 2000)):
        _commune_table(tmp_path, title, "2024", code, 0, None, num, den)
    _commune_table(tmp_path, "UBND xã Thường Xuân", "2025", "15646", 0.9, None)
    observations, findings = check_paths([tmp_path])
    before = observations.filter(unit_code="15646", period="2025", indicator="TC06",
                                 phase="before")
    assert before.height == 1
    assert before["value"][0] == pytest.approx(6000 / 10000)  # Σ numerators / Σ denominators
    raw = before["raw"][0]
    assert "Xã Xuân Dương" in raw and "Thị trấn Thường Xuân" in raw and "tổng tử số" in raw
    assert before["origin"][0] == "crosswalk"
    # criteria the predecessors did not report keep no baseline, and say why
    refused = findings.filter(rule="no_baseline", unit_code="15646")
    assert refused.is_empty()


def test_a_split_predecessor_refuses_the_baseline(tmp_path):
    from bakhong.checks import check_paths

    # Phường Đông Thọ (14758) went partly into Hạc Thành (14797) and partly into Hàm Rồng
    _commune_table(tmp_path, "UBND phường Đông Thọ", "2024", "14758", 0.7, None)
    _commune_table(tmp_path, "UBND phường Hạc Thành", "2025", "14797", 0.9, None)
    observations, findings = check_paths([tmp_path])
    assert observations.filter(unit_code="14797", period="2025", phase="before",
                               status="ok").is_empty()
    refused = findings.filter(rule="no_baseline", unit_code="14797")
    assert refused.height == 1 and "Phường Đông Thọ" in refused["message"][0]
    assert "chia" in refused["message"][0]


# --- the issuing department, commune reports and the roll-up ------------------------------

def test_the_issuing_department_is_configuration_per_period(tmp_path):
    from bakhong import config

    assert config.department("2024").name == "Sở Thông tin và Truyền thông tỉnh Thanh Hóa"
    assert config.department("2025").name == "Sở Khoa học và Công nghệ tỉnh Thanh Hóa"
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "department.toml").write_text(
        '[[department]]\nfrom = "2000"\nname = "Sở A"\nshort = "Sở A ngắn"\n', encoding="utf-8")
    assert config.department("2026", root=tmp_path).short == "Sở A ngắn"


def _html_text(path) -> str:
    import html
    import re

    text = path.read_text(encoding="utf-8")
    text = re.sub(r"<script.*?</script>", " ", text, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)))


@pytest.mark.slow
def test_a_2025_commune_batch_and_a_district_report_that_lists_its_communes(tmp_path):
    from bakhong import batch
    from bakhong.ingest import ingest
    from bakhong.synth.province import synthesize

    project = tmp_path / "p"
    synthesize(7, project / "data" / "raw" / "synthetic", period="2025")
    # 2024: huyện Thường Xuân's own table and two of its communes
    raw24 = project / "data" / "raw" / "tables"
    raw24.mkdir(parents=True)
    write(raw24 / "396-thuong-xuan-2024.xlsx",
          Document(unit_title="UBND huyện Thường Xuân", period="2024", cells=clean_cells(),
                   synthetic=True))
    _commune_table(raw24, "UBND xã Xuân Thắng", "2024", "15640", 0, 0.3, 600, 1000)
    _commune_table(raw24, "UBND xã Xuân Dương", "2024", "15649", 0, 0.3, 300, 3000)
    ingest(project / "data" / "raw", project / "data" / "processed")
    os.environ["BAKHONG_HOME"] = str(project)
    try:
        new = batch.run("2025", only=["Thường Xuân", "Hạc Thành"], out=project / "reports",
                        data_dir=project / "data" / "processed", progress=False)
        old = batch.run("2024", only=["Thường Xuân"], out=project / "reports",
                        data_dir=project / "data" / "processed", progress=False)
    finally:
        del os.environ["BAKHONG_HOME"]
    assert new.ok and new.manifest["level"] == "commune"
    assert [u["code"] for u in new.manifest["units"]] == ["14797", "15646"]
    page = _html_text(project / "reports" / "2025" / "15646-thuong-xuan.html")
    assert "Xã Thường Xuân" in page and "Sở Khoa học và Công nghệ tỉnh Thanh Hóa" in page
    assert "DỮ LIỆU MÔ PHỎNG" in page
    index = _html_text(project / "reports" / "2025" / "index.html")
    assert "xã, phường, thị trấn" in index
    assert "xã, phường, thị trấn" in _html_text(project / "reports" / "2025" / "overview.html")
    assert old.ok and old.manifest["level"] == "district"
    district = _html_text(project / "reports" / "2024" / "396-thuong-xuan.html")
    assert "Xuân Thắng" in district and "Xuân Dương" in district
    assert "Tổng hợp từ 2 xã, phường, thị trấn" in district
    # TC06 rolled up weighted, (600 + 300) / (1000 + 3000), not the mean of 60% and 10%
    assert "22,5%" in district and "35%" not in district
    assert "Sở Thông tin và Truyền thông tỉnh Thanh Hóa" in district


def test_survey_people_sum_exactly_into_the_2025_units(tmp_path):
    import csv as csv_mod

    from bakhong import survey

    path = tmp_path / "survey" / "khao-sat-2024.csv"
    path.parent.mkdir()
    with path.open("w", encoding="utf-8", newline="") as handle:
        w = csv_mod.writer(handle)
        w.writerow(["Huyện", "Xã", "Thôn", "Tuổi", "Điện thoại thông minh", "VNeID",
                    "Tài khoản ngân hàng", "Chữ ký điện tử"])
        people = [("Thường Xuân", "Xuân Dương", "x"), ("Thường Xuân", "Xuân Dương", ""),
                  ("Thường Xuân", "Thọ Thanh", "x"), ("Thường Xuân", "Ngọc Phụng", "x"),
                  ("Hà Trung", "Hà Bình", "x")]  # Hà Bình was split across two new units
        for district, commune, yes in people:
            w.writerow([district, commune, "Thôn 1", 30, yes, yes, yes, yes])
    read = survey.read_surveys([path], period="2024")
    agg = survey.aggregate(read, levels=("commune", "commune_2025"))
    new = agg.filter(unit_level="commune_2025", indicator="TC06")
    assert new.select("unit_code", "numerator", "denominator").rows() == [("15646", 3, 4)]
    old = agg.filter(unit_level="commune", indicator="TC06")
    assert old["denominator"].sum() == 5  # every person still counted in their own commune
