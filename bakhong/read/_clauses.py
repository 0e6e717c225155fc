"""What one clause of prose says: its values (percentages, ratios; not dates, document numbers,
counts or targets), each value's qualifier and phase, and the indicator its words match.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from dataclasses import dataclass

from ..vocab.catalog import MATCH_SCORE, Catalog
from ..vocab.parse import Parsed, fold_words, parse_number, parse_value

_NUM = r"\d[\d.,]*\d|\d"
_PERCENT = re.compile(rf"(?<![\d/])({_NUM})\s*%")
_RATIO = re.compile(rf"(?<![\d/.,])({_NUM})\s*/\s*({_NUM})(?![\d/]|\s*-?[A-Za-zĐđ]{{2,}}[-/])")
# a stated percentage right after a ratio: "= 100%", ", đạt 77,88%", "người (82,75%)"
_AFTER_RATIO = re.compile(
    rf"^\s*(?:[^\W\d]+\s*){{0,3}}[,(]?\s*(?:=|đạt tỷ lệ|đạt tỉ lệ|đạt|tỷ lệ|tỉ lệ|bằng)?\s*"
    rf"({_NUM})\s*%\)?", re.I)
_UNIT_NOUNS = re.compile(
    r"^\s*(xa|phuong|thi tran|thon|ban|lang|khu pho|to dan pho|don vi|huyen|chi tieu|"
    r"tieu chi|noi dung|thang|lop|buoi|cuoc|hoi nghi|mo hinh|truong|co so|ngay|nam)\b")
_TARGET_WORDS = re.compile(r"\b(chi tieu|muc tieu|ke hoach|phan dau|chi tieu giao|dat chuan)\s*"
                           r"(giao|de ra|la|dat|cua huyen|cua tinh)?\s*(dat|la)?\s*(tren|tu)?\s*$")
_FUTURE = re.compile(r"\b(phan dau|muc tieu|ke hoach nam|se dat|du kien)\b")
_CLAUSE_SPLIT = re.compile(r";|(?<=[.!?])\s+(?=[\"“(\-–•*+]?\s*[A-ZĐÀ-Ỹ0-9])|(?<=\.)(?=\()")
_BEFORE = r"truoc|khi chua|chua (?:thuc hien|trien khai|ap dung)|ban dau|dau nam|dau ky|so voi"
_AFTER = r"sau|den nay|hien nay|hien tai|nay da|den thang|den het|den cuoi|cuoi nam|len|tang len"
_MARKER = re.compile(rf"\b(?:(?P<before>{_BEFORE})|(?P<after>{_AFTER})|nam (?P<year>20\d\d))\b")
_NUMBERED = re.compile(r"\b(?:tieu chi|chi tieu)\s*(?:so\s*)?(\d{1,2})\b")
_STOP = set("""
ty le ti la dat da co cac nhung mot so nay do ve va voi cua cho trong tren den tu theo
khi chua sau truoc thuc hien trien khai mo hinh hien nay tang len con chi moi khoang gan hon
toan bo duoc nguoi dan ket qua thang nam dau cuoi dia ban huyen xa tai viec o tong dat
the hien cung dong thoi trong do nhu sau ban bo doi cap
""".split())


#: How far (characters) the words around a value are looked at: a sentence's worth, so that
#: the work per value is bounded whatever the length of the clause.
_WINDOW = 400


@dataclass
class _Value:
    start: int
    end: int
    text: str       # what parse_value reads
    kind: str       # "percent" or "ratio"


def _is_date_or_count(clause: str, m: re.Match[str]) -> bool:
    a, b = m.group(1), m.group(2)
    try:
        x, y = parse_number(a), parse_number(b)
    except ValueError:
        return True
    if 1900 <= y <= 2100 and x <= 12:          # "11/2024"
        return True
    if x <= 31 and y <= 12 and "." not in a + b and "," not in a + b and \
            re.match(r"^/\d", clause[m.end():m.end() + 2]):  # "26/8/2024"
        return True
    before = fold_words(clause[max(0, m.start() - 12):m.start()])
    if re.search(r"\b(ngay|so|thang)$", before):
        return True
    return bool(_UNIT_NOUNS.match(fold_words(clause[m.end():m.end() + 20])))


def _values(clause: str) -> list[_Value]:
    """The values of a clause, in order; each looked at through bounded windows, so that a
    clause of many values (a table pasted as one line) is read in linear time."""
    found: list[_Value] = []
    taken: list[tuple[int, int]] = []
    for m in _RATIO.finditer(clause):
        if _is_date_or_count(clause, m):
            continue
        start = m.start()
        before = start
        while before > 0 and clause[before - 1].isspace():
            before -= 1
        if before > 0 and clause[before - 1] == "=":  # "= 72599/33216"
            start = before - 1
        end = m.end()
        text = clause[start:end]
        stated = _AFTER_RATIO.match(clause[end:end + _WINDOW])
        if stated and not _RATIO.search(clause[end:end + stated.end()]):
            text = f"{m.group(1)}/{m.group(2)} = {stated.group(1)}%"
            end = end + stated.end()
        found.append(_Value(start, end, text, "ratio"))
        taken.append((m.start(), end))
    starts = [a for a, _ in taken]
    reach = list(itertools.accumulate((b for _, b in taken), max))
    for m in _PERCENT.finditer(clause):
        i = bisect.bisect_right(starts, m.start()) - 1
        if i >= 0 and m.start() < reach[i]:  # inside a ratio ("= 45,75%")
            continue
        found.append(_Value(m.start(), m.end(), m.group(0), "percent"))
    return sorted(found, key=lambda v: v.start)


#: "trở lên" after a value, also as OCR leaves it ("trd 1én", "tr¢ 1én", "trd Ién")
_TRO_LEN = re.compile(r"^\s*tr\w{0,2}\s*[1li|]\s*en\b")


def _qualified(clause: str, value: _Value) -> tuple[Parsed, str]:
    """The value parsed with the qualifier its neighbouring words give it."""
    lead = fold_words(re.split(r"[:,;(]", clause[max(0, value.start - _WINDOW):
                                                 value.start])[-1])
    words = lead.split()[-3:]
    tail = " ".join(words)
    after = fold_words(clause[value.end:value.end + 14])
    prefix = ""
    if re.search(r"\b(tren|hon|vuot|vuot qua|vuot muc)$", tail):
        prefix = "trên "
    elif re.search(r"\b(duoi|chua den|chua toi|chua dat)$", tail):
        prefix = "dưới "
    elif re.search(r"\b(it nhat|toi thieu)$", tail):
        prefix = "ít nhất "
    elif re.search(r"\b(toi da|khong qua)$", tail):
        prefix = "tối đa "
    suffix = " trở lên" if _TRO_LEN.match(after) else ""
    text = f"{prefix}{value.text}{suffix}"
    return parse_value(text), text.strip()


def _is_target(clause: str, value: _Value) -> bool:
    lead = fold_words(clause[max(0, value.start - _WINDOW):value.start])
    if _TARGET_WORDS.search(lead):
        return True
    return bool(_FUTURE.search(lead))


def _phase_marker(text: str, period: str, last: bool = True) -> str | None:
    found = None
    for m in _MARKER.finditer(fold_words(text)):
        if m.group("year"):
            if not period or not period.isdigit():
                continue
            phase = "after" if int(m.group("year")) >= int(period) else "before"
        else:
            phase = "before" if m.group("before") else "after"
        if m.group(0) == "len" and re.search(r"tro len", fold_words(text)[max(0, m.start() - 4):
                                                                       m.end()]):
            continue
        found = phase
        if not last:
            return found
    return found


def _content_words(text: str) -> list[str]:
    return [w for w in fold_words(text).split() if w not in _STOP and not w.isdigit()]


def _label_coverage(catalog: Catalog, code: str, text: str) -> float:
    words = set(fold_words(text).split())
    tokens = _label_tokens(catalog[code].label)
    return sum(t in words for t in tokens) / len(tokens)


@functools.lru_cache(maxsize=256)
def _label_tokens(label: str) -> tuple[str, ...]:
    return tuple(fold_words(label).split())


def _most_specific(catalog: Catalog, folded: str) -> tuple[str | None, float]:
    """Like :meth:`Catalog.match_label`, but among the phrases present (≥ 80% of their
    words) the one that accounts for most words of the text wins: "thuê bao điện thoại thông
    minh có phần mềm an toàn" is TC13, not TC06 because "có điện thoại thông minh" is whole.
    The words found are counted per phrase in one pass over the text's words
    (:func:`_word_phrases`); phrases are weighed in the catalog's order."""
    phrases, per_word = _word_phrases(catalog)
    hits: dict[int, int] = {}
    for word in set(folded.split()):
        for n, count in per_word.get(word, ()):
            hits[n] = hits.get(n, 0) + count
    best: tuple[int, float, str | None] = (-99, 0.0, None)
    for n in sorted(hits):
        code, size = phrases[n]
        found = hits[n]
        share = 100.0 * found / size
        specific = found - 2 * (size - found)  # a missing word costs two found
        if share >= MATCH_SCORE and (specific, share) > best[:2]:
            best = (specific, share, code)
    if best[2] is None:
        return catalog.match_label(folded)
    return best[2], best[1]


