"""Back-test: ingesting the committed raw data reproduces the committed expected tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
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

    write = pl.DataFrame.write_parquet
    calls = []

    def broken(self, *args, **kwargs):
        # the observations are staged, then the disk fills up on the findings
        calls.append(args[0])
        if len(calls) > 1:
            raise OSError("disk full")
        return write(self, *args, **kwargs)

    # the new run would write other observations: one district's file is gone
    first = sorted((tmp_path / "raw" / "tables").iterdir())[0]
    first.unlink()
    monkeypatch.setattr(pl.DataFrame, "write_parquet", broken)
    with pytest.raises(OSError, match="disk full"):
        ingest(tmp_path / "raw", out)
    assert len(calls) == 2 and ".ingest-" in str(calls[0])
    assert (out / "observations.parquet").read_bytes() == good
    assert [p.name for p in out.iterdir() if p.name.startswith(".ingest")] == []
