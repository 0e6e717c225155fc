"""Pure text → number parsing for the way districts write figures, and Vietnamese formatting.

How ambiguous cells are read (the rules below are the contract; tests pin each one):

* A **dot followed by groups of exactly three digits** is a thousands separator ("72.599",
  "946.030", "1.234.567"); any other dot is a decimal point ("96.5").
* A **comma** is a decimal comma ("45,75", "96,5") unless it is followed by exactly three
  digits *and* a dot comes later ("1,234.5", an English-formatted number).
* A value cell holding a **bare number** (no "%"): a number from 0 to 1 is a fraction, the way
  Excel stores a %-formatted cell (0.74 → 74%); a number above 1 is a percentage (96,5 → 96,5%).
  So a cell holding exactly 1 reads as 100%, never 1%.
* "a/b" gives numerator a and denominator b; "a/b = c%" keeps c% as the stated value and a, b
  as given, so that checks can compare them. Without a stated percentage the value is a/b.
* "trên", "hơn", "vượt", ">" give the qualifier ">"; "trở lên", "từ … trở lên", "ít nhất",
  "≥", ">=" give "≥"; "dưới", "<" give "<"; "tối đa", "≤" give "≤"; otherwise "=".
* Text in brackets is a remark and is ignored ("40% trở lên (năm 2024)").
* Blank → missing; text without a number ("đang cập nhật") → unparseable, raw text kept.
* Characters that show nothing (zero-width space, joiners, BOM, direction marks) are removed
  and every kind of space is a space before reading: "4\u200b5,75%" is 45,75%.
* A minus sign — "-", the Unicode minus "−" or a dash "–" written before the number (at the
  start, after a space, "=", ":" or "(") — is kept: "-12%" is −0,12 and "−45,75%" is
  −0,4575, which the ``negative_value`` check reports; a negative Excel number likewise.
* A date, a boolean, an Excel error cell or a formula saved without its value
  (:class:`CellNote`) is never a figure: unparseable.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from ..contract import SYNTHETIC_MARK

# --- text -------------------------------------------------------------------------------

def _fold_table() -> dict[int, str | None]:
    """Each Latin letter with diacritics → its bare lower-case letter; combining marks → ''."""
    table: dict[int, str | None] = {c: None for c in range(0x300, 0x370)}
    for start, end in ((0xC0, 0x250), (0x1E00, 0x1F00)):
        for code in range(start, end):
            bare = "".join(ch for ch in unicodedata.normalize("NFD", chr(code))
                           if not unicodedata.combining(ch))
            table[code] = bare.lower()
    table.update({ord("đ"): "d", ord("Đ"): "d", 0xA0: " "})
    return table


_FOLD_TABLE = _fold_table()
#: characters that show nothing but break a number or a word apart: zero-width space,
#: non-joiner and joiner, the byte-order mark, soft hyphen, word joiner, and the marks that
#: set the direction of text (LRM, RLM, LRE…RLO, LRI…PDI)
_INVISIBLE = {c: None for c in (0x00AD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x200E,
                                0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))}
#: spaces other than " " (no-break, narrow no-break, thin, figure…) read as " "
_INVISIBLE.update({c: " " for c in (0x00A0, 0x2007, 0x2009, 0x202F, 0x3000)})
_FOLD_JUNK = re.compile(r"[^\w%/.,<>=≥≤+-]+")
_SPACES = re.compile(r"\s+")


#: a no-break, thin or figure space between two digits groups thousands ("72\u00a0599")
_DIGIT_SPACE = re.compile(r"(?<=\d)[\u00a0\u2007\u2009\u202f](?=\d)")


def visible(text: str) -> str:
    """Text without the characters that show nothing (zero-width, direction marks), digits
    on either side of a no-break space joined, every other kind of space as " ":
    "4\u200b5,75%" is "45,75%", "72\u00a0599" is "72599"."""
    return _DIGIT_SPACE.sub("", text).translate(_INVISIBLE)


def nfc(text: str) -> str:
    """NFC-normalised :func:`visible` text with surrounding whitespace removed (Mac files
    are NFD)."""
    return unicodedata.normalize("NFC", visible(text)).strip()


class CellNote(str):
    """A cell that holds no figure for a reason the reader names ("ô lỗi công thức Excel
    #DIV/0!", "ô công thức chưa có giá trị lưu"): the text is that reason, never a figure."""

    __slots__ = ()


def fold(text: str) -> str:
    """Lower-case text without diacritics and with runs of spaces and punctuation collapsed.

    >>> fold("UBND huyện THƯỜNG XUÂN")
    'ubnd huyen thuong xuan'
    """
    bare = str(text).translate(_FOLD_TABLE).lower()
    return _SPACES.sub(" ", _FOLD_JUNK.sub(" ", bare)).strip()


_NOT_WORD = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=1 << 16)
def fold_words(text: str) -> str:
    """:func:`fold` keeping only letters and digits, for matching labels (cached: the same
    headers and labels recur in every file)."""
    return _NOT_WORD.sub(" ", fold(text)).strip()


