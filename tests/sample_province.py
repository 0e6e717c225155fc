"""A small test province: a few synthetic districts written with ``bakhong.synth.template`` and the
real Thường Xuân table, until ``bakhong synth`` (issue 3) is on main."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from bakhong.synth.template import Document, Layout, write
from bakhong.vocab.catalog import load_catalog
from bakhong.vocab.units import districts

ROOT = Path(__file__).resolve().parents[1]
THUONG_XUAN = ROOT / "data" / "raw" / "tables" / "thuong-xuan-2024.xlsx"


def synthetic_document(unit_title: str, seed: int, period: str = "2024") -> Document:
    rng = random.Random(seed)
    cells: dict[str, dict] = {}
    for indicator in load_catalog():
        before = round(rng.uniform(0.1, 0.6), 3)
        after = round(min(1.0, before + rng.uniform(0.15, 0.6)), 3)
        cell: dict = {"before": before, "after": after}
        if indicator.target is not None:
            cell["target"] = f"{round(indicator.target * 100)}% trở lên"
        cells[indicator.code] = cell
    return Document(unit_title=unit_title, period=period, cells=cells, synthetic=True)


def write_province(folder: Path, n: int = 4, seed: int = 1, names: dict[str, str] | None = None,
                   ) -> list[str]:
    """Write ``n`` synthetic districts (plus Thường Xuân's real table) under ``folder``;
    return the GSO codes written. ``names`` overrides a unit title by code (for the
    escaping tests)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(THUONG_XUAN, folder / THUONG_XUAN.name)
    codes = ["396"]
    for i, unit in enumerate(u for u in districts() if u.code != "396"):
        if i >= n:
            break
        title = (names or {}).get(unit.code, f"UBND {unit.full_name.lower()}")
        doc = synthetic_document(title, seed * 1000 + i)
        write(folder / f"{unit.code}-{unit.slug}-2024.xlsx", doc, Layout())
        codes.append(unit.code)
    return codes
