"""Thanh Hóa's administrative units through time, keyed by GSO code, and name matching.

Two sources, each row saying which:

* **vietnamadminunits** (:mod:`bakhong.vocab._admin`): the 547 pre-reform communes with their
  districts, the 166 communes and wards of 1 July 2025 (``valid_from`` 2025-07-01) and the
  crosswalk between them (``predecessors`` / ``successors``, by code).
* **our table** (``_data/units.csv``): the province, the 27 district-level units of 2024 (GSO
  codes 380–407, no 383) with their commune counts and mountain flags — the library lacks
  Đông Sơn (405), merged into TP Thanh Hóa (380) on 1 January 2025 — and the communes the
  seeds name. The district level ends on 30 June 2025. Which 2024 communes were Đông Sơn's is
  not in a source we can cite, so the library's parent (380) stands for them.

Population figures (``_data/population.csv``) exist only where a citable source gives them.
A code can name two units — 14797 is Phường Đông Hải until 30 June 2025 and Phường Hạc
Thành after — so :func:`by_code`, :func:`match` and :func:`find_in_text` take the period of
the file: from 2025 on, the new units are preferred.

Names are matched after NFC normalisation with diacritics folded, with administrative
prefixes ("UBND", "huyện", "thị xã", "TP", …) removed: "UBND huyện Thường Xuân",
"Thuong Xuan", "THƯỜNG XUÂN" and NFD text all find Thường Xuân.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from .. import config
from ..errors import UnknownUnitError
from . import _admin
from .parse import fold_words, format_date

LEVELS = ("province", "district", "commune")
_PREFIXES = re.compile(
    r"^(?:(?:uy ban nhan dan|ubnd|bao cao|ket qua|don vi|ten don vi|ban chi dao|bcd)\s+)*"
    r"(?:tinh|thanh pho|tp|thi xa|tx|huyen|quan|thi tran|tt|xa|phuong|p)?\s*"
)
_KIND_WORDS = {
    "tinh": "tỉnh", "thanh pho": "thành phố", "tp": "thành phố", "thi xa": "thị xã",
    "tx": "thị xã", "huyen": "huyện", "xa": "xã", "phuong": "phường", "thi tran": "thị trấn",
}


@dataclass(frozen=True)
class Unit:
    code: str
    name: str            # canonical Vietnamese name, NFC, without the kind: "Thường Xuân"
    kind: str            # huyện, thị xã, thành phố, xã, phường, thị trấn, tỉnh
    level: str           # province, district, commune
    parent_code: str = ""
    communes: int | None = None
    mountain: bool = False
    merged_into: str = ""
    valid_to: str = ""
    source: str = ""
    valid_from: str = ""
    predecessors: tuple[str, ...] = ()   # codes of the units it took in on 1 July 2025
    successors: tuple[str, ...] = ()     # codes of the units it went into

    @property
    def lifetime(self) -> str:
        """"đến 30/6/2025", "từ 1/7/2025", "từ … đến …" (dates the sources give)."""
        start, end = format_date(self.valid_from), format_date(self.valid_to)
        if start and end:
            return f"từ {start} đến {end}"
        return f"đến {end}" if end else (f"từ {start}" if start else "không rõ thời hạn")

    @property
    def new(self) -> bool:
        """One of the 166 communes and wards of 1 July 2025."""
        return self.valid_from >= _admin.REFORM

    def alive(self, period: str | None) -> bool:
        """Whether the unit existed during (part of) the period's year; any period is
        fine for a period that names no year."""
        year = _year(period)
        if year is None:
            return True
        return (not self.valid_from or self.valid_from[:4] <= year) and \
            (not self.valid_to or self.valid_to[:4] >= year)

    @property
    def full_name(self) -> str:
        """"Huyện Thường Xuân", "TP Thanh Hóa"."""
        kind = "TP" if self.kind == "thành phố" else self.kind.capitalize()
        return f"{kind} {self.name}"

    @property
    def slug(self) -> str:
        return fold_words(self.name).replace(" ", "-")

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name, "level": self.level}


@dataclass(frozen=True)
class Population:
    code: str
    year: int
    population: int
    source: str


def reference_file(name: str) -> Path:
    """A reference table: ``data/raw/reference/<name>`` when the project has it (the copy an
    analyst maintains), else the copy bundled with the package. A test keeps the two equal."""
    project = config.reference_dir() / name
    return project if project.is_file() else config.PACKAGE_DATA / name


def _year(period: str | None) -> str | None:
    m = re.match(r"\s*(20\d\d)", str(period or ""))
    return m.group(1) if m else None


def new_era(period: str | None) -> bool:
    """Whether a file of this period names the units of 1 July 2025 (from 2025 on)."""
    year = _year(period)
    return year is not None and year >= _admin.REFORM[:4]


@cache
def units() -> tuple[Unit, ...]:
    """Every unit: ours (province, districts, cited communes), the library's pre-reform
    communes and its new communes and wards, with the crosswalk."""
    with reference_file("units.csv").open(encoding="utf-8") as handle:
        ours = [Unit(code=r["code"], name=r["name"], kind=r["kind"], level=r["level"],
                     parent_code=r["parent_code"],
                     communes=int(r["communes"]) if r["communes"] else None,
                     mountain=r["mountain"] == "1", merged_into=r["merged_into"],
                     valid_to=r["valid_to"] or (_DISTRICTS_END if r["level"] == "district"
                                                else ""),
                     source=r["source"])
                for r in csv.DictReader(handle)]
    walk = _admin.crosswalk()
    library = [Unit(code=r.code, name=r.name, kind=r.kind, level=r.level,
                    parent_code=r.parent_code,
                    valid_from=_admin.REFORM if r.new else "",
                    valid_to="" if r.new else _DISTRICTS_END,
                    predecessors=walk.predecessors.get(r.code, ()) if r.new else (),
                    successors=() if r.new else walk.successors.get(r.code, ()),
                    source=f"{_admin.SOURCE} ({'admin_units' if r.new else 'admin_units_legacy'})")
               for r in _admin.rows() if r.level == "commune"]
    known = {u.code for u in library}
    mountain = {u.code for u in ours if u.level == "district" and u.mountain}
    library = [replace(u, mountain=u.parent_code in mountain) for u in library]
    return tuple([u for u in ours if u.level != "commune" or u.code not in known] + library)


_DISTRICTS_END = "2025-06-30"


@cache
def _by_code() -> dict[str, tuple[Unit, ...]]:
    found: dict[str, list[Unit]] = {}
    for unit in units():
        found.setdefault(unit.code, []).append(unit)
    return {code: tuple(found_) for code, found_ in found.items()}


def _for_period(candidates: Sequence[Unit], period: str | None) -> list[Unit]:
    """The candidates alive in the period, the era's own first (new units from 2025 on)."""
    alive = [u for u in candidates if u.alive(period)] if period else list(candidates)
    if not period:
        return sorted(alive, key=lambda u: u.new)  # no period: the 2023–2024 units first
    return sorted(alive, key=lambda u: u.new != new_era(period))