def is_synthetic_text(text: str) -> bool:
    """Whether a title, file name or note says "DỮ LIỆU MÔ PHỎNG", however it is written.

    >>> is_synthetic_text("Bảng 3 KHÔNG — Dữ liệu mô phỏng"), is_synthetic_text("du-lieu-mo-phong")
    (True, True)
    """
    return SYNTHETIC_MARK in fold_words(text)


# --- numbers ----------------------------------------------------------------------------

_NUMBER = r"\d[\d.,]*\d|\d"
_NUMBER_RE = re.compile(_NUMBER)
_THOUSANDS_DOT = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")
_ENGLISH = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_number(text: str) -> float:
    """One number written the Vietnamese way (see the module docstring).

    >>> parse_number("72.599"), parse_number("45,75"), parse_number("1.234,5")
    (72599.0, 45.75, 1234.5)
    """
    s = text.strip().replace(" ", "").replace("\u00a0", "")
    if not s:
        raise ValueError("empty number")
    if _THOUSANDS_DOT.match(s):
        return float(s.replace(".", "").replace(",", "."))
    if _ENGLISH.match(s) and "." in s:
        return float(s.replace(",", ""))
    if s.count(",") == 1 and "." not in s:
        return float(s.replace(",", "."))
    if s.count(".") == 1 and "," not in s:
        return float(s)
    if s.isdigit():
        return float(s)
    raise ValueError(f"not a number: {text!r}")


def decimals_shown(text: str) -> int:
    """How many decimals a number was written with ("45,75" → 2, "72.599" → 0)."""
    s = text.strip()
    if _THOUSANDS_DOT.match(s):
        return len(s.split(",")[1]) if "," in s else 0
    m = re.search(r"[.,](\d+)$", s)
    return len(m.group(1)) if m else 0


# --- values -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Parsed:
    """What a cell says.

    status is "ok", "missing" or "unparseable"; value is a fraction (0.4575); tolerance is
    half a unit of the last decimal the stated percentage was written with, as a fraction.
    """

    status: str
    value: float | None = None
    qualifier: str = "="
    numerator: float | None = None
    denominator: float | None = None
    tolerance: float = 0.005
    stated: bool = False  # a percentage was written, not only a ratio

    @property
    def ok(self) -> bool:
        return self.status == "ok"


MISSING = Parsed("missing")
UNPARSEABLE = Parsed("unparseable")

_QUALIFIERS: tuple[tuple[str, str], ...] = (
    (r"tro len|it nhat|toi thieu|>=|≥|tu \d", "≥"),
    (r"toi da|<=|≤|khong qua", "≤"),
    (r"tren|hon|vuot|>", ">"),
    (r"duoi|<|chua den|chua toi", "<"),
)
_BRACKETS = re.compile(r"\([^)]*\)")
_RATIO = re.compile(rf"({_NUMBER})\s*/\s*({_NUMBER})")
_PERCENT = re.compile(rf"({_NUMBER})\s*%")
# words that may stand beside a bare number without making it prose
_FILLER = re.compile(r"\b(dat|tren|hon|vuot|tro len|tu|duoi|it nhat|toi thieu|toi da|khoang)\b")


def qualifier_of(text: str) -> str:
    folded = fold(text)
    for pattern, qualifier in _QUALIFIERS:
        if re.search(pattern, folded):
            return qualifier
    return "="


def parse_value(cell: object) -> Parsed:
    """Read a result cell: a number from Excel, or text as districts write it.

    >>> p = parse_value("= 72599/33216 = 45,75%")
    >>> p.value, p.numerator, p.denominator
    (0.4575, 72599.0, 33216.0)
    >>> parse_value("hơn 96,5%").qualifier
    '>'
    """
    if cell is None:
        return MISSING
    if isinstance(cell, bool | CellNote | dt.date | dt.time | dt.timedelta):
        return UNPARSEABLE
    if isinstance(cell, int | float):
        x = float(cell)
        if math.isnan(x):
            return MISSING
        if math.isinf(x) or abs(x) >= NO_FIGURE:
            return UNPARSEABLE
        # Excel stores a %-formatted cell as a fraction: 0.74 shown as 74%.
        return Parsed("ok", round(x if abs(x) <= 1 else x / 100, 10), tolerance=0.00005,
                      stated=True)
    return _parse_text(str(cell))


#: a number this large in a result cell is no unit's figure (3,7 million people live in
#: the province): a phone or CCCD number typed there, or kept by Excel as a number
NO_FIGURE = 1e8


#: a minus written before a number: "-", "−" (U+2212), a dash, at the start of the cell or
#: after a space, "=", ":" or "("; a hyphen between two numbers ("10-20") is not a sign
_MINUS = re.compile(r"(?<![^\s=:(])[-\u2212\u2010-\u2014\ufe63\uff0d]\s?(?=\d)")


