"""Read the 16-criteria result tables districts send (.xlsx, .xls, .ods, .csv) into observations.

A table is found wherever it sits in the sheet: title rows, a "Tên đơn vị: …" cell, the
two-row merged header ("Kết quả thực hiện" over "Trước triển khai" / "Sau triển khai"),
group rows I/II, a signature footer. Columns are recognised by their header text, with or
without diacritics and in any order; rows are matched to TC codes by their text, else by STT.
The unit comes from the "Tên đơn vị" cell or a title line ("UBND HUYỆN …"), else the file
name, else the ``unit`` argument. Every observation keeps its exact cell text (``raw``) and
its cell (``source``: ``file.xlsx!Sheet!E15``).

Nothing here writes: ``data/raw`` is read only.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import SourceError, UnknownUnitError
from ..vocab import rules as fnd
from ..vocab import units as units_mod
from ..vocab.catalog import Catalog, load_catalog
from ..vocab.parse import Parsed, fold_words, format_percent, nfc, parse_target, parse_value
from ..vocab.rules import Finding
from ..vocab.units import Unit
from .narrative import NARRATIVE_SUFFIXES, Statement, read_narrative

TABLE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")
SYNTHETIC_MARK = "du lieu mo phong"  # "DỮ LIỆU MÔ PHỎNG", folded

OBSERVATION_SCHEMA: dict[str, pl.DataType] = {
    "unit_code": pl.String, "unit_name": pl.String, "unit_level": pl.String,
    "period": pl.String, "indicator": pl.String, "phase": pl.String,
    "value": pl.Float64, "qualifier": pl.String,
    "numerator": pl.Float64, "denominator": pl.Float64,
    "target": pl.Float64, "target_qualifier": pl.String,
    "raw": pl.String, "source": pl.String,
    # beyond DESIGN.md's contract, for the checks and the reports:
    "status": pl.String, "tolerance": pl.Float64, "stated": pl.Boolean,
    "target_stated": pl.Float64, "evidence": pl.String, "synthetic": pl.Boolean,
    "file": pl.String,
    # how sure the reading is (1.0 for a template cell; see narrative.py for prose)
    "confidence": pl.Float64,
    # "survey" for indicators computed from survey microdata (bakhong.survey), which checks
    # compare with the reports instead of checking them; null for tables and narratives
    "origin": pl.String,
}
PHASES = ("before", "after")
_MATCH_SCORE = 80.0
_FOOTER = re.compile(r"\b(nguoi lap|ky ten|chu tich|xac nhan|thu truong|noi nhan|"
                     r"ky ghi ro|giam doc|truong phong)\b")
_ROMAN = re.compile(r"^(i{1,3}|iv|v|vi{0,3})\.?$", re.I)
_YEAR = re.compile(r"\b(?:nam|year)\s*(20\d\d)\b")


@dataclass
class Table:
    """One source file read: its unit, period, observations and the problems met reading it."""

    path: Path
    unit: Unit | None
    period: str
    synthetic: bool
    observations: pl.DataFrame
    findings: list[Finding] = field(default_factory=list)
    #: narrative only: other statements of an indicator already observed (for comparison)
    claims: pl.DataFrame | None = None
    #: narrative only: values that match no indicator, listed for a person to review
    review: pl.DataFrame | None = None

    @property
    def kind(self) -> str:
        """"table" or "narrative"."""
        return "narrative" if self.path.suffix.lower() in NARRATIVE_SUFFIXES else "table"


# --- grids ------------------------------------------------------------------------------

def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _read_workbook(path: Path) -> list[tuple[str, list[list[Any]]]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types for every broken file
        raise SourceError(f"không phải bảng tính Excel hợp lệ ({type(exc).__name__}: {exc})",
                          path.name) from None
    sheets = []
    for name in workbook.sheet_names:
        try:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:
            raise SourceError(f"không đọc được trang “{name}” ({exc})", path.name) from None
        sheets.append((name, rows))
    return sheets


def _decode(data: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    try:
        return data.decode("cp1258")  # Windows Vietnamese
    except UnicodeDecodeError:
        raise SourceError("không đọc được mã ký tự của tệp CSV (hãy lưu bằng UTF-8)",
                          path.name) from None


def _read_csv(path: Path) -> list[tuple[str, list[list[Any]]]]:
    data = path.read_bytes()
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError("không phải tệp văn bản CSV", path.name)
    text = _decode(data, path)
    delimiter = sniff_delimiter("\n".join(text.splitlines()[:30]))
    rows = [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]
    return [("", rows)]


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample: ";", "," or tab. A semicolon wins when it is common
    enough, since a decimal comma in a comma-delimited file is always quoted anyway."""
    counts = {d: sample.count(d) for d in (";", ",", "\t")}
    if counts[";"] and counts[";"] >= counts[","] / 3:
        return ";"
    return max(counts, key=counts.get)


