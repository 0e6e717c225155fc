"""Rebuild ``data/processed`` from ``data/raw``: observations, findings and a manifest.

Outputs are written to a temporary folder and moved into place only when complete, so a
failed run leaves the last good outputs as they were. Rows are sorted and no time stamp is
written, so the same ``data/raw`` always gives the same files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from . import config
from .checks import check
from .load import read_tables, source_files

_ORDER = ["unit_code", "period", "indicator", "phase", "source"]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _version() -> str:
    try:
        return metadata.version("bakhong")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def ingest(raw: Path | None = None, out: Path | None = None) -> dict[str, Any]:
    """Load and check every table and narrative report under ``raw``; write observations,
    findings, manifest.

    Returns the manifest.
    """
    raw = Path(raw) if raw else config.raw_dir()
    out = Path(out) if out else config.processed_dir()
    files = source_files([raw])
    observations, problems, tables = read_tables(files)
    findings = check(observations, problems)
    observations = observations.sort(_ORDER)
    counts = findings.group_by("source").len() if not findings.is_empty() else None
    by_file: dict[str, int] = {}
    if counts is not None:
        for source, n in counts.iter_rows():
            name = re.split(r"!|:(?:line|paragraph|table) ", source)[0]
            by_file[name] = by_file.get(name, 0) + n
    loaded = {t.path.name: t for t in tables}
    broken = {p.source.split("!")[0] for p in problems if p.rule == "load_error"}
    manifest = {
        "bakhong": _version(),
        "raw": str(raw),
        "files": [
            {
                "path": str(f.relative_to(raw)) if f.is_relative_to(raw) else str(f),
                "sha256": sha256(f),
                "bytes": f.stat().st_size,
                # a table superseded by real data or by an earlier copy is "not_used"
                "status": "ok" if f.name in loaded else
                "load_error" if f.name in broken else "not_used",
                "unit_code": loaded[f.name].unit.code if f.name in loaded and loaded[f.name].unit
                else "",
                "observations": loaded[f.name].observations.height if f.name in loaded else 0,
                "findings": by_file.get(f.name, 0),
            }
            for f in files
        ],
        "observations": observations.height,
        "findings": {s: int(findings.filter(pl.col("severity") == s).height)
                     for s in ("error", "warning", "info")},
    }
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".ingest-", dir=out))
    try:
        observations.write_parquet(staging / "observations.parquet")
        findings.write_parquet(staging / "findings.parquet")
        (staging / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        for name in ("observations.parquet", "findings.parquet", "manifest.json"):
            os.replace(staging / name, out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest
