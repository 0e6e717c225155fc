"""Rebuild ``data/processed`` from ``data/raw``: observations, findings and a manifest.

Outputs are written to a temporary folder and moved into place only when complete, so a
failed run leaves the last good outputs as they were. Rows are sorted and no time stamp is
written, so the same ``data/raw`` always gives the same files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from . import config
from .checks import check, load_paths
from .contract import Source
from .read import Table, source_files
from .read.documents import is_document, plan_records, plan_targets
from .survey import Survey, SurveyFile
from .vocab.rules import Finding

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


def _survey_entry(raw: Path, info: SurveyFile, by_file: dict[str, int],
                  observations: pl.DataFrame) -> dict[str, Any]:
    f = info.path
    return {
        "path": str(f.relative_to(raw)) if f.is_relative_to(raw) else str(f),
        "kind": "survey", "sha256": sha256(f), "bytes": f.stat().st_size,
        "status": "load_error" if info.error else "ok", "synthetic": info.synthetic,
        "period": info.period, "phase": info.phase, "rows": info.rows, "people": info.people,
        "rejected": info.rejected, "blank": info.blank, "invalid_ids": info.invalid_ids,
        "observations": observations.filter(
            (pl.col("origin") == "survey") & pl.col("source").str.contains(f.name, literal=True)
        ).height,
        "findings": by_file.get(f.name, 0),
    }


def ingest(raw: Path | None = None, out: Path | None = None,
           survey_phase: str = "after") -> dict[str, Any]:
    """Load and check every table, narrative report and survey file under ``raw``; write
    observations, findings, the survey's reading report and a manifest.

    Survey microdata (``raw/**/survey/``) adds its indicators to the observations
    (``origin`` = "survey") and is compared with the reports; ``survey_phase`` dates the
    surveys against the rollout (a file named "…truoc-trien-khai…" is "before" regardless).
    No personal data is written: the survey's outputs are counts, row numbers and columns.

    Returns the manifest.
    """
    raw = Path(raw) if raw else config.raw_dir()
    out = Path(out) if out else config.processed_dir()
    files = source_files([raw])
    loaded = load_paths([raw], survey_phase=survey_phase)
    observations, problems, tables, survey = (loaded.observations, loaded.problems,
                                              loaded.tables, loaded.survey)
    findings = check(observations, problems)
    observations = observations.sort(_ORDER)
    manifest = _manifest(raw, files, tables, problems, observations, findings, survey)
    outputs = ["observations.parquet", "findings.parquet", "manifest.json", "plans.json",
               "targets.parquet"]
    if survey is not None:
        manifest["survey"] = _survey_summary(survey, survey_phase)
        outputs += ["survey_quality.parquet", "survey_rejects.parquet",
                    "survey_duplicates.parquet"]
    documents = [t for t in tables if is_document(t)]
    _write(out, outputs, manifest, observations, findings, survey, documents)
    return manifest


def _manifest(raw: Path, files: list[Path], tables: list[Table], problems: list[Finding],
              observations: pl.DataFrame, findings: pl.DataFrame, survey: Survey | None
              ) -> dict[str, Any]:
    """What was read: per file its digest, status, unit and counts; totals."""
    counts = findings.group_by("source").len() if not findings.is_empty() else None
    by_file: dict[str, int] = {}
    if counts is not None:
        for source, n in counts.iter_rows():
            name = Source.parse(source).file
            by_file[name] = by_file.get(name, 0) + n
    loaded = {t.path.name: t for t in tables}
    broken = {Source.parse(p.source).file for p in problems if p.rule == "load_error"}
    manifest = {
        "bakhong": _version(),
        "raw": str(raw),
        "files": [
            {
                "path": str(f.relative_to(raw)) if f.is_relative_to(raw) else str(f),
                "sha256": sha256(f),
                "bytes": f.stat().st_size,
                "kind": "table",
                "document": loaded[f.name].document.kind if f.name in loaded else "",
                # a table superseded by real data or by an earlier copy is "not_used"
                "status": "ok" if f.name in loaded else
                "load_error" if f.name in broken else "not_used",
                "unit_code": loaded[f.name].unit.code if f.name in loaded and loaded[f.name].unit
                else "",
                "observations": loaded[f.name].observations.height if f.name in loaded else 0,
                "findings": by_file.get(f.name, 0),
            }
            for f in files
        ] + ([_survey_entry(raw, f, by_file, observations) for f in survey.files]
             if survey is not None else []),
        "observations": observations.height,
        "findings": {s: int(findings.filter(pl.col("severity") == s).height)
                     for s in ("error", "warning", "info")},
    }
    return manifest


def _survey_summary(survey: Survey, survey_phase: str) -> dict[str, Any]:
    """The survey's reading in counts: people, counted twice, rejected rows, communes."""
    return {
        "phase": survey_phase,
        "people": survey.people.height,
        "counted_twice": int(survey.people["duplicate"].sum()),
        "rejected_rows": survey.rejects.select(["file", "sheet", "row"]).unique().height,
        "communes_with_duplicates": [
            {"commune_code": r["commune_code"], "commune_name": r["commune_name"],
             "counted_twice": int(r["duplicates"]), "invalid_ids": int(r["invalid_ids"])}
            for r in survey.duplicates.iter_rows(named=True)],
    }


def _write(out: Path, outputs: list[str], manifest: dict[str, Any],
           observations: pl.DataFrame, findings: pl.DataFrame, survey: Survey | None,
           documents: list[Table]) -> None:
    """Write the outputs into a staging folder beside ``out``, then move each into place:
    a failed run leaves the last good outputs as they were."""
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".ingest-", dir=out))
    try:
        observations.write_parquet(staging / "observations.parquet")
        findings.write_parquet(staging / "findings.parquet")
        plan_targets(documents).write_parquet(staging / "targets.parquet")
        (staging / "plans.json").write_text(json.dumps(
            plan_records(documents), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        if survey is not None:
            survey.quality.write_parquet(staging / "survey_quality.parquet")
            survey.rejects.sort(["file", "sheet", "row", "column"]).write_parquet(
                staging / "survey_rejects.parquet")
            survey.duplicates.write_parquet(staging / "survey_duplicates.parquet")
        (staging / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        for name in outputs:
            os.replace(staging / name, out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