def read_grids(path: Path) -> list[tuple[str, list[list[Any]]]]:
    """The sheets of a table file as (name, rows of cell values); CSV has one unnamed sheet."""
    if not path.is_file():
        raise SourceError("không tìm thấy tệp", str(path))
    if path.suffix.lower() == ".csv":
        return _read_csv(path)
    return _read_workbook(path)


# --- the table inside a grid ------------------------------------------------------------

@dataclass
class _Layout:
    header_row: int
    first_data_row: int
    columns: dict[str, int]


def _cell(rows: Sequence[Sequence[Any]], r: int, c: int) -> Any:
    if r < len(rows) and c < len(rows[r]):
        value = rows[r][c]
        return None if value == "" else value
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return nfc(str(value))


def _classify(header: str) -> str | None:
    h = fold_words(header)
    if not h:
        return None
    if "minh chung" in h:
        return "evidence"
    if "truoc" in h:
        return "before"
    if re.search(r"\bsau\b", h):
        return "after"
    if "giao" in h or "muc tieu" in h or "ke hoach" in h:
        return "target"
    if h in {"stt", "tt", "so tt", "so thu tu"} or h.startswith("stt"):
        return "stt"
    if "noi dung" in h or "tieu chi" in h or "ten chi tieu" in h or h == "chi tieu":
        return "label"
    if "ket qua" in h or "thuc hien" in h:
        return "result"  # a single result column: read as "after"
    return None


def _find_layout(rows: Sequence[Sequence[Any]]) -> _Layout | None:
    for r in range(min(len(rows), 60)):
        row_text = [fold_words(_text(v)) for v in rows[r]]
        if not any("noi dung" in t or "tieu chi" in t or t == "chi tieu" for t in row_text):
            continue
        below = rows[r + 1] if r + 1 < len(rows) else []
        two_rows = any(re.search(r"\b(truoc|sau)\b", fold_words(_text(v))) for v in below) and \
            not any(re.search(r"\b(truoc|sau)\b", t) for t in row_text)
        width = max(len(rows[r]), len(below))
        columns: dict[str, int] = {}
        for c in range(width):
            header = _text(_cell(rows, r, c))
            if two_rows:
                header = f"{header} {_text(_cell(rows, r + 1, c))}"
            kind = _classify(header)
            if kind and kind not in columns:
                columns[kind] = c
        if "result" in columns and "before" not in columns and "after" not in columns:
            columns["after"] = columns["result"]
        if "label" in columns and ("after" in columns or "before" in columns):
            return _Layout(r, r + (2 if two_rows else 1), columns)
    return None


def _title_text(rows: Sequence[Sequence[Any]], upto: int) -> list[tuple[int, int, str]]:
    return [(r, c, _text(v)) for r in range(min(upto, len(rows)))
            for c, v in enumerate(rows[r]) if v not in (None, "")]


