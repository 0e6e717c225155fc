"""Several files of one unit and period together: a table and a narrative that state the
same figure must agree, and one cell reported twice is a duplicate, not two values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import polars as pl

from ..contract import empty_observations
from ..vocab import rules as fnd
from ..vocab.catalog import Catalog, load_catalog
from ..vocab.parse import format_percent
from ..vocab.provenance import real_beats_synthetic
from ..vocab.rules import Finding
from .table import Table

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
        echoes: dict[tuple[Any, ...], list[str]] = {}
        for claim in pending.filter(pl.col("status") == "ok").iter_rows(named=True):
            key = tuple(claim[k] for k in _OBS_KEY)
            ref = ref_rows.get(key)
            if ref is not None and ref["unit_code"] and not _agree(claim, ref):
                problems.append(_inconsistent(claim, ref, catalog))
            elif ref is not None and claim["source"] != ref["source"]:
                echoes.setdefault(key, []).append(f"{claim['source']} (“{claim['raw'][:90]}”)")
        if echoes:
            said = pl.DataFrame([{**dict(zip(_OBS_KEY, k, strict=True)),
                                  "_also": "; ".join(v)} for k, v in echoes.items()],
                                schema={**{k: obs.schema[k] for k in _OBS_KEY},
                                        "_also": pl.String})
            obs = obs.join(said, on=_OBS_KEY, how="left", maintain_order="left").with_columns(
                pl.coalesce("_also", "also_stated").alias("also_stated")).drop("_also")
    return obs, problems


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
        real = real_beats_synthetic(group, key=lambda t: 0, synthetic=lambda t: t.synthetic)
        dropped.update({id(t) for t in group} - {id(t) for t in real})
        group = sorted(real, key=lambda t: t.path.name)
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
