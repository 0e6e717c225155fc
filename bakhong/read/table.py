"""Read the 16-criteria result tables districts send (.xlsx, .xls, .ods, .csv) into observations.

A table is found wherever it sits in the sheet: title rows, a "Tên đơn vị: …" cell, the
two-row merged header ("Kết quả thực hiện" over "Trước triển khai" / "Sau triển khai"),
group rows I/II, a signature footer. Columns are recognised by their header text, with or
without diacritics and in any order; rows are matched to TC codes by their text, else by STT.
The unit comes from the "Tên đơn vị" cell or a title line ("UBND HUYỆN …"), else the file
name, else the ``unit`` argument. Every observation keeps its exact cell text (``raw``) and
its cell (``source``: ``file.xlsx!Sheet!E15``).

Nothing here writes: ``data/raw`` is read only."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ..contract import OBSERVATION_SCHEMA, PHASES, SYNTHETIC_MARK, Source
from ..errors import SourceError, UnknownUnitError
from ..vocab import rules as fnd
from ..vocab import units as units_mod
from ..vocab.catalog import MATCH_SCORE, Catalog, load_catalog
from ..vocab.parse import Parsed, fold_words, nfc, parse_target, parse_value
from ..vocab.personal import hide_columns
from ..vocab.rules import Finding
from ..vocab.units import Unit
from .grid import column_letter, read_sheets
from .kind import DocumentKind, classify_grid
from .narrative import NARRATIVE_SUFFIXES
from .plan import Plan, parse_date

TABLE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")
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
    #: what the document is (results, plan, blank_template, progress) and why
    document: DocumentKind = field(default_factory=lambda: DocumentKind("results", ""))
    #: a plan's or instruction's targets, window, deadlines, exclusions (else None)
    plan: Plan | None = None
    #: the date the document is signed ("…, ngày 20 tháng 9 năm 2024"), ISO
    dated: str | None = None
    #: how many fully-online public services a results report says the unit runs
    online_services: int | None = None

    @property
    def kind(self) -> str:
        """"table" or "narrative"."""
        return "narrative" if self.path.suffix.lower() in NARRATIVE_SUFFIXES else "table"


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


#: one header naming both result columns: it was merged across them
_BOTH = re.compile(r"\btruoc\b.*\bsau\b|\bsau\b.*\btruoc\b")


def _find_layout(rows: Sequence[Sequence[Any]]) -> _Layout | None:
    for r in range(min(len(rows), 60)):
        row_text = [fold_words(_text(v)) for v in rows[r]]
        if not any("noi dung" in t or "tieu chi" in t or t == "chi tieu" for t in row_text):
            continue
        below = rows[r + 1] if r + 1 < len(rows) else []
        two_rows = any(re.search(r"\b(truoc|sau)\b", fold_words(_text(v))) for v in below) and \
            not any(re.search(r"\b(truoc|sau)\b", t) for t in row_text)
        width = max(len(rows[r]), len(below))
        headers = [_text(_cell(rows, r, c)) + (f" {_text(_cell(rows, r + 1, c))}" if two_rows
                                               else "") for c in range(width)]
        columns: dict[str, int] = {}
        for c, header in enumerate(headers):
            kind = _classify(header)
            if _BOTH.search(fold_words(header)) and c + 1 < width and not headers[c + 1].strip():
                # "Kết quả (Trước / Sau triển khai)" merged over both result columns, in the
                # order the header names them
                first, second = ("after", "before") if re.match(
                    r".*?\bsau\b.*\btruoc\b", fold_words(header)) else ("before", "after")
                columns.setdefault(first, c)
                columns.setdefault(second, c + 1)
                continue
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


def out_of_period(unit: Unit | None, period: str, source: str,
                  problems: list[Finding]) -> None:
    """A unit named in a file of a period it did not exist in (huyện Thường Xuân in 2026,
    Phường Hạc Thành in 2024) is a ``unit_out_of_period`` problem."""
    if unit is None or not period or unit.alive(period):
        return
    after = [units_mod.by_code(c, "2026").full_name for c in unit.successors]
    hint = f"; từ 1/7/2025 là {', '.join(after)}" if after else ""
    problems.append(fnd.make("unit_out_of_period", {
        "detail": f"{unit.full_name} tồn tại {unit.lifetime}, tệp ghi kỳ {period}{hint}"},
        unit_code=unit.code, unit_name=unit.name, period=period, source=source))


def _unit_from_title(cells: list[tuple[int, int, str]], rows: Sequence[Sequence[Any]],
                     period: str = "") -> tuple[str | None, Unit | None]:
    """(the name written, the unit) from "Tên đơn vị: …" or a title line."""
    for r, c, text in cells:
        if fold_words(text).startswith("ten don vi"):
            name = text.split(":", 1)[1] if ":" in text else ""
            name = name.strip(" .…_\t")
            if not name:
                name = next((_text(v) for v in rows[r][c + 1:] if _text(v).strip(" .…_")), "")
            if name.strip(" .…_"):
                try:
                    return name, units_mod.match(name, period=period or None)
                except UnknownUnitError:
                    return name, None
    for _, _, text in cells:
        unit = units_mod.find_in_text(text, period or None)
        if unit is not None:
            return text, unit
    return None, None


def unit_from_filename(path: Path, period: str = "") -> Unit | None:
    stem = path.stem
    period = period or (m.group(1) if (m := re.search(r"(20\d\d)", stem)) else "")
    # a synthetic commune's code ("396-01-…") first, then a GSO code ("396-thuong-xuan")
    for pattern in (r"^(\d{3}-\d{2,3})(?:\D|$)", r"^(\d{3,5})(?:\D|$)"):
        code = re.match(pattern, stem)
        if code:
            try:
                return units_mod.by_code(code.group(1), period or None)
            except UnknownUnitError:
                pass
    spaced = re.sub(r"(?<=[a-zà-ỹđ])(?=[A-ZÀ-ỸĐ])", " ", stem)  # "BaoCao_YenDinh" → words
    words = re.sub(r"(20\d\d|[_\-.]|bao cao|ket qua|3 khong|mo hinh|du lieu|mo phong)", " ",
                   fold_words(spaced.replace("_", " ").replace("-", " ")))
    found = units_mod.find_in_text(words, period or None)
    if found:
        return found
    bare = re.sub(r"\s+", " ", re.sub(r"\b(ubnd|huyen|thi xa|tp|thanh pho|xa|phuong)\b", " ",
                                      words)).strip()
    try:
        return units_mod.match(bare, period=period or None) if bare else None
    except UnknownUnitError:
        return units_mod.in_run_together(words, period or None)


def period_from(cells: Iterable[str], path: Path) -> str:
    for text in cells:
        m = _YEAR.search(fold_words(text))
        if m:
            return m.group(1)
    m = re.search(r"(20\d\d)", path.stem)
    return m.group(1) if m else ""


def _source(path: Path, sheet: str, r: int, c: int) -> str:
    return Source(path.name, sheet=sheet, cell=f"{column_letter(c)}{r + 1}").render()


def observation_row(base: dict[str, Any], phase: str, parsed: Parsed, raw: str,
                 source: str) -> dict[str, Any]:
    return {
        **base, "phase": phase, "value": parsed.value, "qualifier": parsed.qualifier,
        "numerator": parsed.numerator, "denominator": parsed.denominator, "raw": raw,
        "source": source, "status": parsed.status, "tolerance": parsed.tolerance,
        "stated": parsed.stated, "confidence": 1.0,
    }


def read_table(path: str | Path, unit: str | None = None, period: str | None = None,
               catalog: Catalog | None = None, kind: str | None = None) -> Table:
    """Read one result table.

    Parameters
    ----------
    path : the .xlsx/.xls/.ods/.csv file
    unit : the unit name or GSO code to use when neither the file nor its name says it
    period : the period to use when the file does not say it (its title or name)
    kind : the document's kind when the analyst knows better (see :mod:`bakhong.read.kind`)

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
    sheets = read_sheets(path)
    # a hidden sheet is read only when no visible one has the table, and then it is said
    for sheet in sorted(sheets, key=lambda s: s.hidden):
        layout = _find_layout(sheet.rows)
        if layout is None:
            continue
        table = _read_layout(path, sheet.name, sheet.rows, layout, unit, period, catalog, kind)
        notes = [sheet.note] if sheet.note else []
        if sheet.hidden:
            notes.append(f"bảng chỉ có ở trang ẩn “{sheet.name}”, không có ở trang nào đang "
                         "hiện; số liệu được đọc từ trang ẩn này")
        table.findings.extend(fnd.make("partly_read", {"detail": note}, **_record(
            {**_file_base(table), "synthetic": table.synthetic}, "", "",
            Source(path.name, sheet=sheet.name).render())) for note in notes)
        # a phone or CCCD number typed in a cell never leaves the loader
        table.observations = hide_columns(table.observations)
        return table
    notes = "; ".join(s.note for s in sheets if s.note)
    if notes:
        raise SourceError(f"không tìm thấy bảng chỉ tiêu trong vùng đọc được ({notes})",
                          path.name)
    raise SourceError(
        "không tìm thấy bảng chỉ tiêu (cần dòng tiêu đề có “Nội dung chỉ tiêu” và "
        "“Trước triển khai”/“Sau triển khai”)", path.name)


