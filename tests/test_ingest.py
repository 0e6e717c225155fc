"""Back-test: ingesting the committed raw data reproduces the committed expected tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
from conftest import ROOT

from bakhong.ingest import ingest

EXPECTED = Path(__file__).parent / "expected"
OBS_COLUMNS = ["unit_code", "period", "indicator", "phase", "value", "qualifier", "numerator",
               "denominator", "target", "raw", "source", "status"]
FINDING_COLUMNS = ["unit_code", "indicator", "phase", "rule", "severity", "source"]


def _ingest(tmp_path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "data" / "raw" / "tables", raw / "tables")
    ingest(raw, tmp_path / "processed")
    return tmp_path / "processed"


def test_observations_match_the_known_good_table(tmp_path):
    got = pl.read_parquet(_ingest(tmp_path) / "observations.parquet").select(OBS_COLUMNS)
    expected = pl.read_csv(EXPECTED / "observations.csv", schema=got.schema)
    assert got.equals(expected, null_equal=True)


def test_findings_match_the_known_good_table(tmp_path):
    got = pl.read_parquet(_ingest(tmp_path) / "findings.parquet").select(FINDING_COLUMNS)
    expected = pl.read_csv(EXPECTED / "findings.csv", schema=got.schema)
    assert got.equals(expected, null_equal=True)


def test_a_rebuild_is_identical(tmp_path):
    first = _ingest(tmp_path / "a")
    second = _ingest(tmp_path / "b")
    for name in ("observations.parquet", "findings.parquet"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_a_failed_run_keeps_the_last_good_outputs(tmp_path, monkeypatch):
    out = _ingest(tmp_path)
    good = (out / "observations.parquet").read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", broken)
    try:
        ingest(tmp_path / "raw", out)
    except OSError:
        pass
    assert (out / "observations.parquet").read_bytes() == good
    assert [p.name for p in out.iterdir() if p.name.startswith(".ingest")] == []
