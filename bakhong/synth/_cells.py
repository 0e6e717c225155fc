"""A synthetic unit's figures written as districts write them: the layouts, a rate as a
percentage or a ratio, targets, the template document of a unit. DỮ LIỆU MÔ PHỎNG.
"""

from __future__ import annotations

import random
from typing import Any

from ..vocab import units as units_mod
from ..vocab.catalog import Catalog
from ..vocab.parse import format_int
from ._figures import _Unit
from .template import Document, Layout, percent_text

XLSX_LAYOUTS = (
    ("mẫu chuẩn", Layout()),
    ("tiêu đề không dấu", Layout(diacritics=False)),
    ("cột xáo trộn", Layout(columns=("label", "after", "before", "target", "stt", "evidence"))),
    ("không có cột STT", Layout(columns=("label", "target", "before", "after"))),
    ("tiêu đề một dòng", Layout(two_row_header=False, group_rows=False)),
    ("tên đơn vị ở dòng tiêu đề", Layout(unit_cell=False)),
    ("chữ tổ hợp NFD (máy Mac)", Layout(nfd=True)),
    ("không có chân ký", Layout(footer=False, sheet="Sheet1")),
)
CSV_LAYOUTS = (
    ("CSV ; dấu phẩy thập phân", Layout(csv_delimiter=";", decimal_comma=True)),
    ("CSV , không BOM", Layout(csv_delimiter=",", csv_bom=False, two_row_header=False)),
    ("CSV tab, không dấu", Layout(csv_delimiter="\t", diacritics=False)),
)


def _ratio_text(value: float, denominator: int, swapped: bool = False,
                stated: float | None = None) -> str:
    numerator = round(value * denominator)
    percent = (stated if stated is not None else numerator / denominator) * 100
    a, b = (denominator, numerator) if swapped else (numerator, denominator)
    return f"= {format_int(a)}/{format_int(b)} = " + f"{percent:.2f}".replace(".", ",") + "%"


def _ratio_value(value: float, denominator: int, stated: float | None = None) -> float:
    """The value the loader reads from :func:`_ratio_text`: the stated percentage."""
    numerator = round(value * denominator)
    percent = (stated if stated is not None else numerator / denominator) * 100
    return round(float(f"{percent:.2f}") / 100, 10)


def _cell(u: _Unit, code: str, phase: str, catalog: Catalog) -> Any:
    value = (u.after if phase == "after" else u.before)[code]
    style = u.style.get(code, "pct") if phase == "after" else u.style.get("_before", "pct")
    comma = u.layout.decimal_comma or u.suffix == ".xlsx"
    if style == "ratio" and phase == "after":
        return _ratio_text(value, u.size(catalog[code].population))
    if style == "float":
        return float(value)
    if style == "bare" and value >= 0.02:
        text = f"{value * 100:.1f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if comma else text
    if style == "over" and phase == "after" and 0.05 < value < 1:
        return f"trên {int(value * 100)}%"
    return percent_text(value, 1, comma)


def _target_text(code: str, catalog: Catalog, rng: random.Random) -> Any:
    target = catalog[code].target
    if target is None:
        return None
    pct = round(target * 100)
    return rng.choice((f"{pct}% trở lên", f"{pct}%", f"Từ {pct}% trở lên", f"≥ {pct}%"))


def _document(u: _Unit, catalog: Catalog, period: str, rng: random.Random) -> Document:
    cells: dict[str, dict[str, Any]] = {}
    for indicator in catalog:
        code = indicator.code
        if code in u.dropped:
            continue
        cell: dict[str, Any] = {"before": _cell(u, code, "before", catalog),
                                "after": _cell(u, code, "after", catalog)}
        target = _target_text(code, catalog, rng)
        if target is not None:
            cell["target"] = target
        cell["evidence"] = rng.choice(("Báo cáo của các xã", "Danh sách kèm theo",
                                       "Số liệu hệ thống", ""))
        cells[code] = {**cell, **((u.override or {}).get(code, {}))}
    kind = u.unit.kind if u.unit.level != "commune" or u.unit.new else "xã"
    title = f"UBND {kind} {u.unit.name}"
    if u.unit.level == "commune":
        parent = units_mod.by_code(u.unit.parent_code)
        title = f"UBND {kind} {u.unit.name.split(' – ')[0]} – {parent.kind} {parent.name}"
    return Document(unit_title=title, period=period, cells=cells, synthetic=True)
