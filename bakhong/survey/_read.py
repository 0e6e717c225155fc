"""Reading survey files: which paths are surveys, each file read (in a background pool) into
people, rejects and duplicates, and :func:`read_surveys` putting them together.
"""

from __future__ import annotations

import csv
import random
import zipfile
from collections.abc import Iterable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..contract import SYNTHETIC_MARK
from ..errors import SourceError
from ..read import read_grids
from ..vocab.parse import fold_words
from ..vocab.rules import Finding
from ._aggregate import _sums
from ._duplicates import _ROW_COLUMNS, _column_like, _counted_before, _top_bits, _without
from ._fields import (
    LOCATION_FIELDS,
    SURVEY_FOLDER,
    SURVEY_INDICATORS,
    SURVEY_SUFFIXES,
    YESNO_FIELDS,
)
from ._files import _Part, _parts, is_synthetic
from ._headers import _find_header
from ._model import PEOPLE_SCHEMA, REJECT_SCHEMA, Survey, SurveyFile, _period_of, _phase_of
from ._normalise import _normalise
from ._personal import key_fields, personal_places, personal_rows
from ._places import _locate_places
from ._rejects import _load_error, _reasons, _reject_findings


def survey_files(paths: Iterable[str | Path]) -> list[Path]:
    """Survey files among paths: a folder's ``survey/`` subfolders (or the folder itself when
    it is named ``survey``), and files given by name that are Parquet, under a survey
    folder, or whose header is a survey's (:func:`looks_like_survey`)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            roots = [p] if SURVEY_FOLDER in p.resolve().parts else sorted(
                d for d in p.rglob(SURVEY_FOLDER) if d.is_dir())
            for root in roots:
                found.extend(sorted(
                    f for f in root.rglob("*") if f.is_file()
                    and f.suffix.lower() in SURVEY_SUFFIXES
                    and not f.name.startswith(("~$", "."))))
            # survey tables elsewhere (a district's folder), known by their headers
            found.extend(f for f in sorted(p.rglob("*")) if f.is_file()
                         and f.suffix.lower() in SURVEY_SUFFIXES
                         and not f.name.startswith(("~$", "."))
                         and not {SURVEY_FOLDER, "reference"} & set(f.relative_to(p).parts[:-1])
                         and SURVEY_FOLDER not in p.resolve().parts and looks_like_survey(f))
        elif looks_like_survey(p):
            found.append(p)
    return list(dict.fromkeys(found))


def is_survey_path(path: Path) -> bool:
    """A file that is survey microdata by its place or kind (not a template table)."""
    path = Path(path)
    return path.suffix.lower() == ".parquet" or SURVEY_FOLDER in path.parent.parts


def looks_like_survey(path: Path) -> bool:
    """A spreadsheet or CSV whose header names the survey's questions (yes/no columns, age,
    CCCD), wherever it lies: survey microdata, not a template table."""
    path = Path(path)
    if is_survey_path(path):
        return True
    if path.suffix.lower() not in SURVEY_SUFFIXES:
        return False
    try:
        grids = read_grids(path)
    except Exception:  # a file no reader can open is no survey; the tables' reader names it
        return False
    return any(_find_header(rows[:40])[0] >= 0 for _, rows in grids)


@dataclass(eq=False)
class _FileRead:
    """One survey file after its pass: the people (location as a key), the sums per place,
    the unreadable rows, and — for Parquet — the location text of each place's first row,
    still being read. Compared by identity (``r not in kept``): field-wise equality would
    compare data frames."""

    info: SurveyFile
    people: pl.DataFrame
    sums: pl.DataFrame
    rejects: pl.DataFrame | None
    names: Future[pl.DataFrame] | None = None
    invalid: pl.DataFrame | None = None  # rows kept whose CCCD is not 12 digits
    parts: list[_Part] | None = None     # the file's tables, for naming rows later
    extra: pl.DataFrame | None = None    # places that are personal numbers, blanked
    changed: bool = False                # people taken out after the duplicate search


def _read_file(info: SurveyFile, salt: int, background: Executor,
               lossy: bool = False) -> _FileRead | None:
    """One pass over a survey file; None (with ``info.error``) when it cannot be read."""
    path = info.path
    try:
        parts = _parts(path, lossy)
    except SourceError as exc:
        info.error = exc.reason
        return None
    except _READ_ERRORS as exc:
        info.error = _unreadable(exc)
        return None
    if not parts:
        info.error = ("không tìm thấy bảng khảo sát (cần dòng tiêu đề có các cột như "
                      "“Điện thoại thông minh”, “Tài khoản ngân hàng”, “Tuổi”)")
        return None
    info.synthetic = info.synthetic or any(
        SYNTHETIC_MARK in fold_words(" ".join(p.context.values())) for p in parts)
    frames, named = [], []
    for i, part in enumerate(parts):
        rows, names = _normalise(part, info, salt)
        frames.append(rows.with_columns(pl.lit(i, pl.UInt16).alias("_part"))
                      if len(parts) > 1 else rows)
        named.append(names)
    why = sorted({c for f in frames for c in f.collect_schema()
                  if c.startswith("_r_") or c in ("_total", "_part")})
    lazy = pl.concat(frames, how="diagonal_relaxed")
    # one pass over the file: the rows (no location text) and the sums per place;
    # duplicates are taken out of the sums afterwards
    people_q = lazy.select(*_ROW_COLUMNS, _top_bits(pl.col("_id")).alias("_top"), *why)
    columnar = named[0] is not None  # Parquet: one part
    # a field every part has in one column is never null (a split question left unmarked,
    # or a missing column, is no answer)
    answered = {f for f in YESNO_FIELDS
                if all(f in p.fields and f"{f}_no" not in p.fields for p in parts)}
    sums_q = lazy.group_by("place").agg(
        *_sums(~pl.col("_bad") & ~pl.col("_blank"), answered),
        pl.col("_row").first().alias("_first") if columnar else
        pl.col(LOCATION_FIELDS).first())
    names_q = None
    try:
        found, sums = pl.collect_all([people_q, sums_q])
        if columnar:
            names_q = named[0].filter(pl.col("_row").is_in(sums["_first"].implode()))
        else:
            sums = sums.with_columns(pl.col(LOCATION_FIELDS).cast(pl.String))
        blank = found["_blank"]
        bad = found["_bad"] & ~blank
        rejects = _rejects(found.filter(bad), path, parts) if bad.any() else None
    except _READ_ERRORS as exc:
        if not lossy and path.suffix.lower() == ".csv" and "utf-8" in str(exc):
            # a byte that is not UTF-8 beyond the head read to tell the encoding: read
            # again, each such byte replaced by "�" (a yes/no or age cell it spoils makes
            # its row unreadable)
            return _read_file(info, salt, background, lossy=True)
        info.error = _unreadable(exc)
        return None
    info.blank = int(blank.sum())
    if info.blank or rejects is not None:
        found = _without_rows(found, blank | bad)
    extra = None
    if not columnar:  # a phone or CCCD number typed as a place: rows to correct
        sums, found, rejects, extra = _take_personal(sums, found, rejects, path, parts)
    info.fields = tuple(sorted({f for p in parts for f in p.fields if not f.endswith("_no")}))
    info.people = found.height
    info.rejected = rejects.select("sheet", "row").n_unique() if rejects is not None else 0
    invalid = found.filter("_bad_id")
    info.invalid_ids = invalid.height
    info.rows = info.people + info.rejected
    constants = [pl.lit(path.name, pl.Categorical).alias("file"),
                 pl.lit(info.period, pl.Categorical).alias("period"),
                 pl.lit(info.phase, pl.Categorical).alias("phase"),
                 pl.lit(info.synthetic).alias("synthetic")]
    # the location text is read on both cores while the duplicates are searched on one
    invalid = _invalid_cells(invalid, path, parts)
    return _FileRead(info, found.drop("_bad", "_blank", *why).with_columns(constants),
                     sums.with_columns(constants), rejects,
                     background.submit(names_q.collect) if names_q is not None else None,
                     invalid, parts, extra)


def _take_personal(sums: pl.DataFrame, found: pl.DataFrame, rejects: pl.DataFrame | None,
                   path: Path, parts: list[_Part]) -> tuple[pl.DataFrame, pl.DataFrame,
                                                            pl.DataFrame | None,
                                                            pl.DataFrame | None]:
    """(sums, people, rejects, the places that are personal numbers) once the places whose
    key is a phone or CCCD number are taken out (:mod:`._personal`)."""
    sums, flags, extra = personal_places(sums, key_fields(parts))
    if flags is not None:
        hit, cells = personal_rows(found, flags, path, parts)
        rejects = cells if rejects is None else pl.concat([rejects, cells])
        found = _without_rows(found, hit)
    return sums, found, rejects, extra


def _invalid_cells(invalid: pl.DataFrame, path: Path, parts: list[_Part]
                   ) -> pl.DataFrame | None:
    """The rows kept whose CCCD is not 12 digits, as cells to name (never quoted)."""
    if not invalid.height:
        return None
    return _rejects(invalid.select("_row", "place", pl.lit(True).alias("_r_cccd_invalid"), *(
        c for c in ("_part",) if c in invalid.columns)), path, parts)


def _without_rows(frame: pl.DataFrame, drop: pl.Series) -> pl.DataFrame:
    """``frame`` less the rows marked in ``drop``. A few rows — a district's file has tens to
    correct among millions — are cut out by slices, which copy nothing; a filter copies
    every column (13–20 ms and 80 MB for 3 million people)."""
    at = drop.arg_true()
    if len(at) > 1000:
        return frame.filter(~drop)
    pieces, start = [], 0
    for i in at.to_list():
        if i > start:
            pieces.append(frame.slice(start, i - start))
        start = i + 1
    if start < frame.height:
        pieces.append(frame.slice(start))
    return pl.concat(pieces, rechunk=False) if pieces else frame.clear()


def _rejects(unread: pl.DataFrame, path: Path, parts: list[_Part]) -> pl.DataFrame:
    """The cells of the unreadable rows (:func:`_reasons`), part by part, less a CSV's total
    row."""
    if "_total" in unread.columns:
        unread = unread.filter(~pl.col("_total"))
    out = []
    for i, part in enumerate(parts):
        rows = unread.filter(pl.col("_part") == i) if "_part" in unread.columns else unread
        out.append(_reasons(rows.select("_row", "place", *(
            pl.col(c).fill_null(False) for c in rows.columns if c.startswith("_r_"))),
            path, part))
    return pl.concat(out)


#: What reading a survey file can raise besides :class:`SourceError`: each is that file's
#: ``load_error``, named by its type (never its text, which may quote a cell).
_READ_ERRORS = (pl.exceptions.PolarsError, OSError, ValueError, csv.Error, UnicodeError,
                zipfile.BadZipFile, EOFError)


def _unreadable(exc: Exception) -> str:
    return f"không đọc được nội dung ({type(exc).__name__})"


def _read_guarded(info: SurveyFile, salt: int, background: Executor) -> _FileRead | None:
    """:func:`_read_file`, with the last resort: whatever a broken file raises is its own
    ``load_error``, and the other files are read."""
    try:
        return _read_file(info, salt, background)
    except Exception as exc:  # the last resort; tests/test_hostile_survey.py never reach it
        info.error = f"lỗi không mong đợi khi đọc tệp ({type(exc).__name__})"
        return None


def _with_names(read: _FileRead) -> bool:
    """The sums of a Parquet file given the location text of each place (False, with
    ``info.error``, when that text cannot be read)."""
    if read.names is None:
        return True
    try:
        names = read.names.result()
    except _READ_ERRORS as exc:
        read.info.error = _unreadable(exc)
        return False
    read.sums = read.sums.join(names, left_on="_first", right_on="_row",
                               how="left").drop("_first")
    read.names = None
    read.sums, flags, read.extra = personal_places(read.sums, key_fields(read.parts or []))
    if flags is not None:  # a Parquet file's places are known only now: its people again
        info = read.info
        hit, cells = personal_rows(read.people, flags, info.path, read.parts or [])
        read.rejects = cells if read.rejects is None else pl.concat([read.rejects, cells])
        read.people = _without_rows(read.people, hit)
        if read.invalid is not None:
            read.invalid = read.invalid.filter(~pl.col("place").is_in(flags["place"].implode()))
        info.people = read.people.height
        info.rejected = read.rejects.select("sheet", "row").n_unique()
        info.invalid_ids = int(read.people["_bad_id"].sum())
        read.changed = True
    return True


def read_surveys(paths: Iterable[str | Path], phase: str = "after",
                 period: str | None = None) -> Survey:
    """Read survey files: files given by name, and the survey files of folders (see
    :func:`survey_files`).

    Parameters
    ----------
    phase : "after" (default) or "before": when the survey was made relative to rollout
    period : the period when a file's name gives no year
    """
    salt = random.SystemRandom().getrandbits(63)
    files: list[SurveyFile] = []
    reads: list[_FileRead] = []
    problems: list[Finding] = []
    paths = [Path(p) for p in paths]
    named = [p for p in paths if not p.is_dir()]
    with ThreadPoolExecutor(max_workers=1) as background:
        for path in list(dict.fromkeys(named + survey_files(p for p in paths if p.is_dir()))):
            info = SurveyFile(path, _period_of(path, period), _phase_of(path, phase),
                              is_synthetic(path))
            files.append(info)
            read = _read_guarded(info, salt, background)
            if read is None:
                problems.append(_load_error(info.error, info))
            else:
                reads.append(read)
        frame = _people(reads)
        later = _counted_before(frame["_id"], frame["_top"])
        kept = [read for read in reads if _with_names(read)]
    if len(kept) < len(reads) or any(r.changed for r in kept):
        # a Parquet file whose location text could not be read, or held personal numbers
        problems += [_load_error(r.info.error, r.info) for r in reads if r not in kept]
        reads = kept
        frame = _people(reads)
        later = _counted_before(frame["_id"], frame["_top"])
    if reads:
        summed = pl.concat([r.sums for r in reads], how="diagonal_relaxed")
    else:
        summed = pl.DataFrame(schema={
            "place": pl.UInt64, **{f"{c}_{p}": pl.UInt32 for c in SURVEY_INDICATORS
                                   for p in ("num", "den")},
            **{c: pl.String for c in LOCATION_FIELDS}, "file": pl.Categorical,
            "period": pl.Categorical, "phase": pl.Categorical, "synthetic": pl.Boolean})
    # the few thousand places are resolved to units once, for the duplicates and the sums
    written = pl.concat([summed.select("place", *LOCATION_FIELDS),
                         *(r.extra for r in reads if r.extra is not None)],
                        how="diagonal_relaxed")
    place_table = _locate_places(written.unique("place", keep="any").sort("place"))
    for read in reads:  # told by the unit the rows' places resolve to
        for cells in (read.rejects, read.invalid):
            if cells is not None:
                problems += _reject_findings(cells, read.info, place_table)
    frame = frame.with_columns(_column_like(frame, "duplicate", later))
    repeated = frame[later]
    invalid = frame.lazy().filter("_bad_id").select("place").collect()
    counts = pl.concat([repeated.select("place", pl.lit(1).alias("duplicates"),
                                        pl.lit(0).alias("invalid_ids")),
                        invalid.select("place", pl.lit(0).alias("duplicates"),
                                       pl.lit(1).alias("invalid_ids"))])
    duplicates = counts.join(place_table, on="place", how="left").group_by(
        ["district_code", "commune_code", "commune_name"]).agg(
        pl.col("duplicates").sum(), pl.col("invalid_ids").sum()).sort("commune_code")
    frame = frame.rename({"_row": "row"}).select(list(PEOPLE_SCHEMA))  # drops the ID hash
    grains_frame = _without(summed.drop(LOCATION_FIELDS), repeated)
    rejects = [r.rejects for r in reads if r.rejects is not None]
    reject_frame = pl.concat(rejects).select(list(REJECT_SCHEMA)) if rejects \
        else pl.DataFrame(schema=REJECT_SCHEMA)
    return Survey(frame, files, reject_frame, duplicates, problems, grains_frame, place_table)


def _people(reads: list[_FileRead]) -> pl.DataFrame:
    if reads:
        return pl.concat([r.people for r in reads], how="diagonal_relaxed")
    return pl.DataFrame(schema={
        "_row": pl.UInt32, **{f: pl.Boolean for f in YESNO_FIELDS}, "age": pl.Int32,
        "has_cccd": pl.Boolean, "_id": pl.UInt64, "_top": pl.UInt32, "_bad_id": pl.Boolean,
        "place": pl.UInt64, "file": pl.Categorical, "period": pl.Categorical,
        "phase": pl.Categorical, "synthetic": pl.Boolean})
