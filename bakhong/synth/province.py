"""A synthetic province: one template file per unit, with defects known in advance.

``synthesize(seed)`` writes, for every district of the period (or every synthetic commune of
them), a result table in the 16-criteria template the way districts send them — the layouts
and quirks the loader handles, a few as CSV — plus ``ground_truth.json``, the list of every
injected defect (unit, indicator, phase, rule). It is how the checks are scored
(``benchmarks/checks_recall.py``) and how batch reports get exercised.

Everything here is DỮ LIỆU MÔ PHỎNG (synthetic data): every file says so in its title and its
workbook metadata, the loader marks its observations ``synthetic``, and the populations used
as denominators are made up (consistent with the cited census figure where one exists, so a
cited unit's synthetic denominator is never implausible). Communes are made up too
(``units.synthetic_commune``): no real commune is given invented figures.

The same seed gives the same ground truth, byte for byte, and the same observations.

Parts: ``_figures`` (populations and values), ``_cells`` (how they are written),
``_defects`` (what is planted, one function per rule) and ``_score`` (checks against the
ground truth).
"""

from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path
from typing import Any

from .. import config
from ..errors import UsageError
from ..vocab import units as units_mod
from ..vocab.catalog import Catalog, load_catalog
from ._cells import CSV_LAYOUTS, XLSX_LAYOUTS, _document
from ._defects import ERRORS, WARNINGS, _inject, _Injector
from ._figures import HIGHLAND, _population, _r3, _rank, _tame, _Unit, _units_of, _values, file_name
from ._score import score, totals
from .template import SYNTHETIC_TITLE, Document, Layout, write

__all__ = ["GROUND_TRUTH", "HIGHLAND", "file_name", "score", "synthesize", "totals"]

GROUND_TRUTH = "ground_truth.json"


