"""The indicator catalog and the targets in force, read from data files.

The criteria, their labels, groups, pillars, populations and 2024 targets live in
``_data/catalog.toml``. The targets of particular plans are read from the plans themselves
(:mod:`bakhong.read.documents` puts them in force: Nga Liên's 2023 plan wants 80%
e-signatures, not 40%); an analyst may add targets no plan states in
``data/raw/reference/targets.csv`` (or the package's ``_data/targets.csv``). Nothing here
branches on an indicator code.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from pathlib import Path

from .. import config
from ..errors import UnknownIndicatorError
from .parse import fold_words

#: A label names an indicator when :meth:`Catalog.match_label` scores it at least this.
MATCH_SCORE = 80.0


@dataclass(frozen=True)
class Indicator:
    """One criterion of the template (TC01–TC16) or one pillar's headline rate (K1–K3)."""

    code: str
    label: str
    short: str
    group: str
    pillars: tuple[str, ...]
    population: str
    aliases: tuple[str, ...] = ()
    target: float | None = None
    target_qualifier: str = "≥"

    @property
    def number(self) -> int | None:
        """The row number (STT) of a criterion in the template; None for a pillar."""
        return int(self.code[2:]) if self.code.startswith("TC") else None


@dataclass(frozen=True)
class Target:
    value: float
    qualifier: str
    source: str


@dataclass(frozen=True)
class Catalog:
    indicators: tuple[Indicator, ...]
    groups: dict[str, str]
    pillars: dict[str, str]
    populations: dict[str, str]
    overrides: tuple[tuple[str, str, str, Target], ...] = ()  # (unit_code, period, code, t)

    def __getitem__(self, code: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.code == code:
                return indicator
        raise UnknownIndicatorError(code)

    def __contains__(self, code: object) -> bool:
        return any(i.code == code for i in self.indicators)

    def __iter__(self):
        return iter(self.indicators)

    @property
    def criteria(self) -> tuple[Indicator, ...]:
        """TC01–TC16 in template order."""
        return tuple(i for i in self.indicators if i.number is not None)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.indicators)

    def target(self, code: str, unit_code: str | None = None,
               period: str | None = None) -> Target | None:
        """The target in force for an indicator, unit and period: a plan's own, else the
        template's."""
        for o_unit, o_period, o_code, target in self.overrides:
            if o_code == code and o_unit == (unit_code or "") and o_period == (period or ""):
                return target
        indicator = self[code]
        if indicator.target is None:
            return None
        return Target(indicator.target, indicator.target_qualifier,
                      "Mẫu báo cáo mô hình 3 KHÔNG năm 2024 (chỉ tiêu giao)")

    def with_overrides(self, rows: Iterable[dict[str, str]]) -> Catalog:
        """A new catalog with more plan targets (rows of a targets.csv)."""
        extra = tuple(
            (r["unit_code"].strip(), r["period"].strip(), r["indicator"].strip(),
             Target(float(r["target"]), r.get("target_qualifier") or "≥",
                    r.get("plan") or r.get("source") or ""))
            for r in rows
        )
        return Catalog(self.indicators, self.groups, self.pillars, self.populations,
                       extra + self.overrides)

    @cached_property
    def _matcher(self) -> tuple[tuple[tuple[str, str, tuple[str, ...]], ...],
                                dict[str, tuple[tuple[int, int], ...]], dict]:
        """(code, folded phrase, its words) of every label and alias; per word, the phrases
        it is in (by number) with how many times; a cache of matches."""
        phrases = tuple(
            (i.code, phrase, tuple(phrase.split()))
            for i in self.indicators
            for phrase in (_folded(i.label), *(_folded(a) for a in i.aliases))
        )
        per_word: dict[str, list[tuple[int, int]]] = {}
        for n, (_, _, tokens) in enumerate(phrases):
            for word in dict.fromkeys(tokens):
                per_word.setdefault(word, []).append((n, tokens.count(word)))
        return phrases, {w: tuple(v) for w, v in per_word.items()}, {}

    def match_label(self, text: str) -> tuple[str | None, float]:
        """The indicator a row label or sentence names, and a score from 0 to 100 (it
        names it from :data:`MATCH_SCORE` up)."""
        return _match_label(self, fold_words(text))


def _match_label(catalog: Catalog, folded: str) -> tuple[str | None, float]:
    """The indicator whose label or alias has the largest share of its words in the text.

    Score = 100 × (words of the phrase found in the text) / (words of the phrase), so a
    short alias must appear whole while a long label survives a dropped word; ties go to the
    longer phrase (more specific), then to the closer spelling. Results are cached per catalog.
    """
    from rapidfuzz import fuzz

    phrases, per_word, cache = catalog._matcher
    if folded in cache:
        return cache[folded]
    if len(cache) > 1 << 14:
        cache.clear()
    words = set(folded.split())
    candidates = sorted({n for w in words for n, _ in per_word.get(w, ())})
    best: tuple[float, int, float, str | None] = (0.0, 0, 0.0, None)
    for code, phrase, tokens in (phrases[n] for n in candidates):
        coverage = 100.0 * sum(t in words for t in tokens) / len(tokens)
        if coverage < best[0]:
            continue
        rank = (coverage, len(tokens), fuzz.ratio(folded, phrase), code)
        if rank[:3] > best[:3]:
            best = rank
    cache[folded] = (best[3], best[0])
    return cache[folded]


@cache
def _folded(text: str) -> str:
    return fold_words(text)


def _read_targets(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def _base_catalog() -> Catalog:
    with (config.PACKAGE_DATA / "catalog.toml").open("rb") as handle:
        data = tomllib.load(handle)
    indicators = tuple(
        Indicator(
            code=row["code"], label=row["label"], short=row["short"], group=row["group"],
            pillars=tuple(row["pillars"]), population=row["population"],
            aliases=tuple(row.get("aliases", ())), target=row.get("target"),
            target_qualifier=row.get("target_qualifier", "≥"),
        )
        for row in data["indicator"]
    )
    base = Catalog(indicators, data["groups"], data["pillars"], data["populations"])
    return base.with_overrides(_read_targets(config.PACKAGE_DATA / "targets.csv"))


def load_catalog(reference_dir: Path | None = None) -> Catalog:
    """The catalog, with the plan targets of ``data/raw/reference/targets.csv`` if present.

    The same catalog object is returned while that file is unchanged.

    Examples
    --------
    >>> cat = load_catalog()
    >>> cat["TC09"].target, cat.target("TC09", "16159", "2023").value
    (0.4, 0.4)
    >>> row = {"unit_code": "16159", "period": "2023", "indicator": "TC09", "target": "0.8"}
    >>> cat.with_overrides([row]).target("TC09", "16159", "2023").value
    0.8
    """
    folder = reference_dir if reference_dir is not None else config.reference_dir()
    path = folder / "targets.csv"
    stamp = path.stat().st_mtime_ns if path.is_file() else 0
    return _catalog_for(str(path), stamp)


@lru_cache(maxsize=16)
def _catalog_for(targets_path: str, stamp: int) -> Catalog:
    return _base_catalog().with_overrides(_read_targets(Path(targets_path)))