def districts() -> tuple[Unit, ...]:
    """The 27 district-level units of 2024, in GSO order."""
    return tuple(u for u in units() if u.level == "district")


def by_code(code: str | int, period: str | None = None) -> Unit:
    """The unit a GSO code names in the period (14797: Đông Hải in 2024, Hạc Thành in 2025);
    without a period, the unit of 2023–2024 where there is one."""
    code = str(code).strip()
    candidates = _by_code().get(code, ())
    found = _for_period(candidates, period) or list(candidates)
    if found:
        return found[0]
    m = _SYNTHETIC_CODE.fullmatch(code)
    if m:
        return synthetic_commune(m.group(1), int(m.group(2)))
    raise UnknownUnitError(code)


# --- synthetic communes (bakhong synth --level commune) ------------------------------------
# The 2024 commune list is not bundled (see README), so the synthetic province's communes are
# made up and say so: code "<district>-NN", name "Mô phỏng NN – <district>". They never carry
# a real commune's name.
_SYNTHETIC_CODE = re.compile(r"(\d{3})-(\d{2,3})")
_SYNTHETIC_NAME = re.compile(r"\bmo phong (\d{2,3})\b")


def parent_code(code: str, period: str | None = None) -> str:
    """The code of the district a unit lies in; "" for a district, or a code not known."""
    try:
        return by_code(code, period).parent_code
    except UnknownUnitError:
        return ""


