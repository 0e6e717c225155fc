"""The defects planted in a synthetic province, one function per rule: which unit and cell
each goes to, what is written there, and the ground-truth record of it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from ..checks import modified_z
from ..vocab import rules as fnd
from ..vocab import units as units_mod
from ..vocab.catalog import Catalog
from ._cells import _ratio_text
from ._figures import PAIRED, PROFILE, _r3, _Unit, file_name
from .template import percent_text

ERRORS = (("ratio_over_100", 2), ("stated_mismatch", 2), ("swapped_ratio", 2),
          ("denominator_inconsistent", 2), ("denominator_implausible", 1), ("duplicate", 1),
          ("load_error", 1), ("unknown_unit", 1))
WARNINGS = (("outlier", 2), ("regression", 2), ("related_inconsistent", 1),
            ("incomplete_unit", 2), ("missing", 1), ("unparseable", 1), ("target_mismatch", 1))
UNPARSEABLE = ("đang cập nhật", "Đạt", "chưa thống kê", "Đã triển khai")


def _stands_out(value: float, others: list[float], limit: float = 3.0) -> bool:
    scores = modified_z([*others, value])
    return scores is not None and abs(scores[-1]) > limit


class _Injector:
    """Chooses units and cells for each defect and records it."""

    def __init__(self, pool: list[_Unit], catalog: Catalog, period: str,
                 rng: random.Random) -> None:
        self.pool, self.catalog, self.period, self.rng = pool, catalog, period, rng
        self.defects: list[dict[str, Any]] = []
        self.used: dict[str, set[str]] = {}
        self.frozen: set[tuple[str, str, str]] = set()

    def record(self, u: _Unit | None, rule: str, indicator: str = "", phase: str = "",
               detail: str = "", file: str = "", unit_code: str | None = None) -> None:
        self.defects.append({
            "unit_code": u.unit.code if unit_code is None and u else (unit_code or ""),
            "unit_name": u.unit.name if u else "", "period": self.period,
            "indicator": indicator, "phase": phase, "rule": rule,
            "severity": fnd.rules()[rule].severity,
            "file": file or (file_name(u.unit, self.period, u.suffix) if u else ""),
            "detail": detail})

    def free(self, exclusive: bool) -> list[_Unit]:
        return [u for u in self.pool if not u.role and (not exclusive or u.unit.code
                                                        not in self.used)]

    def pick(self, codes: tuple[str, ...], exclusive: bool = False,
             accept=lambda u, c: True) -> tuple[_Unit, str]:
        free = self.free(exclusive)
        # defects cluster on a minority of units, as in real data; else anywhere they fit
        for units in (free if exclusive else free[: max(8, len(free) // 3)], free):
            choices = [(u, c) for u in units for c in codes
                       if c not in self.used.get(u.unit.code, set()) and accept(u, c)]
            if choices:
                break
        else:
            raise RuntimeError(f"no unit left for a defect on {codes}")
        u, code = self.rng.choice(choices)
        self.used.setdefault(u.unit.code, set()).add(code)
        if exclusive:
            self.used[u.unit.code].add("*")
        return u, code

    def freeze(self, u: _Unit, code: str, *phases: str) -> None:
        for phase in phases or ("after", "before"):
            self.frozen.add((u.unit.code, phase, code))

    def override(self, u: _Unit, code: str, **cells: Any) -> None:
        self.freeze(u, code)
        u.override = u.override or {}
        u.override.setdefault(code, {}).update(cells)

    def others(self, code: str, phase: str, u: _Unit) -> list[float]:
        return [(v.after if phase == "after" else v.before)[code] for v in self.pool
                if v is not u and not v.role and code not in v.dropped]


SINGLE = tuple(c for c in PROFILE if c.startswith("TC") and c not in PAIRED)
COUNTABLE = tuple(c for c in PROFILE if c.startswith("TC"))


def _calm(inj: _Injector, u: _Unit, code: str, value: float | None = None) -> bool:
    """A cell whose value sits well inside the others', so a defect that keeps (or shifts)
    it stays one defect, not also an outlier."""
    value = u.after[code] if value is None else value
    return not _stands_out(value, inj.others(code, "after", u), 1.8)


def _unit_defect(inj: _Injector, rule: str) -> None:
    """A defect of a whole unit: its file unreadable, sent twice, misnamed, absent or short
    of rows. The unit gets the role and no other defect."""
    rng = inj.rng
    u, _ = inj.pick(("*",), exclusive=True)
    u.role = rule
    if rule in ("load_error", "incomplete_unit_absent"):
        inj.frozen.update((u.unit.code, p, c) for p in ("after", "before") for c in PROFILE)
    if rule == "load_error":
        inj.record(u, rule, detail="tệp .xlsx thực ra là một trang HTML")
    elif rule == "incomplete_unit_absent":
        inj.record(u, "incomplete_unit", detail="đơn vị không gửi báo cáo", file="")
    elif rule == "incomplete_unit":
        u.dropped = tuple(rng.sample(SINGLE, 3))
        inj.record(u, rule, detail="thiếu các dòng " + ", ".join(sorted(u.dropped)))
    elif rule == "duplicate":
        code = rng.choice(SINGLE)
        rng.choice((-0.03, 0.03))  # drawn still, so that a seed writes the files it always did
        inj.record(u, rule, code, "after",
                   detail=f"gửi hai tệp; {code} sau triển khai khác nhau")
    else:  # unknown_unit: the same (clean) table sent again with a misspelt unit name
        inj.record(None, rule, detail=f"tên đơn vị viết sai: {u.unit.name}",
                   file=f"bao-cao-3-khong-{inj.period}.xlsx", unit_code="")


def _ratio_over_100(inj: _Injector, rule: str) -> None:
    """A rate above 100%, written as a ratio or as a percentage."""
    rng = inj.rng
    u, code = inj.pick(COUNTABLE, accept=lambda u, c: u.after[c] < 0.99)
    factor = rng.uniform(1.08, 1.3)
    if rng.random() < 0.5:
        u.style[code] = "ratio"
        u.after[code] = round(factor, 3)
        inj.freeze(u, code)
    else:
        inj.override(u, code, after=percent_text(round(factor, 3), 1))
        u.after[code] = round(factor, 3)
    inj.record(u, rule, code, "after", detail=f"tỷ lệ {factor:.0%}")


def _stated_mismatch(inj: _Injector, rule: str) -> None:
    """A ratio whose stated percentage is 7 points off its count."""
    rng, cat = inj.rng, inj.catalog
    shift = rng.choice((-0.07, 0.07))
    u, code = inj.pick(SINGLE, accept=lambda u, c: 0.2 < u.after[c] < 0.9 and _calm(
        inj, u, c, u.after[c] + shift))
    size = u.size(cat[code].population)
    text = _ratio_text(u.after[code], size, stated=_r3(u.after[code] + shift))
    inj.override(u, code, after=text)
    inj.record(u, rule, code, "after", detail=text)


def _swapped_ratio(inj: _Injector, rule: str) -> None:
    """A ratio written denominator first."""
    cat = inj.catalog
    u, code = inj.pick(COUNTABLE, accept=lambda u, c: u.after[c] < 0.97 and _calm(inj, u, c))
    text = _ratio_text(u.after[code], u.size(cat[code].population), swapped=True)
    inj.override(u, code, after=text)
    inj.record(u, rule, code, "after", detail=text)


def _denominator(inj: _Injector, rule: str) -> None:
    """A residents' denominator that the unit's other figures or its census contradict."""
    rng = inj.rng
    cited = units_mod.populations()
    province = cited["38"].population if "38" in cited else 3_640_128

    def fits(u: _Unit, c: str) -> bool:
        has = u.unit.code in cited
        if rule == "denominator_implausible":
            return has or u.unit.level == "commune" or not any(
                v.unit.code in cited and not v.role for v in inj.free(False))
        return not has and u.population * 3 < province and _calm(inj, u, c)

    u, code = inj.pick(("TC08",), accept=fits)
    for member in ("TC08", "TC10", "TC11"):          # the residents group, as ratios
        u.style[member] = "ratio"
        inj.used.setdefault(u.unit.code, set()).add(member)
    if rule == "denominator_inconsistent":
        size = round(u.population * rng.uniform(3, min(10, province / u.population * 0.9)))
    else:
        reference = cited.get(u.unit.code)
        base = reference.population if reference else province
        size = round(base * rng.uniform(1.3, 2.0))
    text = _ratio_text(u.after[code], size)
    inj.override(u, code, after=text)
    inj.record(u, "denominator_inconsistent", code, "after", detail=text)
    if rule == "denominator_implausible":
        inj.record(u, rule, code, "after", detail=text)


def _outlier(inj: _Injector, rule: str) -> None:
    """A value far below every other unit's."""
    rng = inj.rng
    u, code = inj.pick(("TC01", "TC02", "TC03", "TC04", "TC16"))
    u.after[code] = _r3(rng.uniform(0.55, 0.75))
    u.before[code] = _r3(u.after[code] * rng.uniform(0.6, 0.8))
    inj.freeze(u, code, "after")
    inj.record(u, rule, code, "after", detail=f"{u.after[code]:.1%} khi các đơn vị khác 100%")


