"""A narrative report (.docx, .md, .txt) as the same :class:`~bakhong.read.table.Table` a
template gives: the most confident statement of each indicator and phase, the others kept
as claims, the values no indicator matched kept for review.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from ..contract import OBSERVATION_SCHEMA, empty_observations
from ..errors import SourceError, UnknownUnitError
from ..vocab import rules as fnd
from ..vocab import units as units_mod
from ..vocab.catalog import Catalog, load_catalog
from ..vocab.rules import Finding
from .narrative import Statement, read_narrative
from .table import Table, observation_row, unit_from_filename


def _statement_row(base: dict[str, Any], s: Statement, catalog: Catalog) -> dict[str, Any]:
    code = s.indicator or ""
    target = catalog.target(code, base["unit_code"], base["period"]) if code in catalog \
        else None
    return {
        **observation_row(base, s.phase, s.parsed, s.raw, s.source), "indicator": code,
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
    found = narrative.unit or unit_from_filename(path)
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