def _file_base(table: Table) -> dict[str, Any]:
    unit = table.unit
    return {"unit_code": unit.code if unit else "", "unit_name": unit.name if unit else "",
            "period": table.period}


def _value_text(cell: Any) -> str:
    """The raw text of a result cell; a date cell says it is one ("ô ngày 05/01/2024")."""
    if isinstance(cell, dt.datetime | dt.date):
        return f"ô kiểu ngày tháng {cell.day:02d}/{cell.month:02d}/{cell.year}, không phải tỷ lệ"
    if isinstance(cell, dt.time | dt.timedelta):
        return f"ô kiểu giờ {cell}, không phải tỷ lệ"
    return _text(cell)


def _read_layout(path: Path, sheet: str, rows: Sequence[Sequence[Any]], layout: _Layout,
                 unit_arg: str | None, period_arg: str | None, catalog: Catalog,
                 kind: str | None = None) -> Table:
    problems: list[Finding] = []
    base, unit = _whose(path, sheet, rows, layout, unit_arg, period_arg, problems)
    period, synthetic = base["period"], base["synthetic"]
    cols = layout.columns
    observations: list[dict[str, Any]] = []
    seen: dict[str, tuple[int, tuple[Any, ...]]] = {}
    width = _csv_width(path, rows, layout)
    for r in range(layout.first_data_row, len(rows)):
        label = _text(_cell(rows, r, cols["label"]))
        stt = _text(_cell(rows, r, cols["stt"])) if "stt" in cols else ""
        values = {k: _cell(rows, r, cols[k]) for k in ("before", "after", "target", "evidence")
                  if k in cols}
        if _FOOTER.search(fold_words(label)) or _FOOTER.search(fold_words(stt)):
            break
        if _ROMAN.match(stt) or (not label and not stt):
            continue
        if width and len(rows[r]) != width and sum(1 for v in rows[r] if _text(v)) > 1:
            problems.append(_malformed(path, rows[r], r, width, base, catalog, cols))
            continue
        has_values = any(values.get(k) is not None for k in ("before", "after"))
        code = _indicator(label, stt if has_values or not label else "", catalog)
        if code is None and seen and r - max(at for at, _ in seen.values()) > _TAIL:
            break  # the table ended: what lies far below it (a pasted list) is not read
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
            "target_source": target.source if target else None,
            "target_stated": stated_target.value if stated_target and stated_target.ok else None,
            "evidence": _text(values.get("evidence")) or None,
        }
        for phase in PHASES:
            if phase not in cols:
                continue
            cell = values.get(phase)
            observations.append(observation_row(
                row_base, phase, parse_value(cell), _value_text(cell),
                _source(path, sheet, r, cols[phase])))
    if not observations:
        raise SourceError("bảng không có dòng chỉ tiêu nào khớp với mẫu 16 tiêu chí",
                          path.name, f"{sheet}!A{layout.header_row + 1}" if sheet else "")
    frame = pl.DataFrame(observations, schema=OBSERVATION_SCHEMA)
    return _as_document(Table(path, unit, period, synthetic, frame, problems), rows, kind)