def _word_phrases(catalog: Catalog) -> tuple[list[tuple[str, int]],
                                             dict[str, tuple[tuple[int, int], ...]]]:
    """(code, number of words) of each label and alias of the catalog, and per word the
    phrases it is in with how many times (the catalog's own index of its phrases)."""
    phrases, per_word, cache = catalog._matcher
    key = ("word phrases", "")
    if key not in cache:
        cache[key] = [(code, len(tokens)) for code, _, tokens in phrases]
    return cache[key], per_word


def _match(catalog: Catalog, text: str) -> tuple[str | None, float]:
    """(code, confidence) of the indicator a piece of text names, if any. Kept in the
    catalog's cache of matches: labels and headings come again and again in a report."""
    cache = catalog._matcher[2]
    key = ("clause", text)
    if key not in cache:
        if len(cache) > 1 << 15:
            cache.clear()
        cache[key] = _match_text(catalog, text)
    return cache[key]


def _match_text(catalog: Catalog, text: str) -> tuple[str | None, float]:
    folded = fold_words(text)
    if not folded:
        return None, 0.0
    numbered = _NUMBERED.search(folded)
    if numbered and 1 <= int(numbered.group(1)) <= 16:
        return f"TC{int(numbered.group(1)):02d}", 0.95
    code, score = _most_specific(catalog, folded)
    if code is None or score < MATCH_SCORE:
        code = _closest_spelling(catalog, folded)
        return (code, 0.55) if code else (None, 0.0)
    coverage = _label_coverage(catalog, code, text)
    return code, round(0.5 + 0.2 * (score / 100) + 0.3 * coverage, 3)