def synthesize(seed: int, out: str | Path | None = None, level: str = "district",
               period: str = "2024") -> dict[str, Any]:
    """Write a synthetic province to ``out`` (default ``data/raw/synthetic``); return its
    ground truth (also written as ``ground_truth.json``).

    Examples
    --------
    >>> import tempfile
    >>> truth = synthesize(7, tempfile.mkdtemp())
    >>> len(truth["files"]) >= 26, truth["note"].startswith("DỮ LIỆU MÔ PHỎNG")
    (True, True)
    """
    if units_mod.new_era(period):
        level = "commune"  # no district level from 1 July 2025
    rng = random.Random(f"bakhong-synth-{seed}-{level}-{period}")
    catalog = load_catalog()
    out = Path(out) if out else config.raw_dir() / "synthetic"
    _prepare(out)
    pool: list[_Unit] = []
    for unit in _units_of(level, period):
        population = _population(unit, rng)
        communes = unit.communes or 1
        officials = communes * rng.randint(20, 25) + (0 if unit.level == "commune" else 80)
        rank = _rank(unit)
        after, before = _values(rank, catalog, rng)
        use_ratio = rng.choice((0.0, 0.2, 0.5, 0.8))
        style = {c: ("ratio" if c.startswith("TC") and rng.random() < use_ratio else
                     rng.choice(("pct", "pct", "float", "bare"))) for c in after}
        for k in ("K1", "K2"):
            if rng.random() < 0.5:
                style[k] = "over"
        style["_before"] = rng.choice(("pct", "float", "bare"))
        if rng.random() < 0.15:
            suffix, (layout_name, layout) = ".csv", rng.choice(CSV_LAYOUTS)
        else:
            suffix, (layout_name, layout) = ".xlsx", rng.choice(XLSX_LAYOUTS)
        if unit.level == "commune" and not layout.unit_cell:
            layout_name, layout = XLSX_LAYOUTS[0]
        pool.append(_Unit(unit, population, officials, communes * 6 + 4, rank, after, before,
                          style, layout_name, layout, suffix))
    _tame(pool)
    rng.shuffle(pool)
    inj = _Injector(pool, catalog, period, rng)
    # a unit that sent nothing is known only against the reference list, which has no
    # communes: at commune level the second incomplete unit is a partial one too
    absent = "incomplete_unit_absent" if level == "district" else "incomplete_unit"
    for rule in ("load_error", "duplicate", "unknown_unit", absent, "incomplete_unit"):
        _inject(inj, rule)
    for rule, count in (*ERRORS, *WARNINGS):
        if rule in ("load_error", "duplicate", "unknown_unit"):
            continue
        for _ in range(count - (1 if rule == "incomplete_unit" else 0)):
            _inject(inj, rule)
    visible = [u for u in pool if u.role not in ("load_error", "incomplete_unit_absent")]
    _tame(visible, frozenset(inj.frozen))
    files = _write(pool, inj, catalog, period, out, rng)
    pool.sort(key=lambda u: u.unit.code)
    truth = {
        "note": f"{SYNTHETIC_TITLE} — tỉnh mô phỏng do bakhong synth tạo ra, không phải số "
                "liệu thật; dân số dùng làm mẫu số cũng là số mô phỏng.",
        "generator": "bakhong synth", "seed": seed, "level": level, "period": period,
        "files": files,
        "units": [{"unit_code": u.unit.code, "unit_name": u.unit.name,
                   "synthetic_population": u.population, "highland": u.rank == 1.0,
                   "role": u.role} for u in pool],
        "defects": sorted(inj.defects, key=lambda d: (d["rule"], d["unit_code"],
                                                      d["indicator"], d["phase"], d["file"])),
    }
    (out / GROUND_TRUTH).write_text(
        json.dumps(truth, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return truth


def _prepare(out: Path) -> None:
    """Clear a previous synthetic province from ``out``; refuse to write among other files."""
    if not out.exists():
        out.mkdir(parents=True)
        return
    previous = out / GROUND_TRUTH
    present = [p for p in out.iterdir() if not p.name.startswith(".")]
    if present and not previous.is_file():
        raise UsageError(f"{out}: thư mục đã có tệp khác, không phải dữ liệu mô phỏng; "
                         "hãy chọn thư mục trống")
    if previous.is_file():
        old = json.loads(previous.read_text(encoding="utf-8"))
        for entry in old.get("files", []):
            (out / entry["file"]).unlink(missing_ok=True)
        previous.unlink()


def _write(pool: list[_Unit], inj: _Injector, catalog: Catalog, period: str, out: Path,
           rng: random.Random) -> list[dict[str, str]]:
    files: list[dict[str, str]] = []

    def add(name: str, u: _Unit | None, layout_name: str, note: str = "") -> None:
        files.append({"file": name, "unit_code": u.unit.code if u else "",
                      "layout": layout_name, "note": note})

    for u in sorted(pool, key=lambda v: v.unit.code):
        name = file_name(u.unit, period, u.suffix)
        if u.role == "incomplete_unit_absent":
            continue
        if u.role == "load_error":
            html = (f"<html><head><meta charset='utf-8'><title>{SYNTHETIC_TITLE}</title></head>"
                    f"<body><p>{SYNTHETIC_TITLE}: Báo cáo kết quả mô hình 3 KHÔNG — "
                    f"{u.unit.full_name}</p></body></html>")
            (out / file_name(u.unit, period, ".xlsx")).write_text(html, encoding="utf-8")
            add(file_name(u.unit, period, ".xlsx"), u, "HTML lưu nhầm đuôi .xlsx",
                "not a workbook")
            continue
        doc = _document(u, catalog, period, rng)
        write(out / name, doc, u.layout)
        add(name, u, u.layout_name)
        if u.role == "duplicate":
            defect = next(d for d in inj.defects if d["rule"] == "duplicate")
            code = defect["indicator"]
            second = _Unit(**{**u.__dict__, "after": {**u.after}, "override": None})
            second.after[code] = _r3(u.after[code] + (0.03 if u.after[code] < 0.95 else -0.03))
            second.style = {**u.style, code: "pct"}
            u.style[code] = "pct"
            doc1 = _document(u, catalog, period, random.Random(0))
            write(out / name, doc1, u.layout)
            extra = file_name(u.unit, period, u.suffix, "-bo-sung")
            write(out / extra, _document(second, catalog, period, random.Random(0)), u.layout)
            add(extra, u, u.layout_name, "second file, one cell differs")
        if u.role == "unknown_unit":
            name_typo = _misspell(u.unit.name)
            doc = _document(u, catalog, period, rng)
            if u.unit.level != "commune" or u.unit.new:
                title = f"UBND {u.unit.kind} {name_typo}"
            else:
                parent = units_mod.by_code(u.unit.parent_code).name
                title = f"UBND xã Mô phỏng – huyện {_misspell(parent)}"
            extra = f"bao-cao-3-khong-{period}.xlsx"
            write(out / extra, Document(title, period, doc.cells, synthetic=True), Layout())
            add(extra, None, "mẫu chuẩn", "misspelt unit name")
    return files


def _misspell(name: str) -> str:
    """"Quảng Xương" → "Quảng Xươngg": a typo no unit name matches."""
    text = unicodedata.normalize("NFC", name)
    return text + text[-1]