def _csv_width(path: Path, rows: Sequence[Sequence[Any]], layout: _Layout) -> int:
    """How many fields a CSV's rows have under its header (the commonest count): a row with
    more or fewer was typed with a separator inside a cell, or one missing. 0: not a CSV."""
    if path.suffix.lower() != ".csv":
        return 0
    counts = [len(r) for r in rows[layout.header_row:] if sum(1 for v in r if _text(v)) > 1]
    return max(set(counts), key=counts.count) if counts else 0


def _malformed(path: Path, row: Sequence[Any], r: int, width: int, base: dict[str, Any],
               catalog: Catalog, cols: dict[str, int]) -> Finding:
    """A CSV row whose fields cannot be placed: none of its figures is used."""
    label = _text(row[cols["label"]]) if cols["label"] < len(row) else ""
    code = catalog.match_label(label)[0] if label else None
    written = (", ".join(_text(v) for v in row))[:160]
    return fnd.make("malformed_row", {
        "detail": f"dòng {r + 1} có {len(row)} trường, các dòng khác có {width}: “{written}”"},
        **_record(base, code or "", "", Source(path.name, cell=f"A{r + 1}").render()))


def _as_document(table: Table, rows: Sequence[Sequence[Any]], kind: str | None) -> Table:
    """The table as the document it is: a form with no result in it (or a plan in the
    template's layout) gives targets, never values."""
    frame = table.observations
    # a form's placeholders ("%", "____", "…") are not figures; words ("đang cập nhật") are
    found = frame.filter((pl.col("status") == "ok") | (
        (pl.col("status") == "unparseable") & pl.col("raw").str.contains(r"[^\W\d_]"))).height
    table.document = classify_grid(rows, found, kind)
    table.dated = parse_date(" ".join(_text(v) for row in rows[:8] for v in row if v))
    if table.document.kind not in ("plan", "blank_template"):
        return table
    targets = []
    for r in frame.unique(subset="indicator", keep="first", maintain_order=True).iter_rows(
            named=True):
        value, qualifier = r["target_stated"], "≥"
        if table.document.kind == "plan" and value is None:
            after = frame.filter((pl.col("indicator") == r["indicator"])
                                 & (pl.col("phase") == "after") & pl.col("value").is_not_null())
            if after.is_empty():
                continue
            value, qualifier = after["value"][0], after["qualifier"][0] or "≥"
        if value is not None:
            targets.append(target_row(r, value, qualifier, r["raw"] or "", r["source"]))
    table.plan = Plan(targets=targets)
    table.observations = frame.clear()
    return table


