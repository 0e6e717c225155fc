"""Thanh Hóa's units as vietnamadminunits (MIT, PyPI 1.0.4) carries them: the pre-reform
districts and communes, the 166 communes and wards of 1 July 2025, and the crosswalk.

The library's data files are read directly — ``data/dataset.db`` (SQLite: table
``admin_units_legacy`` for the pre-reform units, ``admin_units`` for the new ones) and
``data/converter_2025.json`` (for each new unit the old ones merged into it; for each old
commune split across new ones, every part) — without importing its code, whose parser and
geocoder pull in shapely and geopy. Its pre-reform list is the state after Đông Sơn's merger
into TP Thanh Hóa (1 January 2025): 26 districts and 547 communes for Thanh Hóa.
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

PROVINCE_CODE = "38"
PROVINCE_KEY = "tinhthanhhoa"
SOURCE = "vietnamadminunits 1.0.4"
#: the day the district level ended and the 166 new communes and wards began
REFORM = "2025-07-01"


@dataclass(frozen=True)
class Row:
    """One unit as the library lists it."""

    code: str
    name: str
    kind: str
    level: str
    parent_code: str
    key: str  # the library's key: "huyenthuongxuan_xaxuanthang" (old), "xathuongxuan" (new)
    new: bool


@dataclass(frozen=True)
class Crosswalk:
    """Old commune code → the new units it went into, and new → the old ones it took in."""

    successors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    predecessors: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _data_dir() -> Path:
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("vietnamadminunits is not installed (make venv)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@cache
def rows() -> tuple[Row, ...]:
    """Thanh Hóa's units in the library: old districts, old communes, new communes."""
    db = sqlite3.connect(f"file:{_data_dir() / 'dataset.db'}?mode=ro", uri=True)
    try:
        old = db.execute(
            "SELECT wardCode, wardShort, wardType, districtCode, districtShort, districtType, "
            "districtKey, wardKey FROM admin_units_legacy WHERE provinceCode = ? "
            "ORDER BY wardCode", (PROVINCE_CODE,)).fetchall()
        new = db.execute(
            "SELECT wardCode, wardShort, wardType, wardKey FROM admin_units "
            "WHERE provinceCode = ? ORDER BY wardCode", (PROVINCE_CODE,)).fetchall()
    finally:
        db.close()
    found: dict[str, Row] = {}
    for code, name, kind, d_code, d_name, d_kind, d_key, w_key in old:
        found.setdefault(f"d{d_code}", Row(d_code, d_name, d_kind.lower(), "district",
                                           PROVINCE_CODE, d_key, False))
        found[f"o{code}"] = Row(code, name, kind.lower(), "commune", d_code,
                                f"{d_key}_{w_key}", False)
    for code, name, kind, w_key in new:
        found[f"n{code}"] = Row(code, name, kind.lower(), "commune", PROVINCE_CODE, w_key, True)
    return tuple(found.values())


@cache
def crosswalk() -> Crosswalk:
    """Who became whom on 1 July 2025, by code."""
    data = json.loads((_data_dir() / "converter_2025.json").read_text(encoding="utf-8"))
    old_by_key = {r.key: r.code for r in rows() if not r.new and r.level == "commune"}
    new_by_key = {r.key: r.code for r in rows() if r.new}
    successors: dict[str, list[str]] = {}
    predecessors: dict[str, list[str]] = {}

    def link(old_key: str, new_key: str) -> None:
        old = old_by_key.get(old_key.removeprefix(f"{PROVINCE_KEY}_"))
        new = new_by_key.get(new_key)
        if old and new:
            successors.setdefault(old, []).append(new) if new not in successors.get(
                old, []) else None
            predecessors.setdefault(new, []).append(old) if old not in predecessors.get(
                new, []) else None

    for new_key, olds in data["DICT_PROVINCE_WARD_NO_DIVIDED"].get(PROVINCE_KEY, {}).items():
        for old_key in olds:
            link(old_key, new_key)
    for old_key, parts in data["DICT_PROVINCE_WARD_DIVIDED"].get(PROVINCE_KEY, {}).items():
        for part in parts:
            link(old_key, part["newWardKey"])
    return Crosswalk({k: tuple(v) for k, v in successors.items()},
                     {k: tuple(v) for k, v in predecessors.items()})
