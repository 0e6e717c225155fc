"""The command line as a user runs it: a real process, its output and exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, THUONG_XUAN, document


def run(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("BAKHONG_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "bakhong.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=120)


def test_show_json_has_the_unit_and_designs_columns():
    out = run("show", str(THUONG_XUAN), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["unit"] == {"code": "396", "name": "Thường Xuân", "level": "district"}
    row = next(o for o in data["observations"] if o["indicator"] == "TC09" and
               o["phase"] == "after")
    for column in ("unit_code", "unit_name", "unit_level", "period", "indicator", "phase",
                   "value", "qualifier", "numerator", "denominator", "target",
                   "target_qualifier", "raw", "source"):
        assert column in row
    assert row["value"] == 0.4575 and row["numerator"] == 72599


def test_check_on_data_raw_prints_the_thuong_xuan_findings():
    out = run("check", "data/raw/tables")
    assert out.returncode == 1  # error-severity findings
    assert "swapped_ratio" in out.stdout and "TC09" in out.stdout
    assert "denominator_inconsistent" in out.stdout
    assert out.stdout.count("below_target") == 2
    assert "Traceback" not in out.stdout + out.stderr


def test_check_json_fields_and_exit_code(tmp_path, make_file):
    clean = make_file("386-ba-thuoc-2024.xlsx")
    out = run("check", str(clean), "--json")
    assert (out.returncode, json.loads(out.stdout)) == (0, [])
    out = run("check", str(THUONG_XUAN), "--json")
    rows = json.loads(out.stdout)
    assert out.returncode == 1
    assert set(rows[0]) >= {"unit", "period", "indicator", "phase", "rule", "severity",
                            "message", "value", "expected", "source"}
    assert {r["unit"] for r in rows} == {"Thường Xuân"}


def test_a_broken_file_among_good_ones(tmp_path, make_file):
    make_file("386-ba-thuoc-2024.xlsx", document(TC07={"after": "120%"}))
    (tmp_path / "hong.xlsx").write_text("not a workbook")
    out = run("check", str(tmp_path), "--json")
    rows = json.loads(out.stdout)
    assert {(r["rule"], r["source"].split("!")[0]) for r in rows} == {
        ("load_error", "hong.xlsx"), ("ratio_over_100", "386-ba-thuoc-2024.xlsx")}
    assert out.returncode == 1 and "Traceback" not in out.stderr


@pytest.mark.parametrize("args", [("check",), ("frobnicate",), ("show",), ("check", "--bad")])
def test_usage_errors_exit_2_without_traceback(args):
    out = run(*args)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and "bakhong:" in out.stderr


def test_show_on_a_file_that_is_not_a_table(tmp_path):
    bad = tmp_path / "bao-cao.xlsx"
    bad.write_bytes(b"\x00" * 50)
    out = run("show", str(bad))
    assert out.returncode == 2
    assert "bao-cao.xlsx" in out.stderr and "Traceback" not in out.stderr


def test_ingest_writes_processed_and_leaves_raw_untouched(tmp_path):
    import shutil

    from bakhong.ingest import sha256

    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "data" / "raw" / "tables", raw / "tables")
    before = {p: sha256(p) for p in raw.rglob("*") if p.is_file()}
    out = run("ingest", str(raw), "--out", str(tmp_path / "processed"))
    assert out.returncode == 0, out.stderr
    manifest = json.loads((tmp_path / "processed" / "manifest.json").read_text())
    assert manifest["files"][0]["sha256"] == before[raw / "tables" / "thuong-xuan-2024.xlsx"]
    assert {p: sha256(p) for p in raw.rglob("*") if p.is_file()} == before
    assert (tmp_path / "processed" / "observations.parquet").stat().st_size > 0