def target_row(base: dict[str, Any], value: float, qualifier: str, raw: str,
               source: str) -> dict[str, Any]:
    """One target a plan or a form states, for the unit and period of ``base``."""
    return {"unit_code": base.get("unit_code") or "", "unit_name": base.get("unit_name") or "",
            "period": base.get("period") or "", "indicator": base["indicator"],
            "target": value, "target_qualifier": "≥" if qualifier in ("=", "") else qualifier,
            "raw": raw, "source": source}


def _whose(path: Path, sheet: str, rows: Sequence[Sequence[Any]], layout: _Layout,
           unit_arg: str | None, period_arg: str | None, problems: list[Finding]
           ) -> tuple[dict[str, Any], Unit | None]:
    """The unit, period and synthetic mark of a table, from its title, else its file name,
    else the caller's ``unit_arg``: (the columns every observation shares, the unit). A unit
    nobody can tell is a problem appended to ``problems``."""
    title = _title_text(rows, layout.header_row)
    title_texts = [t for _, _, t in title]
    synthetic = any(SYNTHETIC_MARK in fold_words(t) for t in title_texts)
    period = period_from(title_texts, path) or (period_arg or "")
    written, unit = _unit_from_title(title, rows, period)
    if unit is None:
        unit = unit_from_filename(path, period)
    elif units_mod.namesakes(unit, period or None):
        # a name two units share: the code in the file name tells which
        named = unit_from_filename(path, period)
        if named is not None and named.name == unit.name:
            unit = named
    if unit is None and unit_arg:
        try:
            unit = units_mod.match(unit_arg, period=period or None)
        except UnknownUnitError as exc:
            problems.append(fnd.make("unknown_unit", {"detail": str(exc)}, source=path.name))
    out_of_period(unit, period, Source(path.name, sheet=sheet).render(), problems)
    if unit is None and not problems:
        name = written or path.stem
        problems.append(fnd.make(
            "unknown_unit",
            {"detail": str(UnknownUnitError(name, units_mod.candidates(name)))},
            unit_name=name, period=period, source=Source(path.name, sheet=sheet).render()))
    base = {
        "unit_code": unit.code if unit else "", "unit_name": unit.name if unit else (written or ""),
        "unit_level": unit.level if unit else "", "period": period, "synthetic": synthetic,
        "file": path.name,
    }
    return base, unit


#: rows after the last criterion row with none in them: the table has ended
_TAIL = 100


def _indicator(label: str, stt: str, catalog: Catalog) -> str | None:
    """The criterion a row's label names (fuzzy match), else its STT number 1–16 (given
    only for a row with figures or no label: "1 | Hồ sơ số 1" in a list below is no row)."""
    code, score = catalog.match_label(label) if label else (None, 0.0)
    if score < MATCH_SCORE:
        code = None
        number = re.fullmatch(r"(\d{1,2})\.?", stt)
        if number and 1 <= int(number.group(1)) <= 16:
            code = f"TC{int(number.group(1)):02d}"
    return code


def _record(base: dict[str, Any], indicator: str, phase: str, source: str) -> dict[str, Any]:
    return {"unit_code": base["unit_code"], "unit_name": base["unit_name"],
            "period": base["period"], "indicator": indicator, "phase": phase,
            "source": source, "synthetic": base["synthetic"]}
