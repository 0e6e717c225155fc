"""Thanh Hóa's administrative units of 2023–2024, keyed by GSO code, and name matching.

The reference list (``_data/units.csv``) holds the province, its 27 district-level units of
2024 (GSO codes 380–407, no 383; Đông Sơn, 405, merged into TP Thanh Hóa, 380, at the turn
of 2025) and the communes the seed documents name. Every row says where it comes from;
population figures (``_data/population.csv``) exist only where a citable source gives them.

Names are matched after NFC normalisation with diacritics folded, with administrative
prefixes ("UBND", "huyện", "thị xã", "TP", …) removed: "UBND huyện Thường Xuân",
"Thuong Xuan", "THƯỜNG XUÂN" and NFD text all find Thường Xuân.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .. import config
from ..errors import UnknownUnitError
from .parse import fold_words

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


@cache
def units() -> tuple[Unit, ...]:
    """Every unit of the reference list."""
    with reference_file("units.csv").open(encoding="utf-8") as handle:
        return tuple(
            Unit(code=r["code"], name=r["name"], kind=r["kind"], level=r["level"],
                 parent_code=r["parent_code"],
                 communes=int(r["communes"]) if r["communes"] else None,
                 mountain=r["mountain"] == "1", merged_into=r["merged_into"],
                 valid_to=r["valid_to"], source=r["source"])
            for r in csv.DictReader(handle)
        )


def districts() -> tuple[Unit, ...]:
    """The 27 district-level units of 2024, in GSO order."""
    return tuple(u for u in units() if u.level == "district")


def by_code(code: str | int) -> Unit:
    code = str(code).strip()
    for unit in units():
        if unit.code == code:
            return unit
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


def parent_code(code: str) -> str:
    """The code of the district a unit lies in; "" for a district, or a code not known."""
    try:
        return by_code(code).parent_code
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


def match(name: str, level: str | None = None) -> Unit:
    """The unit a name designates.

    Raises :class:`UnknownUnitError` with the closest candidates when none fits.

    Examples
    --------
    >>> match("UBND huyện Thường Xuân").code
    '396'
    >>> match("THUONG XUAN").name
    'Thường Xuân'
    """
    if name is None or not str(name).strip():
        raise UnknownUnitError("")
    text = str(name)
    if re.fullmatch(r"\s*\d{2,5}\s*", text) or _SYNTHETIC_CODE.fullmatch(text.strip()):
        return by_code(text.strip())
    synthetic = _synthetic_in_text(text)
    if synthetic is not None:
        return synthetic
    kind, bare = _key(text)
    found = list(_index().get(bare, []))
    if level:
        found = [u for u in found if u.level == level] or found
    if len(found) > 1 and kind:
        found = [u for u in found if u.kind == kind] or found
    if len(found) > 1:
        # "Thanh Hóa" alone is the province unless a kind says otherwise
        found = sorted(found, key=lambda u: LEVELS.index(u.level))
    if found:
        return found[0]
    raise UnknownUnitError(text, candidates(text))


def candidates(name: str, limit: int = 3) -> list[str]:
    """The closest unit names, best first, for a "did you mean" message."""
    from rapidfuzz import fuzz, process

    _, bare = _key(name)
    names = {fold_words(u.name): u for u in units()}
    best = process.extract(bare, list(names), scorer=fuzz.WRatio, limit=limit)
    return [names[n].full_name for n, score, _ in best if score >= 60]


def find_in_text(text: str) -> Unit | None:
    """The first district or commune named in a title line, if any ("UBND HUYỆN THƯỜNG XUÂN")."""
    synthetic = _synthetic_in_text(text)
    if synthetic is not None:
        return synthetic
    folded = f" {fold_words(text)} "
    best: tuple[int, Unit] | None = None
    for unit in units():
        if unit.level == "province":
            continue
        for kind_word, kind in _KIND_WORDS.items():
            if kind != unit.kind and not (unit.kind == "thành phố" and kind_word == "tp"):
                continue
            pos = folded.find(f" {kind_word} {fold_words(unit.name)} ")
            if pos >= 0 and (best is None or pos < best[0]):
                best = (pos, unit)
    return best[1] if best else None