def synthetic_commune(district_code: str, number: int) -> Unit:
    """The ``number``-th synthetic commune of a district (DỮ LIỆU MÔ PHỎNG)."""
    parent = next((u for u in units() if u.code == str(district_code)
                   and u.level == "district"), None)
    if parent is None or number < 1 or (parent.communes and number > parent.communes):
        raise UnknownUnitError(f"{district_code}-{number:02d}")
    return Unit(code=f"{parent.code}-{number:02d}", name=f"Mô phỏng {number:02d} – {parent.name}",
                kind="xã", level="commune", parent_code=parent.code, mountain=parent.mountain,
                source="bakhong synth — DỮ LIỆU MÔ PHỎNG, không phải đơn vị thật")


def _synthetic_in_text(text: str) -> Unit | None:
    folded = fold_words(text)
    m = _SYNTHETIC_NAME.search(folded)
    if not m:
        return None
    rest = folded[m.end():]
    for unit in districts():
        if re.search(rf"\b{fold_words(unit.name)}\b", rest):
            try:
                return synthetic_commune(unit.code, int(m.group(1)))
            except UnknownUnitError:
                return None
    return None


@cache
def populations() -> dict[str, Population]:
    """Reference populations by unit code; a unit without a cited figure is absent."""
    with reference_file("population.csv").open(encoding="utf-8") as handle:
        return {r["code"]: Population(r["code"], int(r["year"]), int(r["population"]),
                                      r["source"]) for r in csv.DictReader(handle)}


def _key(name: str) -> tuple[str, str]:
    """(kind word or "", bare folded name) of a unit name as written."""
    folded = fold_words(name)
    kind = ""
    for word in sorted(_KIND_WORDS, key=len, reverse=True):
        if re.search(rf"(^|\s){word}\s", folded + " "):
            kind = _KIND_WORDS[word]
            break
    bare = _PREFIXES.sub("", folded).strip()
    # "huyện Thường Xuân, tỉnh Thanh Hóa": keep the first unit named
    bare = re.split(r"\s(?:tinh|huyen|thi xa|thanh pho|tp)\s", f"{bare} ")[0].strip()
    return kind, bare


@cache
def _index() -> dict[str, list[Unit]]:
    index: dict[str, list[Unit]] = {}
    for unit in units():
        index.setdefault(fold_words(unit.name), []).append(unit)
    return index


def match(name: str, level: str | None = None, period: str | None = None) -> Unit:
    """The unit a name designates (in the period: "xã Thường Xuân" in 2025 is the new xã;
    "Thường Xuân" in 2024 the district).

    Raises :class:`UnknownUnitError` with the closest candidates when none fits.

    Examples
    --------
    >>> match("UBND huyện Thường Xuân").code
    '396'
    >>> match("THUONG XUAN").name
    'Thường Xuân'
    >>> match("UBND xã Thường Xuân", period="2025").code, match("Thường Xuân", period="2024").code
    ('15646', '396')
    """
    if name is None or not str(name).strip():
        raise UnknownUnitError("")
    text = str(name)
    if re.fullmatch(r"\s*\d{2,5}\s*", text) or _SYNTHETIC_CODE.fullmatch(text.strip()):
        return by_code(text.strip(), period)
    synthetic = _synthetic_in_text(text)
    if synthetic is not None:
        return synthetic
    kind, bare = _key(text)
    found = list(_index().get(bare, []))
    if level:
        found = [u for u in found if u.level == level] or found
    alive = _for_period(found, period)
    # the kind written, among the units of the period; a unit outside its lifetime only
    # when nothing else fits (the reader then says so); "Thanh Hóa" alone is the province
    of_kind = [u for u in alive if u.kind == kind] if kind else []
    # a district's kind ("huyện") after the district level ended is that district, out of
    # its lifetime; a commune's kind the name had no commune for is read as the unit alive
    gone = [u for u in found if u.kind == kind and u.level == "district"] if kind else []
    found = of_kind or gone or alive or [u for u in found if u.kind == kind] or found
    found = sorted(found, key=lambda u: (period is not None and u.new != new_era(period),
                                         LEVELS.index(u.level)))
    if found:
        return found[0]
    raise UnknownUnitError(text, candidates(text))


def namesakes(unit: Unit, period: str | None = None) -> list[Unit]:
    """Other units of the same kind and name alive in the period: two "Xã Đồng Tiến" of
    2025 (15724, 15853) can be told apart only by their code."""
    return [u for u in _index().get(fold_words(unit.name), []) if u.kind == unit.kind
            and u.code != unit.code and u.alive(period)]