def _unit_from_title(cells: list[tuple[int, int, str]],
                     rows: Sequence[Sequence[Any]]) -> tuple[str | None, Unit | None]:
    """(the name written, the unit) from "Tên đơn vị: …" or a title line."""
    for r, c, text in cells:
        if fold_words(text).startswith("ten don vi"):
            name = text.split(":", 1)[1] if ":" in text else ""
            name = name.strip(" .…_\t")
            if not name:
                name = next((_text(v) for v in rows[r][c + 1:] if _text(v).strip(" .…_")), "")
            if name.strip(" .…_"):
                try:
                    return name, units_mod.match(name)
                except UnknownUnitError:
                    return name, None
    for _, _, text in cells:
        unit = units_mod.find_in_text(text)
        if unit is not None:
            return text, unit
    return None, None


def _unit_from_filename(path: Path) -> Unit | None:
    stem = path.stem
    # a synthetic commune's code ("396-01-…") first, then a GSO code ("396-thuong-xuan")
    for pattern in (r"^(\d{3}-\d{2,3})(?:\D|$)", r"^(\d{3,5})(?:\D|$)"):
        code = re.match(pattern, stem)
        if code:
            try:
                return units_mod.by_code(code.group(1))
            except UnknownUnitError:
                pass
    words = re.sub(r"(20\d\d|[_\-.]|bao cao|ket qua|3 khong|mo hinh|du lieu|mo phong)", " ",
                   fold_words(stem.replace("_", " ").replace("-", " ")))
    found = units_mod.find_in_text(words)
    if found:
        return found
    bare = re.sub(r"\s+", " ", re.sub(r"\b(ubnd|huyen|thi xa|tp|thanh pho|xa|phuong)\b", " ",
                                      words)).strip()
    try:
        return units_mod.match(bare) if bare else None
    except UnknownUnitError:
        return None


def _period_from(cells: Iterable[str], path: Path) -> str:
    for text in cells:
        m = _YEAR.search(fold_words(text))
        if m:
            return m.group(1)
    m = re.search(r"(20\d\d)", path.stem)
    return m.group(1) if m else ""


def _source(path: Path, sheet: str, r: int, c: int) -> str:
    cell = f"{_column_letter(c)}{r + 1}"
    return f"{path.name}!{sheet}!{cell}" if sheet else f"{path.name}!{cell}"


def _observation(base: dict[str, Any], phase: str, parsed: Parsed, raw: str,
                 source: str) -> dict[str, Any]:
    return {
        **base, "phase": phase, "value": parsed.value, "qualifier": parsed.qualifier,
        "numerator": parsed.numerator, "denominator": parsed.denominator, "raw": raw,
        "source": source, "status": parsed.status, "tolerance": parsed.tolerance,
        "stated": parsed.stated, "confidence": 1.0,
    }


def read_table(path: str | Path, unit: str | None = None, period: str | None = None,
               catalog: Catalog | None = None) -> Table:
    """Read one result table.

    Parameters
    ----------
    path : the .xlsx/.xls/.ods/.csv file
    unit : the unit name or GSO code to use when neither the file nor its name says it
    period : the period to use when the file does not say it (its title or name)

    Raises
    ------
    SourceError : the file is not a table bakhong can read (the message names the file)

    Examples
    --------
    >>> t = read_table("data/raw/tables/thuong-xuan-2024.xlsx")
    >>> t.unit.name, t.period
    ('Thường Xuân', '2024')
    """
    path = Path(path)
    catalog = catalog or load_catalog()
    grids = read_grids(path)
    for sheet, rows in grids:
        layout = _find_layout(rows)
        if layout is not None:
            return _read_layout(path, sheet, rows, layout, unit, period, catalog)
    raise SourceError(
        "không tìm thấy bảng chỉ tiêu (cần dòng tiêu đề có “Nội dung chỉ tiêu” và "
        "“Trước triển khai”/“Sau triển khai”)", path.name)


