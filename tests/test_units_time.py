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
