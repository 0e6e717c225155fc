"""Shared fixtures: files in the template written the way districts write them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bakhong.synth.template import Document, Layout, write
from bakhong.vocab.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[1]
THUONG_XUAN = ROOT / "data" / "raw" / "tables" / "thuong-xuan-2024.xlsx"


def clean_cells(before: float = 0.3, after: float = 0.92) -> dict[str, dict]:
    """Plausible, consistent figures for every indicator, every target met: no rule fires."""
    cells = {}
    for indicator in load_catalog():
        reached = max(after, indicator.target or 0)
        cells[indicator.code] = {"before": before, "after": reached}
        if indicator.target is not None:
            cells[indicator.code]["target"] = f"{round(indicator.target * 100)}% trở lên"
    return cells


def document(unit: str = "UBND huyện Bá Thước", period: str = "2024", **changes) -> Document:
    cells = clean_cells()
    for code, cell in changes.items():
        cells[code] = {**cells.get(code, {}), **cell}
    return Document(unit_title=unit, period=period, cells=cells)


@pytest.fixture(scope="session")
def commune_province(tmp_path_factory) -> Path:
    """``bakhong synth --level commune`` (seed 3) once per session: a table per commune of
    the province, named ``<commune code>-…`` (DỮ LIỆU MÔ PHỎNG). Read it, never write it."""
    from bakhong.synth.province import synthesize

    out = tmp_path_factory.mktemp("commune-province")
    synthesize(3, out, level="commune")
    return out


@pytest.fixture
def make_file(tmp_path: Path):
    """make_file(name, document=None, layout=Layout()) -> the written path."""

    def _make(name: str, doc: Document | None = None, layout: Layout | None = None) -> Path:
        return write(tmp_path / name, doc or document(), layout or Layout())

    return _make


def write_province(root: Path, districts: int = 6, seed: int = 7) -> Path:
    """A project folder holding the real Thường Xuân table and ``districts`` synthetic
    district tables (DỮ LIỆU MÔ PHỎNG) written with :mod:`bakhong.synth.template`; returns root.

    Stands in for ``bakhong synth`` (issue 3) in tests that need several units.
    """
    import random
    import shutil

    from bakhong.vocab import units

    tables = root / "data" / "raw" / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    shutil.copy(THUONG_XUAN, tables / THUONG_XUAN.name)
    rng = random.Random(seed)
    for unit in units.districts()[:districts]:
        cells = {}
        for indicator in load_catalog():
            after = round(rng.uniform(0.55, 1.0), 3)
            cells[indicator.code] = {"before": round(after * rng.uniform(0.3, 0.8), 3),
                                     "after": after}
        document = Document(unit_title=f"UBND {unit.kind} {unit.name}", period="2024",
                            cells=cells, synthetic=True)
        write(root / "data" / "raw" / "synthetic" / f"{unit.code}-{unit.slug}-2024.xlsx",
              document)
    return root
