"""A narrative report (.docx, .md, .txt) as the same :class:`~bakhong.read.table.Table` a
template gives: the most confident statement of each indicator and phase, the others kept
as claims, the values no indicator matched kept for review.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import polars as pl

from ..contract import OBSERVATION_SCHEMA, empty_observations
from ..errors import SourceError, UnknownUnitError
from ..vocab import rules as fnd
from ..vocab import units as units_mod
from ..vocab.catalog import Catalog, load_catalog
from ..vocab.parse import fold
from ..vocab.personal import hide_columns
from ..vocab.rules import Finding
from .kind import classify_text
from .narrative import Statement, read_narrative
from .plan import parse_date, read_plan
from .table import Table, observation_row, out_of_period, target_row, unit_from_filename


def _statement_row(base: dict[str, Any], s: Statement, catalog: Catalog) -> dict[str, Any]:
    code = s.indicator or ""
    target = catalog.target(code, base["unit_code"], base["period"]) if code in catalog \
        else None
    return {
        **observation_row(base, s.phase, s.parsed, s.raw, s.source), "indicator": code,
        "target": target.value if target else None,
        "target_qualifier": target.qualifier if target else None,
        "target_source": target.source if target else None,
        "confidence": s.confidence,
    }


def read_narrative_table(path: str | Path, unit: str | None = None, period: str | None = None,
                         catalog: Catalog | None = None, kind: str | None = None) -> Table:
    """Read a narrative report (.docx, .md, .txt) into the same :class:`Table` as a template.

    Observations are the most confident statement of each indicator and phase; the other
    statements are ``claims`` (compared by :func:`combine`), the values no indicator matched
    are ``review``. The unit comes from the text ("UBND huyện …", "Thường Xuân, ngày …"),
    else the file name, else ``unit``; the period from "năm 2024", else the file name.

    A plan or an instruction with the blank template (:mod:`bakhong.read.kind`) gives no
    observation: its figures are targets, in ``plan`` with its window, deadlines and
    exclusions (:mod:`bakhong.read.plan`). A progress report's observations carry ``as_of``.

    Examples
    --------
    >>> t = read_narrative_table("data/raw/narrative/thuong-xuan-2024.md")
    >>> t.unit.code, t.observations.filter(indicator="TC09")["value"].to_list()
    ('396', [0.4575])
    """
    path = Path(path)
    try:
        return _read(path, unit, period, catalog or load_catalog(), kind)
    except (SourceError, OSError):
        raise
    except Exception as exc:  # the last resort: the file's load_error, never a traceback
        raise SourceError(f"không đọc được nội dung văn bản ({type(exc).__name__})",
                          path.name) from None


_LONG_FIX = ("Tách báo cáo thành các tệp nhỏ hơn (mỗi tệp dưới 500 KB văn bản) hoặc chỉ gửi phần "
             "kết quả thực hiện các chỉ tiêu, rồi gửi lại.")


def _read(path: Path, unit: str | None, period: str | None, catalog: Catalog,
          kind: str | None) -> Table:
    narrative = read_narrative(path, catalog)
    problems: list[Finding] = []
    period = narrative.period or (period or "")
    found = narrative.unit or unit_from_filename(path, period)
    if narrative.note:  # a text too long to read whole: its head was read, and it is said
        problems.append(dataclasses.replace(fnd.make(
            "partly_read", {"detail": narrative.note}, source=path.name, period=period,
            unit_code=found.code if found else "", unit_name=found.name if found else ""),
            fix=_LONG_FIX))
    if found is None and unit:
        try:
            found = units_mod.match(unit, period=period or None)
        except UnknownUnitError as exc:
            problems.append(fnd.make("unknown_unit", {"detail": str(exc)}, source=path.name))
    out_of_period(found, period, path.name, problems)
    if found is None and not problems:
        name = narrative.unit_text or path.stem
        problems.append(fnd.make(
            "unknown_unit", {"detail": str(UnknownUnitError(name, units_mod.candidates(name)))},
            unit_name=name, period=period, source=path.name))
    texts = [b.text for b in narrative.blocks]
    sources = [b.source for b in narrative.blocks]
    document = classify_text(texts, [b.cells for b in narrative.blocks if b.cells], kind)
    dated = _signed(texts)
    if document.kind in ("plan", "blank_template"):
        plan_read = read_narrative(path, catalog, targets=True)
        base = {"unit_code": found.code if found else "", "unit_name": found.name if found
                else "", "period": period}
        targets = [target_row({**base, "indicator": s.indicator}, s.parsed.value,
                              s.parsed.qualifier, s.raw, s.source)
                   for s in _best_per_indicator(plan_read.statements)
                   if s.parsed.value is not None]
        plan = read_plan(texts, sources, targets, found)
        return Table(path, found, period, narrative.synthetic, empty_observations(), problems,
                     document=document, plan=plan, dated=dated)
    if not narrative.statements and not narrative.review:
        raise SourceError("; ".join(filter(None, (
            "không tìm thấy số liệu chỉ tiêu nào trong văn bản", narrative.note))), path.name)
    as_of = _as_of(texts) if document.kind == "progress" else None
    base = {
        "unit_code": found.code if found else "", "unit_name": found.name if found else "",
        "unit_level": found.level if found else "", "period": period,
        "synthetic": narrative.synthetic, "file": path.name, "as_of": as_of,
    }
    chosen, others = narrative.primary()

    def frame(statements: list[Statement]) -> pl.DataFrame:
        # a phone or CCCD number typed in a sentence never leaves the loader
        rows = [_statement_row(base, s, catalog) for s in statements]
        return hide_columns(pl.DataFrame(rows, schema=OBSERVATION_SCHEMA)) if rows \
            else empty_observations()

    return Table(path, found, period, narrative.synthetic, frame(chosen), problems,
                 claims=frame(others), review=frame(narrative.review), document=document,
                 dated=dated, online_services=services_stated(texts))


def _best_per_indicator(statements: list[Statement]) -> list[Statement]:
    best: dict[str, Statement] = {}
    for s in statements:
        if s.indicator and (s.indicator not in best or s.confidence > best[s.indicator].confidence):
            best[s.indicator] = s
    return sorted(best.values(), key=lambda s: s.order)


#: The first characters of a block where a date is looked for (a title, a signature line).
_HEAD_CHARS = 2000
_SIGNED = re.compile(r"^[^\d]{2,60}?,\s*ngay\s+\d{1,2}\s+thang\s+\d{1,2}\s+nam\s+20\d\d")
_AS_OF = re.compile(r"\b(?:tinh\s+)?(?:den|toi)\s+(?:het\s+)?ngay\s+"
                    r"(\d{1,2}\s*/\s*\d{1,2}(?:\s*/\s*20\d\d)?|\d{1,2}\s+thang\s+\d{1,2}"
                    r"\s+nam\s+20\d\d)")


def _signed(texts: list[str]) -> str | None:
    """The date a document is signed: "Thường Xuân, ngày 20 tháng 9 năm 2024"."""
    for text in texts[:15]:
        m = _SIGNED.search(fold(text[:_HEAD_CHARS]))
        if m:
            return parse_date(m.group(0))
    return None


def _as_of(texts: list[str]) -> str | None:
    """The date a progress report counts to: "tính đến ngày 23/6/2023"."""
    for text in texts[:40]:
        m = _AS_OF.search(fold(text[:_HEAD_CHARS]))
        if m:
            found = parse_date(m.group(1)) or parse_date(m.group(1) + "/" + _year(texts))
            if found:
                return found
    return _signed(texts)


def _year(texts: list[str]) -> str:
    m = re.search(r"20\d\d", " ".join(t[:_HEAD_CHARS] for t in texts[:15]))
    return m.group(0) if m else ""


_SERVICES = re.compile(r"(?<!toi thieu )\b0*(\d{1,3})\s+dich\s+vu\s+cong\s+truc\s+tuyen\s+"
                       r"toan\s+trinh")


def services_stated(texts: list[str]) -> int | None:
    """How many fully-online services a results report says are running ("triển khai 03
    dịch vụ công trực tuyến toàn trình"); a minimum ("tối thiểu 05") is not a count."""
    counts = [int(m.group(1)) for t in texts for m in _SERVICES.finditer(fold(t))]
    return max(counts) if counts else None
