"""Shared fixtures: files in the template written the way districts write them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bakhong.catalog import load_catalog
from bakhong.template import Document, Layout, write

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


@pytest.fixture
def make_file(tmp_path: Path):
    """make_file(name, document=None, layout=Layout()) -> the written path."""

    def _make(name: str, doc: Document | None = None, layout: Layout | None = None) -> Path:
        return write(tmp_path / name, doc or document(), layout or Layout())

    return _make