def _read_layout(path: Path, sheet: str, rows: Sequence[Sequence[Any]], layout: _Layout,
                 unit_arg: str | None, period_arg: str | None, catalog: Catalog) -> Table:
    problems: list[Finding] = []
    title = _title_text(rows, layout.header_row)
    title_texts = [t for _, _, t in title]
    synthetic = any(SYNTHETIC_MARK in fold_words(t) for t in title_texts)
    written, unit = _unit_from_title(title, rows)
    if unit is None:
        unit = _unit_from_filename(path)
    if unit is None and unit_arg:
        try:
            unit = units_mod.match(unit_arg)
        except UnknownUnitError as exc:
            problems.append(fnd.make("unknown_unit", {"detail": str(exc)}, source=path.name))
    period = _period_from(title_texts, path) or (period_arg or "")
    if unit is None and not problems:
        name = written or path.stem
        problems.append(fnd.make(
            "unknown_unit",
            {"detail": str(UnknownUnitError(name, units_mod.candidates(name)))},
            unit_name=name, period=period, source=f"{path.name}!{sheet}" if sheet else path.name))
    base = {
        "unit_code": unit.code if unit else "", "unit_name": unit.name if unit else (written or ""),
        "unit_level": unit.level if unit else "", "period": period, "synthetic": synthetic,
        "file": path.name,
    }
    cols = layout.columns
    observations: list[dict[str, Any]] = []
    seen: dict[str, tuple[int, tuple[Any, ...]]] = {}
    for r in range(layout.first_data_row, len(rows)):
        label = _text(_cell(rows, r, cols["label"]))
        stt = _text(_cell(rows, r, cols["stt"])) if "stt" in cols else ""
        values = {k: _cell(rows, r, cols[k]) for k in ("before", "after", "target", "evidence")
                  if k in cols}
        if _FOOTER.search(fold_words(label)) or _FOOTER.search(fold_words(stt)):
            break
        if _ROMAN.match(stt) or (not label and not stt):
            continue
        has_values = any(values.get(k) is not None for k in ("before", "after"))
        code, score = catalog.match_label(label) if label else (None, 0.0)
        if score < _MATCH_SCORE:
            code = None
            number = re.fullmatch(r"(\d{1,2})\.?", stt)
            if number and 1 <= int(number.group(1)) <= 16:
                code = f"TC{int(number.group(1)):02d}"
        if code is None:
            if has_values:
                problems.append(fnd.make("unknown_indicator", {"raw": label or stt},
                                         **_record(base, "", "", _source(path, sheet, r, 0))))
            continue
        signature = tuple(_text(values.get(k)) for k in ("before", "after"))
        if code in seen:
            first_row, first_sig = seen[code]
            if signature != first_sig:
                problems.append(fnd.make(
                    "duplicate",
                    {"indicator": code, "label": catalog[code].short,
                     "detail": f"dòng {first_row + 1} và dòng {r + 1}"},
                    **_record(base, code, "", _source(path, sheet, r, cols["label"]))))
            continue
        seen[code] = (r, signature)
        target = catalog.target(code, base["unit_code"], period)
        stated_target = parse_target(values.get("target")) if "target" in cols else None
        row_base = {
            **base, "indicator": code,
            "target": target.value if target else None,
            "target_qualifier": target.qualifier if target else None,
            "target_stated": stated_target.value if stated_target and stated_target.ok else None,
            "evidence": _text(values.get("evidence")) or None,
        }
        for phase in PHASES:
            if phase not in cols:
                continue
            cell = values.get(phase)
            observations.append(_observation(
                row_base, phase, parse_value(cell), _text(cell),
                _source(path, sheet, r, cols[phase])))
    if not observations:
        raise SourceError("bảng không có dòng chỉ tiêu nào khớp với mẫu 16 tiêu chí",
                          path.name, f"{sheet}!A{layout.header_row + 1}" if sheet else "")
    frame = pl.DataFrame(observations, schema=OBSERVATION_SCHEMA)
    return Table(path, unit, period, synthetic, frame, problems)