def _regression(inj: _Injector, rule: str) -> None:
    """An "after" figure below the "before" one."""
    rng = inj.rng
    def low(u: _Unit, c: str) -> bool:
        others = inj.others(c, "after", u)
        new = _r3(u.after[c] + 0.04)
        return u.after[c] <= sorted(others)[len(others) // 3] and \
            not _stands_out(new, inj.others(c, "before", u))

    u, code = inj.pick(SINGLE, accept=low)
    u.before[code] = _r3(u.after[code] + rng.uniform(0.02, 0.05))
    inj.freeze(u, code)
    inj.record(u, rule, code, "after",
               detail=f"trước {u.before[code]:.1%}, sau {u.after[code]:.1%}")


def _related_inconsistent(inj: _Injector, rule: str) -> None:
    """TC14 (online payment) above TC08 (VNeID), which it cannot exceed."""
    rng = inj.rng
    def close(u: _Unit, c: str) -> bool:
        new = _r3(u.after["TC08"] + 0.04)
        return new <= 0.99 and not _stands_out(new, inj.others("TC14", "after", u), 2.5)

    u, _ = inj.pick(("TC14",), accept=close)
    u.after["TC14"] = _r3(u.after["TC08"] + rng.uniform(0.035, 0.05))
    u.style["TC14"] = u.style["TC08"] = "pct"       # rates, so counts cannot reconcile
    inj.used[u.unit.code].add("TC08")
    inj.freeze(u, "TC14", "after")
    inj.freeze(u, "TC08", "after")
    inj.record(u, rule, "TC14", "after",
               detail=f"TC14 {u.after['TC14']:.1%} > TC08 {u.after['TC08']:.1%}")


def _missing(inj: _Injector, rule: str) -> None:
    """An empty "after" cell."""
    u, code = inj.pick(SINGLE)
    inj.override(u, code, after=None)
    inj.record(u, rule, code, "after", detail="ô sau triển khai để trống")


def _unparseable(inj: _Injector, rule: str) -> None:
    """An "after" cell holding words, not a figure."""
    rng = inj.rng
    u, code = inj.pick(SINGLE)
    text = rng.choice(UNPARSEABLE)
    inj.override(u, code, after=text)
    inj.record(u, rule, code, "after", detail=text)


def _target_mismatch(inj: _Injector, rule: str) -> None:
    """A target other than the plan's."""
    u, code = inj.pick(("TC09", "TC15"), accept=lambda u, c: "target" in u.layout.columns)
    text = "80% trở lên" if code == "TC09" else "80%"
    inj.override(u, code, target=text)
    inj.record(u, rule, code, "after", detail=f"chỉ tiêu giao ghi {text}")


_INJECT: dict[str, Callable[[_Injector, str], None]] = {
    **dict.fromkeys(("load_error", "duplicate", "unknown_unit", "incomplete_unit_absent",
                     "incomplete_unit"), _unit_defect),
    "ratio_over_100": _ratio_over_100, "stated_mismatch": _stated_mismatch,
    "swapped_ratio": _swapped_ratio, "denominator_inconsistent": _denominator,
    "denominator_implausible": _denominator, "outlier": _outlier, "regression": _regression,
    "related_inconsistent": _related_inconsistent, "missing": _missing,
    "unparseable": _unparseable, "target_mismatch": _target_mismatch,
}


def _inject(inj: _Injector, rule: str) -> None:
    """Plant one defect of ``rule``, recorded in the ground truth."""
    if rule not in _INJECT:
        raise ValueError(rule)
    _INJECT[rule](inj, rule)