def in_run_together(text: str, period: str | None = None) -> Unit | None:
    """The unit whose name a text holds with its words run together ("baocaoyendinh2024"
    holds "yendinh"): the longest such name of at least six letters, a unit of the period
    and the district level first."""
    compact = re.sub(r"[^a-z]", "", fold_words(text))
    hits = [u for name, found in _index().items() if len(name.replace(" ", "")) >= 6
            and name.replace(" ", "") in compact for u in found]
    if not hits:
        return None
    ranked = sorted(_for_period(hits, period) or hits,
                    key=lambda u: (-len(fold_words(u.name)), period is not None
                                   and u.new != new_era(period), LEVELS.index(u.level)))
    return ranked[0]


def candidates(name: str, limit: int = 3) -> list[str]:
    """The closest unit names, best first, for a "did you mean" message."""
    from rapidfuzz import fuzz, process

    kind, bare = _key(name)
    index = _index()
    best = process.extract(bare, list(index), scorer=fuzz.WRatio, limit=limit)

    def shown(units_: list[Unit]) -> Unit:  # the one a reader means: the kind written first
        return min(units_, key=lambda u: (u.kind != kind, u.new, LEVELS.index(u.level)))

    return [shown(index[n]).full_name for n, score, _ in best if score >= 60]


def find_in_text(text: str, period: str | None = None) -> Unit | None:
    """The first district or commune named in a title line, if any ("UBND HUYỆN THƯỜNG XUÂN"),
    as the period knows it (a unit alive then, of the period's era, first)."""
    synthetic = _synthetic_in_text(text)
    if synthetic is not None:
        return synthetic
    folded = f" {fold_words(text)} "
    hits: list[tuple[int, Unit]] = []
    for unit, phrases in _phrases():
        for phrase in phrases:
            pos = folded.find(phrase)
            if pos >= 0:
                hits.append((pos, unit))
    if not hits:
        return None
    alive = [h for h in hits if h[1].alive(period)] or hits
    era = new_era(period) if period else False
    return min(alive, key=lambda h: (h[0], h[1].new != era))[1]


@cache
def _phrases() -> tuple[tuple[Unit, tuple[str, ...]], ...]:
    """Per unit the folded ways a title names it: " huyen thuong xuan ", " tp thanh hoa "."""
    out = []
    for unit in units():
        if unit.level == "province":
            continue
        name = fold_words(unit.name)
        words = [w for w, kind in _KIND_WORDS.items()
                 if kind == unit.kind or (unit.kind == "thành phố" and w == "tp")]
        out.append((unit, tuple(f" {w} {name} " for w in words)))
    return tuple(out)


def lookup(query: str | None = None, period: str | None = None, level: str | None = None,
           limit: int = 20) -> list[Unit]:
    """Units for an analyst's look-up (``bakhong units``), best match first: a code, a name
    (as :func:`match` reads it, then the closest names), or every unit of the period."""
    pool = [u for u in units() if (not level or u.level == level)
            and (not period or u.alive(period))]
    if not query or not query.strip():
        return sorted(pool, key=lambda u: (LEVELS.index(u.level), u.code))
    text = query.strip()
    if re.fullmatch(r"\d{2,5}", text):
        return _for_period([u for u in pool if u.code == text], period)
    from rapidfuzz import fuzz

    kind, bare = _key(text)
    try:
        first = [match(text, level=level, period=period)]
    except UnknownUnitError:
        first = []
    scored = sorted(((fuzz.WRatio(bare, fold_words(u.name)), u) for u in pool),
                    key=lambda s: (-s[0], _lookup_rank(s[1], kind, period)))
    ranked = first + [u for score, u in scored if score >= 75 and u not in first]
    return ranked[:limit]


def _lookup_rank(unit: Unit, kind: str, period: str | None) -> tuple[bool, bool, int]:
    return (unit.kind != kind, period is not None and unit.new != new_era(period),
            LEVELS.index(unit.level))


def as_record(unit: Unit) -> dict[str, object]:
    """A unit on its timeline, as ``bakhong units --json`` prints it."""
    def named(codes: Sequence[str], period: str) -> list[dict[str, str]]:
        return [{"code": c, "name": by_code(c, period).full_name} for c in codes]

    return {"code": unit.code, "name": unit.name, "full_name": unit.full_name,
            "level": unit.level, "parent_code": unit.parent_code,
            "valid_from": unit.valid_from or None, "valid_to": unit.valid_to or None,
            "predecessors": named(unit.predecessors, "2024"),
            "successors": named(unit.successors, "2026"), "source": unit.source}