def _record(base: dict[str, Any], indicator: str, phase: str, source: str) -> dict[str, Any]:
    return {"unit_code": base["unit_code"], "unit_name": base["unit_name"],
            "period": base["period"], "indicator": indicator, "phase": phase,
            "source": source, "synthetic": base["synthetic"]}


def empty_observations() -> pl.DataFrame:
    return pl.DataFrame(schema=OBSERVATION_SCHEMA)


# --- narrative reports -------------------------------------------------------------------

def _statement_row(base: dict[str, Any], s: Statement, catalog: Catalog) -> dict[str, Any]:
    code = s.indicator or ""
    target = catalog.target(code, base["unit_code"], base["period"]) if code in catalog \
        else None
    return {
        **_observation(base, s.phase, s.parsed, s.raw, s.source), "indicator": code,
        "target": target.value if target else None,
        "target_qualifier": target.qualifier if target else None,
        "confidence": s.confidence,
    }


def read_narrative_table(path: str | Path, unit: str | None = None, period: str | None = None,
                         catalog: Catalog | None = None) -> Table:
    """Read a narrative report (.docx, .md, .txt) into the same :class:`Table` as a template.

    Observations are the most confident statement of each indicator and phase; the other
    statements are ``claims`` (compared by :func:`combine`), the values no indicator matched
    are ``review``. The unit comes from the text ("UBND huyện …", "Thường Xuân, ngày …"),
    else the file name, else ``unit``; the period from "năm 2024", else the file name.

    Examples
    --------
    >>> t = read_narrative_table("data/raw/narrative/thuong-xuan-2024.md")
    >>> t.unit.code, t.observations.filter(indicator="TC09")["value"].to_list()
    ('396', [0.4575])
    """
    path = Path(path)
    catalog = catalog or load_catalog()
    narrative = read_narrative(path, catalog)
    problems: list[Finding] = []
    found = narrative.unit or _unit_from_filename(path)
    if found is None and unit:
        try:
            found = units_mod.match(unit)
        except UnknownUnitError as exc:
            problems.append(fnd.make("unknown_unit", {"detail": str(exc)}, source=path.name))
    period = narrative.period or (period or "")
    if found is None and not problems:
        name = narrative.unit_text or path.stem
        problems.append(fnd.make(
            "unknown_unit", {"detail": str(UnknownUnitError(name, units_mod.candidates(name)))},
            unit_name=name, period=period, source=path.name))
    if not narrative.statements and not narrative.review:
        raise SourceError("không tìm thấy số liệu chỉ tiêu nào trong văn bản", path.name)
    base = {
        "unit_code": found.code if found else "", "unit_name": found.name if found else "",
        "unit_level": found.level if found else "", "period": period,
        "synthetic": narrative.synthetic, "file": path.name,
    }
    chosen, others = narrative.primary()

    def frame(statements: list[Statement]) -> pl.DataFrame:
        rows = [_statement_row(base, s, catalog) for s in statements]
        return pl.DataFrame(rows, schema=OBSERVATION_SCHEMA) if rows else empty_observations()

    return Table(path, found, period, narrative.synthetic, frame(chosen), problems,
                 claims=frame(others), review=frame(narrative.review))


def read_source(path: str | Path, unit: str | None = None, period: str | None = None,
                catalog: Catalog | None = None) -> Table:
    """Read any source file: a narrative report by its suffix, else a template table."""
    path = Path(path)
    if path.suffix.lower() in NARRATIVE_SUFFIXES:
        return read_narrative_table(path, unit=unit, period=period, catalog=catalog)
    return read_table(path, unit=unit, period=period, catalog=catalog)


# --- table and narrative together --------------------------------------------------------

_OBS_KEY = ["unit_code", "period", "indicator", "phase"]


