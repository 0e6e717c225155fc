"""Which files under ``data/raw`` are sources, and reading them all: each file by its kind,
the problems of one never stopping the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import polars as pl

from ..contract import Source
from ..errors import SourceError
from ..vocab import rules as fnd
from ..vocab.catalog import Catalog, load_catalog
from ..vocab.provenance import real_beats_synthetic
from ..vocab.rules import Finding
from .combine import combine, resolve_duplicates
from .documents import apply_targets, document_findings, is_document
from .narrative import NARRATIVE_SUFFIXES
from .narrative_table import read_narrative_table
from .reform import reform_baselines
from .table import TABLE_SUFFIXES, Table, period_from, read_table, unit_from_filename


def read_source(path: str | Path, unit: str | None = None, period: str | None = None,
                catalog: Catalog | None = None, kind: str | None = None) -> Table:
    """Read any source file: a narrative report by its suffix, else a template table; its
    ``document`` says what it is (results, plan, blank form, progress report)."""
    path = Path(path)
    if path.suffix.lower() in NARRATIVE_SUFFIXES:
        return read_narrative_table(path, unit=unit, period=period, catalog=catalog, kind=kind)
    return read_table(path, unit=unit, period=period, catalog=catalog, kind=kind)


_NOT_TABLES = ("reference", "survey", "narrative")


def _expand(paths: Iterable[str | Path], narratives: bool) -> list[Path]:
    found: list[Path] = []
    for p in map(Path, paths):
        if not p.is_dir():
            # survey microdata given by name is read by bakhong.survey, not as a table
            if p.suffix.lower() != ".parquet" and "survey" not in p.parent.parts:
                found.append(p)
            continue
        if p.name == "survey":
            continue
        for f in sorted(p.rglob("*")):
            if not f.is_file() or f.name.startswith(("~$", ".")):
                continue
            folders = set(f.relative_to(p).parts[:-1])
            suffix = f.suffix.lower()
            if suffix in TABLE_SUFFIXES and not folders & set(_NOT_TABLES):
                found.append(f)
            elif narratives and suffix in NARRATIVE_SUFFIXES and \
                    not folders & {"reference", "survey"} and \
                    not f.stem.lower().startswith("readme"):
                found.append(f)
    return found


def table_files(paths: Iterable[str | Path]) -> list[Path]:
    """The template table files among paths, folders expanded (recursively, skipping
    reference/, survey/ and narrative/)."""
    return _expand(paths, narratives=False)


def source_files(paths: Iterable[str | Path]) -> list[Path]:
    """Table files and narrative reports (.docx, .md, .txt; README files excepted) among
    paths, folders expanded (recursively, skipping reference/ and survey/)."""
    return _expand(paths, narratives=True)


def read_tables(paths: Iterable[str | Path], unit: str | None = None,
                period: str | None = None, exclude: Iterable[Path] = ()
                ) -> tuple[pl.DataFrame, list[Finding], list[Table]]:
    """Read every table and narrative report; a broken file becomes a ``load_error`` finding,
    the rest go on. Tables and narratives of one unit are combined by :func:`combine`.

    When one unit and period come in several template tables, real data beats synthetic (the
    synthetic table is dropped silently); of two real (or two synthetic) tables, the first by
    file name is kept and every cell where the other disagrees is a ``duplicate`` finding.

    Plans and blank forms give no observation: their targets are put in force
    (:func:`~bakhong.read.documents.apply_targets`) and the documents are judged together
    (:func:`~bakhong.read.documents.document_findings`). ``exclude``: files read elsewhere
    (survey microdata found by its headers).
    """
    catalog = load_catalog()
    tables: list[Table] = []
    problems: list[Finding] = []
    broken_synthetic: list[tuple[str, str, Finding]] = []
    skip = {Path(p).resolve() for p in exclude}
    for path in source_files(paths):
        if path.resolve() in skip:
            continue
        try:
            table = read_source(path, unit=unit, period=period, catalog=catalog)
        except Exception as exc:  # one broken file never stops the others
            # the reason goes into the finding; an error of no known kind is the last resort,
            # which tests/test_hostile.py's corpus never reaches
            reason = exc.reason if isinstance(exc, SourceError) else \
                f"lỗi khi đọc tệp ({type(exc).__name__}: {exc})" if isinstance(
                    exc, OSError | ValueError) else \
                f"lỗi không mong đợi khi đọc tệp ({type(exc).__name__})"
            cell = exc.cell if isinstance(exc, SourceError) else ""
            guess = unit_from_filename(path)
            finding = fnd.make(
                "load_error", {"detail": reason},
                unit_code=guess.code if guess else "", unit_name=guess.name if guess else "",
                source=Source(path.name, cell=cell).render())
            if "synthetic" in path.parts[:-1] and guess:
                broken_synthetic.append((guess.code, period_from([], path), finding))
            else:
                problems.append(finding)
            continue
        tables.append(table)
    real = [(t.unit.code, t.period) for t in tables if t.unit and not t.synthetic]
    # an unreadable file of the synthetic folder is synthetic too: real data beats it
    problems.extend(f for _, _, f in real_beats_synthetic(
        broken_synthetic, key=lambda b: b[:2], synthetic=lambda b: True, real=real))
    documents = [t for t in tables if is_document(t)]
    # progress reports are a dated series (``as_of``), never merged with the results
    progress = [t for t in tables if t.document.kind == "progress"]
    problems.extend(document_findings(tables))
    tables, duplicates = resolve_duplicates(
        [t for t in tables if not is_document(t) and t.document.kind != "progress"], catalog)
    for table in tables + documents + progress:
        problems.extend(table.findings)
    problems.extend(duplicates)
    observations, related = combine(tables, catalog)
    observations, baselines = reform_baselines(observations)
    problems.extend(baselines)
    if progress:
        observations = pl.concat([observations, *(t.observations for t in progress)],
                                 how="diagonal_relaxed")
    return (apply_targets(observations, documents), problems + related,
            tables + documents + progress)
