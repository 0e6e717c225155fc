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
"""

from __future__ import annotations

import json
import random
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import config
from ..checks import expected_units, modified_z
from ..errors import UsageError
from ..vocab import rules as fnd
from ..vocab import units as units_mod
from ..vocab.catalog import Catalog, load_catalog
from ..vocab.parse import format_int, parse_value
from .template import SYNTHETIC_TITLE, Document, Layout, percent_text, write

GROUND_TRUTH = "ground_truth.json"

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

ERRORS = (("ratio_over_100", 2), ("stated_mismatch", 2), ("swapped_ratio", 2),
          ("denominator_inconsistent", 2), ("denominator_implausible", 1), ("duplicate", 1),
          ("load_error", 1), ("unknown_unit", 1))
WARNINGS = (("outlier", 2), ("regression", 2), ("related_inconsistent", 1),
            ("incomplete_unit", 2), ("missing", 1), ("unparseable", 1), ("target_mismatch", 1))

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
UNPARSEABLE = ("đang cập nhật", "Đạt", "chưa thống kê", "Đã triển khai")


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
    kind = u.unit.kind if u.unit.level != "commune" else "xã"
    title = f"UBND {kind} {u.unit.name}"
    if u.unit.level == "commune":
        parent = units_mod.by_code(u.unit.parent_code)
        title = f"UBND xã {u.unit.name.split(' – ')[0]} – {parent.kind} {parent.name}"
    return Document(unit_title=title, period=period, cells=cells, synthetic=True)


def file_name(unit: units_mod.Unit, period: str, suffix: str = ".xlsx", extra: str = "") -> str:
    """``<gso-code>-<slug>-<period>.<ext>``, e.g. ``396-thuong-xuan-2024.xlsx``."""
    return f"{unit.code}-{unit.slug}-{period}{extra}{suffix}"


def _units_of(level: str, period: str) -> list[units_mod.Unit]:
    districts = list(expected_units(period))
    if level == "district":
        return districts
    if level == "commune":
        return [units_mod.synthetic_commune(d.code, n) for d in districts
                for n in range(1, (d.communes or 1) + 1)]
    raise UsageError(f"cấp không hợp lệ: {level} (chọn district hoặc commune)")


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


def _inject(inj: _Injector, rule: str) -> None:
    rng, cat = inj.rng, inj.catalog
    single = tuple(c for c in PROFILE if c.startswith("TC") and c not in PAIRED)

    def calm(u: _Unit, code: str, value: float | None = None) -> bool:
        """A cell whose value sits well inside the others', so a defect that keeps (or
        shifts) it stays one defect, not also an outlier."""
        value = u.after[code] if value is None else value
        return not _stands_out(value, inj.others(code, "after", u), 1.8)

    countable = tuple(c for c in PROFILE if c.startswith("TC"))
    if rule in ("load_error", "duplicate", "unknown_unit", "incomplete_unit_absent",
                "incomplete_unit"):
        u, _ = inj.pick(("*",), exclusive=True)
        u.role = rule
        if rule in ("load_error", "incomplete_unit_absent"):
            inj.frozen.update((u.unit.code, p, c) for p in ("after", "before") for c in PROFILE)
        if rule == "load_error":
            inj.record(u, rule, detail="tệp .xlsx thực ra là một trang HTML")
        elif rule == "incomplete_unit_absent":
            inj.record(u, "incomplete_unit", detail="đơn vị không gửi báo cáo", file="")
        elif rule == "incomplete_unit":
            u.dropped = tuple(rng.sample(single, 3))
            inj.record(u, rule, detail="thiếu các dòng " + ", ".join(sorted(u.dropped)))
        elif rule == "duplicate":
            code = rng.choice(single)
            second = dict(u.after)
            second[code] = _r3(second[code] + rng.choice((-0.03, 0.03)))
            inj.record(u, rule, code, "after",
                       detail=f"gửi hai tệp; {code} sau triển khai khác nhau")
        else:  # unknown_unit: the same (clean) table sent again with a misspelt unit name
            inj.record(None, rule, detail=f"tên đơn vị viết sai: {u.unit.name}",
                       file=f"bao-cao-3-khong-{inj.period}.xlsx", unit_code="")
        return
    if rule == "ratio_over_100":
        u, code = inj.pick(countable, accept=lambda u, c: u.after[c] < 0.99)
        factor = rng.uniform(1.08, 1.3)
        if rng.random() < 0.5:
            u.style[code] = "ratio"
            u.after[code] = round(factor, 3)
            inj.freeze(u, code)
        else:
            inj.override(u, code, after=percent_text(round(factor, 3), 1))
            u.after[code] = round(factor, 3)
        inj.record(u, rule, code, "after", detail=f"tỷ lệ {factor:.0%}")
    elif rule == "stated_mismatch":
        shift = rng.choice((-0.07, 0.07))
        u, code = inj.pick(single, accept=lambda u, c: 0.2 < u.after[c] < 0.9 and calm(
            u, c, u.after[c] + shift))
        size = u.size(cat[code].population)
        text = _ratio_text(u.after[code], size, stated=_r3(u.after[code] + shift))
        inj.override(u, code, after=text)
        inj.record(u, rule, code, "after", detail=text)
    elif rule == "swapped_ratio":
        u, code = inj.pick(countable, accept=lambda u, c: u.after[c] < 0.97 and calm(u, c))
        text = _ratio_text(u.after[code], u.size(cat[code].population), swapped=True)
        inj.override(u, code, after=text)
        inj.record(u, rule, code, "after", detail=text)
    elif rule in ("denominator_inconsistent", "denominator_implausible"):
        cited = units_mod.populations()
        province = cited["38"].population if "38" in cited else 3_640_128

        def fits(u: _Unit, c: str) -> bool:
            has = u.unit.code in cited
            if rule == "denominator_implausible":
                return has or u.unit.level == "commune" or not any(
                    v.unit.code in cited and not v.role for v in inj.free(False))
            return not has and u.population * 3 < province and calm(u, c)

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
    elif rule == "outlier":
        u, code = inj.pick(("TC01", "TC02", "TC03", "TC04", "TC16"))
        u.after[code] = _r3(rng.uniform(0.55, 0.75))
        u.before[code] = _r3(u.after[code] * rng.uniform(0.6, 0.8))
        inj.freeze(u, code, "after")
        inj.record(u, rule, code, "after", detail=f"{u.after[code]:.1%} khi các đơn vị khác 100%")
    elif rule == "regression":
        def low(u: _Unit, c: str) -> bool:
            others = inj.others(c, "after", u)
            new = _r3(u.after[c] + 0.04)
            return u.after[c] <= sorted(others)[len(others) // 3] and \
                not _stands_out(new, inj.others(c, "before", u))

        u, code = inj.pick(single, accept=low)
        u.before[code] = _r3(u.after[code] + rng.uniform(0.02, 0.05))
        inj.freeze(u, code)
        inj.record(u, rule, code, "after",
                   detail=f"trước {u.before[code]:.1%}, sau {u.after[code]:.1%}")
    elif rule == "related_inconsistent":
        def close(u: _Unit, c: str) -> bool:
            new = _r3(u.after["TC08"] + 0.04)
            return new <= 0.99 and not _stands_out(new, inj.others("TC14", "after", u), 2.5)

        u, code = inj.pick(("TC14",), accept=close)
        u.after["TC14"] = _r3(u.after["TC08"] + rng.uniform(0.035, 0.05))
        u.style["TC14"] = u.style["TC08"] = "pct"       # rates, so counts cannot reconcile
        inj.used[u.unit.code].add("TC08")
        inj.freeze(u, "TC14", "after")
        inj.freeze(u, "TC08", "after")
        inj.record(u, rule, "TC14", "after",
                   detail=f"TC14 {u.after['TC14']:.1%} > TC08 {u.after['TC08']:.1%}")
    elif rule == "missing":
        u, code = inj.pick(single)
        inj.override(u, code, after=None)
        inj.record(u, rule, code, "after", detail="ô sau triển khai để trống")
    elif rule == "unparseable":
        u, code = inj.pick(single)
        text = rng.choice(UNPARSEABLE)
        inj.override(u, code, after=text)
        inj.record(u, rule, code, "after", detail=text)
    elif rule == "target_mismatch":
        u, code = inj.pick(("TC09", "TC15"), accept=lambda u, c: "target" in u.layout.columns)
        text = "80% trở lên" if code == "TC09" else "80%"
        inj.override(u, code, target=text)
        inj.record(u, rule, code, "after", detail=f"chỉ tiêu giao ghi {text}")
    else:
        raise ValueError(rule)


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
            title = f"UBND huyện {name_typo}" if u.unit.level != "commune" else \
                f"UBND xã Mô phỏng – huyện {_misspell(units_mod.by_code(u.unit.parent_code).name)}"
            extra = f"bao-cao-3-khong-{period}.xlsx"
            write(out / extra, Document(title, period, doc.cells, synthetic=True), Layout())
            add(extra, None, "mẫu chuẩn", "misspelt unit name")
    return files


def _misspell(name: str) -> str:
    """"Quảng Xương" → "Quảng Xươngg": a typo no unit name matches."""
    text = unicodedata.normalize("NFC", name)
    return text + text[-1]


def _key(row: dict[str, Any]) -> tuple[str, str, str, str]:
    return (row["rule"], row["unit_code"] or "", row["indicator"] or "", row["phase"] or "")


def score(findings: Any, truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Recall and precision of the checks, per rule, against a ground truth.

    A finding is a true positive when a defect of its rule sits on the same unit, indicator
    and phase; results (``info``: ``below_target``) are not scored. Returns one row per rule
    that was injected or found: rule, severity, injected, recalled, findings, correct,
    recall, precision (None when there is nothing to divide by).
    """
    expected = {_key(d) for d in truth["defects"]}
    rows = [r for r in findings.iter_rows(named=True) if r["severity"] != "info"]
    found_keys = {_key(r) for r in rows}
    severity = {name: rule.severity for name, rule in fnd.rules().items()}
    out = []
    for rule in fnd.RULE_NAMES:
        injected = {k for k in expected if k[0] == rule}
        hits = [r for r in rows if r["rule"] == rule]
        if not injected and not hits:
            continue
        recalled = len(injected & found_keys)
        correct = sum(_key(r) in expected for r in hits)
        out.append({
            "rule": rule, "severity": severity.get(rule, ""), "injected": len(injected),
            "recalled": recalled, "findings": len(hits), "correct": correct,
            "recall": recalled / len(injected) if injected else None,
            "precision": correct / len(hits) if hits else None,
        })
    return out


def totals(scores: list[dict[str, Any]], severity: str | None = None) -> dict[str, Any]:
    """Recall and precision over every rule (of one severity)."""
    rows = [r for r in scores if severity is None or r["severity"] == severity]
    injected = sum(r["injected"] for r in rows)
    found = sum(r["findings"] for r in rows)
    return {
        "injected": injected, "recalled": sum(r["recalled"] for r in rows),
        "findings": found, "correct": sum(r["correct"] for r in rows),
        "recall": sum(r["recalled"] for r in rows) / injected if injected else None,
        "precision": sum(r["correct"] for r in rows) / found if found else None,
    }