def _agree(claim: dict[str, Any], ref: dict[str, Any]) -> bool:
    """Whether two statements of one figure can both be true ("trên 45,75%" and 45,75% can)."""
    a, b = claim["value"], ref["value"]
    if a is None or b is None:
        return True
    tol = max(claim["tolerance"] or 0.0, ref["tolerance"] or 0.0) + 1e-9
    qa, qb = claim["qualifier"] or "=", ref["qualifier"] or "="
    if qa in (">", "≥") and qb in ("=", ">", "≥"):
        return b >= a - tol or qb != "="
    if qb in (">", "≥") and qa == "=":
        return a >= b - tol
    if qa in ("<", "≤") and qb == "=":
        return b <= a + tol
    if qb in ("<", "≤") and qa == "=":
        return a <= b + tol
    return abs(a - b) <= tol


def _inconsistent(claim: dict[str, Any], ref: dict[str, Any], catalog: Catalog) -> Finding:
    code = claim["indicator"]
    label = catalog[code].short if code in catalog else ""
    said = format_percent(claim["value"], qualifier=claim["qualifier"] or "=")
    other = format_percent(ref["value"], qualifier=ref["qualifier"] or "=")
    phase = fnd.PHASE_VI.get(claim["phase"], "")
    detail = (f"chỉ tiêu {code} ({label}), {phase}: “{claim['raw']}” ghi {said} "
              f"({claim['source']}), nhưng {ref['source']} ghi {other}.")
    finding = fnd.make("related_inconsistent", {"detail": detail, "indicator": code},
                       unit_code=claim["unit_code"] or "", unit_name=claim["unit_name"] or "",
                       period=claim["period"] or "", indicator=code, phase=claim["phase"],
                       value=claim["value"], source=claim["source"],
                       synthetic=bool(claim["synthetic"]))
    return replace(finding, expected=other)  # the rule entry is shared verbatim: no template


def combine(tables: Iterable[Table], catalog: Catalog | None = None
            ) -> tuple[pl.DataFrame, list[Finding]]:
    """One observation per unit × period × indicator × phase from tables and narratives.

    The rule: a template table's value wins (it is the form the province asked for); a
    narrative's value is used only where no table of the same unit and period gives that
    indicator and phase (or the table's cell is blank). Every narrative value not used — and
    every other statement of the same figure in a narrative — is compared with the value
    used, and a disagreement is one ``related_inconsistent`` finding naming both figures and
    both sources. So a figure present in both is counted once and, being one observation,
    checked (and flagged) once.
    """
    catalog = catalog or load_catalog()
    tables = list(tables)
    template = [t.observations for t in tables if t.kind == "table"]
    narrative = [t.observations for t in tables if t.kind == "narrative"]
    claims = [t.claims for t in tables if t.claims is not None and not t.claims.is_empty()]
    obs = pl.concat(template) if template else empty_observations()
    if narrative:
        prose = pl.concat(narrative)
        have = obs.filter(pl.col("status") != "missing").select(_OBS_KEY)
        superseded = prose.join(have, on=_OBS_KEY, how="semi")
        used = prose.join(have, on=_OBS_KEY, how="anti")
        # a blank table cell gives way to the narrative's figure
        obs = obs.join(used.select(_OBS_KEY), on=_OBS_KEY, how="anti")
        obs = pl.concat([obs, used])
        claims.append(superseded)
    problems: list[Finding] = []
    if claims:
        pending = pl.concat(claims).filter(pl.col("indicator") != "")
        ref_rows = {tuple(r[k] for k in _OBS_KEY): r for r in obs.filter(
            pl.col("status") == "ok").iter_rows(named=True)}
        for claim in pending.filter(pl.col("status") == "ok").iter_rows(named=True):
            ref = ref_rows.get(tuple(claim[k] for k in _OBS_KEY))
            if ref is not None and ref["unit_code"] and not _agree(claim, ref):
                problems.append(_inconsistent(claim, ref, catalog))
    return obs, problems


