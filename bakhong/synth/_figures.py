"""The synthetic figures of a province: each unit's made-up population and its before and after
value of every indicator (lower in the highland districts), tamed so that only planted
defects stand out. DỮ LIỆU MÔ PHỎNG.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from ..checks import expected_units, modified_z
from ..errors import UsageError
from ..vocab import units as units_mod
from ..vocab.catalog import Catalog
from ..vocab.parse import parse_value
from .template import Layout

#: The seven highland districts whose figures run lower on average (issue 3).
HIGHLAND = ("384", "385", "386", "387", "388", "396", "402")
#: After-rollout rate of each indicator: centre, half-width of the uniform spread, and how
#: much lower a highland district sits (other mountain districts: 40% of that). A uniform
#: spread with the shift no wider than the spread never gives a modified z-score above 3.5,
#: so a clean province has no outlier by construction.
PROFILE: dict[str, tuple[float, float, float]] = {
    "TC05": (0.93, 0.04, 0.04), "TC06": (0.84, 0.08, 0.08), "TC07": (0.80, 0.08, 0.08),
    "TC08": (0.86, 0.07, 0.07), "TC09": (0.47, 0.10, 0.10), "TC10": (0.86, 0.08, 0.06),
    "TC11": (0.83, 0.08, 0.08), "TC12": (0.84, 0.08, 0.06), "TC13": (0.80, 0.08, 0.08),
    "TC14": (0.80, 0.08, 0.08), "TC15": (0.66, 0.10, 0.10),
    "K1": (0.90, 0.05, 0.04), "K2": (0.85, 0.07, 0.07), "K3": (0.97, 0.02, 0.02),
}
#: Shares of a unit's residents each population counts (synthetic, plausible for Vietnam).
SHARE = {"residents": 1.0, "aged15": 0.76, "adults": 0.70, "households": 1 / 3.9,
         "subscribers": 0.62, "businesses": 1 / 160}
#: Indicators that take part in a related pair or in the population groups checks compare:
#: defects that move a single value stay off them, so each defect shows as its own rule.
PAIRED = ("TC06", "TC08", "TC09", "TC14")


@dataclass
class _Unit:
    unit: units_mod.Unit
    population: int
    officials: int
    sites: int
    rank: float                        # 0 lowland, 0.4 other mountain, 1 highland
    after: dict[str, float]
    before: dict[str, float]
    style: dict[str, str]               # indicator -> how its after cell is written
    layout_name: str = ""
    layout: Layout = field(default_factory=Layout)
    suffix: str = ".xlsx"
    override: dict[str, dict[str, Any]] | None = None   # cells written as given
    dropped: tuple[str, ...] = ()
    role: str = ""                      # an exclusive defect: absent, load_error, …

    def size(self, population: str) -> int:
        if population == "officials":
            return self.officials
        if population == "sites":
            return self.sites
        if population == "documents":
            return self.officials * 40
        if population == "dossiers":
            return self.officials * 25
        return max(1, round(self.population * SHARE[population]))


def _population(unit: units_mod.Unit, rng: random.Random) -> int:
    cited = units_mod.populations().get(unit.code)
    if cited is not None:      # a little growth since the census, never beyond +10%
        return round(cited.population * rng.uniform(1.0, 1.05))
    if unit.level == "commune":
        return round(rng.uniform(4_000, 16_000))
    if unit.code in HIGHLAND:
        return round(rng.uniform(45_000, 130_000))
    if unit.kind in ("thành phố", "thị xã"):
        return round(rng.uniform(120_000, 420_000))
    if unit.mountain:
        return round(rng.uniform(90_000, 190_000))
    return round(rng.uniform(130_000, 260_000))


def _rank(unit: units_mod.Unit) -> float:
    if unit.new:  # a 2025 commune lies where its predecessors' districts lay
        parents = {units_mod.parent_code(c, "2024") for c in unit.predecessors}
        if parents & set(HIGHLAND):
            return 1.0
        mountain = {d.code for d in units_mod.districts() if d.mountain}
        return 0.4 if parents & mountain else 0.0
    code = unit.parent_code if unit.level == "commune" else unit.code
    if code in HIGHLAND:
        return 1.0
    return 0.4 if unit.mountain else 0.0


def _r3(x: float) -> float:
    return round(min(max(x, 0.0), 1.0), 3)


def _values(rank: float, catalog: Catalog, rng: random.Random
            ) -> tuple[dict[str, float], dict[str, float]]:
    after: dict[str, float] = {}
    before: dict[str, float] = {}
    for indicator in catalog:
        code = indicator.code
        if code in PROFILE:
            centre, width, shift = PROFILE[code]
            after[code] = _r3(centre - shift * rank + rng.uniform(-width, width))
            before[code] = _r3(after[code] * rng.uniform(0.45, 0.75))
        else:           # the government criteria with a 100% target: reached everywhere
            after[code] = 1.0
            before[code] = _r3(rng.uniform(0.45, 0.8))
    for smaller, larger in (("TC14", "TC08"), ("TC09", "TC06")):
        for phase in (after, before):
            phase[smaller] = _r3(min(phase[smaller], phase[larger] - rng.uniform(0.01, 0.05)))
    return after, before


def _seen(u: _Unit, phase: str, code: str) -> float | None:
    """The value the checks will read from a cell: an injected cell as written; None when
    it is blank, unreadable or impossible (> 100%), as the outlier check leaves those out."""
    if code in u.dropped:
        return None
    cells = (u.override or {}).get(code, {})
    if phase in cells:
        parsed = parse_value(cells[phase])
        value = parsed.value if parsed.ok else None
    else:
        value = getattr(u, phase)[code]
    return value if value is not None and value <= 1 else None


def _tame(pool: list[_Unit], frozen: frozenset[tuple[str, str, str]] = frozenset(),
          limit: float = 2.6) -> None:
    """Pull any clean value whose modified z-score passes ``limit`` back inside it, keeping
    before < after and the related pairs in order, so a clean cell is never an outlier.
    ``frozen`` holds the (unit, phase, indicator) cells a defect was injected into."""
    import statistics

    def free(u: _Unit, phase: str, code: str) -> bool:
        return (u.unit.code, phase, code) not in frozen

    for _ in range(12):
        moved = False
        for phase in ("after", "before"):
            for code in PROFILE:
                members = [u for u in pool if _seen(u, phase, code) is not None]
                values = [_seen(u, phase, code) for u in members]
                scores = modified_z(values)
                if scores is None:
                    continue
                median = statistics.median(values)
                mad = statistics.median(abs(x - median) for x in values)
                if mad <= 1e-9:
                    continue
                for u, score in zip(members, scores, strict=True):
                    if abs(score) > limit and free(u, phase, code):
                        sign = 1 if score > 0 else -1
                        getattr(u, phase)[code] = _r3(median + sign * 0.8 * limit * mad / 0.6745)
                        moved = True
        for u in pool:
            for code in PROFILE:
                if u.before[code] > u.after[code] - 0.02 and free(u, "before", code) \
                        and free(u, "after", code):
                    u.before[code] = _r3(u.after[code] - 0.02)
                    moved = True
            for smaller, larger in (("TC14", "TC08"), ("TC09", "TC06")):
                for phase in ("after", "before"):
                    values = getattr(u, phase)
                    if values[smaller] > values[larger] - 0.01 and free(u, phase, smaller) \
                            and free(u, phase, larger):
                        values[smaller] = _r3(values[larger] - 0.01)
                        moved = True
        if not moved:
            return


def file_name(unit: units_mod.Unit, period: str, suffix: str = ".xlsx", extra: str = "") -> str:
    """``<gso-code>-<slug>-<period>.<ext>``, e.g. ``396-thuong-xuan-2024.xlsx``."""
    return f"{unit.code}-{unit.slug}-{period}{extra}{suffix}"


def _units_of(level: str, period: str) -> list[units_mod.Unit]:
    if units_mod.new_era(period):
        # from 2025 on the district level is gone: the 166 communes and wards of 1 July 2025
        # (real units, synthetic figures — every file says DỮ LIỆU MÔ PHỎNG)
        return [u for u in units_mod.units() if u.new and u.alive(period)]
    districts = list(expected_units(period))
    if level == "district":
        return districts
    if level == "commune":
        return [units_mod.synthetic_commune(d.code, n) for d in districts
                for n in range(1, (d.communes or 1) + 1)]
    raise UsageError(f"cấp không hợp lệ: {level} (chọn district hoặc commune)")