def _signed(text: str, start: int, x: float) -> float:
    """``x`` negative when the number read at ``start`` of ``text`` has a minus before it."""
    begin = max(0, start - 3)  # the minus, a space after it, and the character before it
    m = _MINUS.search(text[begin:start + 1])
    return -x if m and begin + m.end() == start else x


#: a day, month and year: 20/4/2024, 20-04-24, 2024-04-20
_DATE = re.compile(r"(?<![\d.,/])(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2})"
                   r"(?![\d.,/%])")


def _number(text: str) -> float:
    try:
        return abs(parse_number(text))
    except ValueError:
        return 0.0


@lru_cache(maxsize=1 << 16)
def _parse_text(cell: str) -> Parsed:
    text = nfc(cell)
    if not text or text in {"-", "—", "–", "x", "X", "…", "..."}:
        return MISSING
    if "%" not in text and _DATE.search(text):  # "20/4/2024": a date, not 20/4 = 500%
        return UNPARSEABLE
    if any(_number(m.group(0)) >= NO_FIGURE for m in _NUMBER_RE.finditer(text)):
        return UNPARSEABLE  # a phone or CCCD number, never a figure
    body = _BRACKETS.sub(" ", text)
    qualifier = qualifier_of(body)
    numerator = denominator = None
    ratio = _RATIO.search(body)
    rest = body
    if ratio:
        try:
            numerator = _signed(body, ratio.start(1), parse_number(ratio.group(1)))
            denominator = parse_number(ratio.group(2))
        except ValueError:
            return Parsed("unparseable")
        rest = body[: ratio.start()] + " " + body[ratio.end():]
    percent = _PERCENT.search(rest)
    if percent:
        try:
            stated = _signed(rest, percent.start(1), parse_number(percent.group(1)))
        except ValueError:
            return UNPARSEABLE
        digits = decimals_shown(percent.group(1))
        return Parsed("ok", round(stated / 100, 10), qualifier, numerator, denominator,
                      0.5 * 10 ** (-digits) / 100, True)
    if ratio:
        if not denominator:
            return Parsed("unparseable", numerator=numerator, denominator=denominator)
        return Parsed("ok", numerator / denominator, qualifier, numerator, denominator,
                      0.0, False)
    bare = _NUMBER_RE.search(rest)
    words = _FILLER.sub(" ", fold(_NUMBER_RE.sub(" ", rest)))
    if bare and len(_NUMBER_RE.findall(rest)) > 1:
        return UNPARSEABLE  # "0912 345 678", "45 75": which one is the figure?
    if bare and not re.search(r"[a-z]", words):
        try:
            x = _signed(rest, bare.start(), parse_number(bare.group(0)))
        except ValueError:
            return UNPARSEABLE
        digits = decimals_shown(bare.group(0))
        if abs(x) <= 1:  # a fraction, as Excel stores a %-formatted cell
            return Parsed("ok", x, qualifier, tolerance=0.5 * 10 ** (-max(digits, 2)),
                          stated=True)
        return Parsed("ok", round(x / 100, 10), qualifier,
                      tolerance=0.5 * 10 ** (-digits) / 100, stated=True)
    return UNPARSEABLE


def parse_target(cell: object) -> Parsed:
    """A target cell ("80% trở lên", "40% trở lên (năm 2024)", 0.9); a bare target means "≥"."""
    parsed = parse_value(cell)
    if parsed.ok and parsed.qualifier == "=":
        return Parsed("ok", parsed.value, "≥", tolerance=parsed.tolerance, stated=True)
    return parsed


# --- formatting (Vietnamese) ------------------------------------------------------------

def format_int(x: float | int | None) -> str:
    """72599 → "72.599"."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{round(x):,}".replace(",", ".")


def format_number(x: float | None, decimals: int = 2) -> str:
    """96.5 → "96,5" (trailing zeros dropped)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    s = f"{x:,.{decimals}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    if "," in s:
        s = s.rstrip("0").rstrip(",")
    return s


def format_percent(fraction: float | None, decimals: int = 2, qualifier: str = "=") -> str:
    """0.4575 → "45,75%"; with qualifier ">" → "trên 45,75%"."""
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return "—"
    text = format_number(fraction * 100, decimals) + "%"
    return {">": f"trên {text}", "≥": f"{text} trở lên", "<": f"dưới {text}",
            "≤": f"tối đa {text}"}.get(qualifier, text)


def format_points(delta: float | None) -> str:
    """A change in percentage points: 0.738 → "+73,8 điểm %"."""
    if delta is None or (isinstance(delta, float) and math.isnan(delta)):
        return "—"
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    return f"{sign}{format_number(abs(delta) * 100, 1)} điểm %"


def format_date(iso: str | None) -> str:
    """An ISO date the way a Vietnamese document writes it.

    >>> format_date("2024-04-20"), format_date(None)
    ('20/4/2024', '')
    """
    if not iso:
        return ""
    year, month, day = iso.split("-")
    return f"{int(day)}/{int(month)}/{year}"