# --- many files ---------------------------------------------------------------------------

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
                period: str | None = None) -> tuple[pl.DataFrame, list[Finding], list[Table]]:
    """Read every table and narrative report; a broken file becomes a ``load_error`` finding,
    the rest go on. Tables and narratives of one unit are combined by :func:`combine`.

    When one unit and period come in several template tables, real data beats synthetic (the
    synthetic table is dropped silently); of two real (or two synthetic) tables, the first by
    file name is kept and every cell where the other disagrees is a ``duplicate`` finding.
    """
    catalog = load_catalog()
    tables: list[Table] = []
    problems: list[Finding] = []
    broken_synthetic: list[tuple[str, str, Finding]] = []
    for path in source_files(paths):
        try:
            table = read_source(path, unit=unit, period=period, catalog=catalog)
        except (SourceError, OSError, ValueError) as exc:
            # one broken file never stops the others; the reason goes into the finding
            reason = exc.reason if isinstance(exc, SourceError) else \
                f"lỗi khi đọc tệp ({type(exc).__name__}: {exc})"
            cell = exc.cell if isinstance(exc, SourceError) else ""
            guess = _unit_from_filename(path)
            finding = fnd.make(
                "load_error", {"detail": reason},
                unit_code=guess.code if guess else "", unit_name=guess.name if guess else "",
                source=f"{path.name}!{cell}" if cell else path.name)
            if "synthetic" in path.parts[:-1] and guess:
                broken_synthetic.append((guess.code, _period_from([], path), finding))
            else:
                problems.append(finding)
            continue
        tables.append(table)
    real = {(t.unit.code, t.period) for t in tables if t.unit and not t.synthetic}
    # an unreadable file of the synthetic folder is synthetic too: real data beats it
    problems.extend(f for code, p, f in broken_synthetic if (code, p) not in real)
    tables, duplicates = resolve_duplicates(tables, catalog)
    for table in tables:
        problems.extend(table.findings)
    problems.extend(duplicates)
    observations, related = combine(tables, catalog)
    return observations, problems + related, tables


def _cell_key(row: dict[str, Any]) -> tuple[Any, ...]:
    value = row["value"]
    return (row["status"], None if value is None else round(value, 6), row["qualifier"])


def resolve_duplicates(tables: list[Table], catalog: Catalog | None = None
                       ) -> tuple[list[Table], list[Finding]]:
    """The tables to use, one per unit and period, and the ``duplicate`` findings between
    files that disagree (see :func:`read_tables`)."""
    catalog = catalog or load_catalog()
    groups: dict[tuple[str, str], list[Table]] = {}
    for table in tables:
        if table.unit is not None and table.kind == "table":   # narratives: see combine()
            groups.setdefault((table.unit.code, table.period), []).append(table)
    dropped: set[int] = set()
    found: list[Finding] = []
    for group in groups.values():
        if len(group) < 2:
            continue
        if any(not t.synthetic for t in group):
            dropped.update(id(t) for t in group if t.synthetic)
            group = [t for t in group if not t.synthetic]
        group = sorted(group, key=lambda t: t.path.name)
        kept = group[0]
        cells = {(r["indicator"], r["phase"]): r for r in kept.observations.iter_rows(named=True)}
        for other in group[1:]:
            dropped.add(id(other))
            found.extend(other.findings)  # its own problems stay reported
            for row in other.observations.iter_rows(named=True):
                first = cells.get((row["indicator"], row["phase"]))
                if first is None or _cell_key(first) == _cell_key(row):
                    continue
                code = row["indicator"]
                detail = (f"tệp {kept.path.name} ghi “{first['raw']}” ({first['source']}), "
                          f"tệp {other.path.name} ghi “{row['raw']}”")
                found.append(fnd.make(
                    "duplicate", {"indicator": code, "label": catalog[code].short,
                                  "detail": detail},
                    unit_code=row["unit_code"], unit_name=row["unit_name"],
                    period=row["period"], indicator=code, phase=row["phase"],
                    value=row["value"], source=row["source"], synthetic=bool(row["synthetic"])))
    return [t for t in tables if id(t) not in dropped], found