#: OCR'd text ("chit ky dién tir" for "chữ ký điện tử") names an indicator when one of its
#: phrases is spelt nearly so (rapidfuzz partial ratio) and clearly closer than any other's.
OCR_SCORE, OCR_MARGIN = 85.0, 3.0


def _closest_spelling(catalog: Catalog, folded: str) -> str | None:
    """The indicator whose label or alias the text spells nearly, when no words match."""
    from rapidfuzz import fuzz

    best: dict[str, float] = {}
    for code, phrase in _long_phrases(catalog):
        # a score below the threshold less the margin changes nothing: not computed
        score = fuzz.partial_ratio(phrase, folded, score_cutoff=OCR_SCORE - OCR_MARGIN)
        best[code] = max(best.get(code, 0.0), score)
    ranked = sorted(best.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < OCR_SCORE:
        return None
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < OCR_MARGIN:
        return None
    return ranked[0][0]


def _long_phrases(catalog: Catalog) -> list[tuple[str, str]]:
    """(code, folded phrase) of the labels and aliases of 12 characters or more (a short
    phrase fits inside too much text by chance), folded once per catalog."""
    phrases, _, cache = catalog._matcher
    key = ("long phrases", "")
    if key not in cache:
        cache[key] = [(code, phrase) for code, phrase, _ in phrases if len(phrase) >= 12]
    return cache[key]


_HEADER_KIND = (
    ("evidence", r"minh chung|ghi chu"),
    ("before", r"\btruoc\b"),
    ("after", r"\bsau\b|ket qua|thuc hien|dat duoc|ty le"),
    ("target", r"giao|muc tieu|ke hoach|chi tieu nam"),
)


def _column_kinds(header: tuple[str, ...] | None) -> list[str | None]:
    if not header:
        return []
    kinds: list[str | None] = []
    for cell in header:
        h = fold_words(cell)
        kind = None
        if h in {"stt", "tt", "so tt"}:
            kind = "stt"
        else:
            for name, pattern in _HEADER_KIND:
                if re.search(pattern, h):
                    kind = name
                    break
            if kind is None and re.search(r"noi dung|tieu chi|chi tieu|ten", h):
                kind = "label"
        kinds.append(kind)
    if kinds.count("after") > 1 and "label" not in kinds:
        first = kinds.index("after")
        kinds[first] = "label"
    return kinds
