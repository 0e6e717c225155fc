"""Read the figures out of narrative reports (.docx, .md, .txt) the way districts write them.

Districts report in Word: the 16 criteria as sentences ("Tỷ lệ người dân có điện thoại thông
minh/tổng số dân trong độ tuổi trưởng thành: 74%"), the pillars as stories ("Trước khi chưa
thực hiện tỷ lệ mới chỉ đạt 22,7% đến nay … đạt hơn 96,5%"), sometimes a Word table. This
module finds every statement that carries a value and says which indicator it is about.

How a statement is read (each step is a plain rule; tests pin them):

* **Blocks**: a .docx paragraph or table row, a line of .md/.txt (Markdown marks and
  ``$= … \\%$`` math removed; ``| a | b |`` lines are table rows). A line that starts in
  lower case (or with "(" after a line without final punctuation) continues the one before —
  OCR'd and hard-wrapped text, a Word paragraph split by a page break.
* **Values**: a percentage ("45,75%"), a ratio ("72599/33216", with its stated percentage
  when one follows: "= 72599/33216 = 45,75%", "48.210/61.900 người, đạt 77,88%"), numbers
  read with :func:`bakhong.parse.parse_value`. Not values: dates ("26/8/2024", "11/2024"),
  document numbers ("332/KH-UBND"), counts of units ("16/16 xã", "2/16 chỉ tiêu"), counts
  ("640 thành viên"), targets ("chưa đạt chỉ tiêu 80%", "phấn đấu … đạt 100%").
* **Qualifier**: the words just before the value ("trên", "hơn", "đạt trên", "vượt", "dưới")
  or "trở lên" just after it; "trên 15 tuổi" in a label is not a qualifier.
* **Phase**: the last marker before the value since the previous one ("trước", "khi chưa",
  "đầu năm", "từ X lên …" → before; "sau", "đến nay", "hiện nay", "lên" → after), else a
  marker right after it ("62% trước khi triển khai"), else the section heading, else after.
* **Indicator**: the catalog label or alias with the largest share of its words in the text
  beside the value (:meth:`Catalog.match_label`, diacritics folded), or "Tiêu chí 6" → TC06.
  A clause whose label comes first ("Tỷ lệ … đạt 74%") reads its label before each value; a
  clause that starts with the value ("100% cơ quan nhà nước gửi, nhận văn bản …") after it.
  A value with no label of its own ("…, sau khi thực hiện tỷ lệ đạt trên 90%") takes the
  indicator of the sentence or the heading it sits under.
* **Confidence** (0–1): how much of the indicator's full catalog label the text holds, lower
  for an inherited indicator. When one indicator and phase is stated twice, the most
  confident statement is the observation; the others are kept as ``claims`` for comparison.
* Numeric statements that match no indicator are kept in ``review``, never dropped, and never
  become observations.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import SourceError, UnknownUnitError
from ..vocab import units as units_mod
from ..vocab.catalog import Catalog, load_catalog
from ..vocab.parse import Parsed, fold_words, nfc, parse_number, parse_value
from ..vocab.units import Unit

NARRATIVE_SUFFIXES = (".docx", ".md", ".txt")
SYNTHETIC_MARK = "du lieu mo phong"
MATCH_SCORE = 80.0

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


# --- results ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Statement:
    """One value found in a narrative: what it says, where, and how sure the reading is.

    ``indicator`` is None for a statement under review (a value no indicator matched).
    """

    indicator: str | None
    phase: str
    parsed: Parsed
    value_text: str
    raw: str
    source: str
    confidence: float
    order: int = 0
    reason: str = ""


@dataclass
class Narrative:
    """A narrative report read: its unit, period and statements."""

    path: Path
    unit: Unit | None
    unit_text: str
    period: str
    synthetic: bool
    statements: list[Statement] = field(default_factory=list)
    review: list[Statement] = field(default_factory=list)

    def primary(self) -> tuple[list[Statement], list[Statement]]:
        """(the chosen statement of each indicator and phase, the other statements = claims)."""
        chosen: dict[tuple[str, str], Statement] = {}
        for s in self.statements:
            key = (s.indicator or "", s.phase)
            best = chosen.get(key)
            if best is None or s.confidence > best.confidence:
                chosen[key] = s
        picked = sorted(chosen.values(), key=lambda s: s.order)
        ids = {id(s) for s in picked}
        return picked, [s for s in self.statements if id(s) not in ids]


# --- blocks -----------------------------------------------------------------------------

@dataclass
class _Block:
    text: str
    source: str
    cells: tuple[str, ...] | None = None   # a table row
    table: int = 0                         # the table it belongs to (0 = none)
    header: tuple[str, ...] | None = None  # that table's header row


_MD_MATH = re.compile(r"\$([^$]*)\$")


def _clean(line: str) -> str:
    text = nfc(line).replace("\\%", "%").replace("\\*", "*").replace("\\_", "_")
    text = _MD_MATH.sub(lambda m: m.group(1), text)
    text = re.sub(r"^\s*#{1,6}\s*", "", text)
    text = re.sub(r"\*\*|__|(?<!\w)\*(?!\s)|(?<!\s)\*(?!\w)", "", text)
    text = text.replace("\\", "")
    return re.sub(r"\s+", " ", text).strip()


def _continues(previous: str, text: str) -> bool:
    if not previous or not text:
        return False
    first = text[0]
    if first.islower():
        return not re.match(r"^[a-zđ]\)", text)  # "a) …" starts an item
    return first == "(" and not re.search(r"[.:;!?]\s*$", previous) \
        and not re.match(r"^\(\d+\)", text)


def _split_row(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _text_blocks(path: Path) -> list[_Block]:
    data = path.read_bytes()
    text = None
    for encoding in ("utf-8-sig", "utf-16", "cp1258"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None or "\x00" in text:
        raise SourceError("không đọc được tệp văn bản (hãy lưu bằng UTF-8)", path.name)
    kind = "line"
    blocks: list[_Block] = []
    table = 0
    header: tuple[str, ...] | None = None
    previous_blank = True
    for number, line in enumerate(text.splitlines(), start=1):
        source = f"{path.name}:{kind} {number}"
        if line.strip().startswith("|") and line.count("|") >= 2:
            cells = tuple(_clean(c) for c in _split_row(line))
            if all(re.fullmatch(r":?-{2,}:?", c) or not c for c in cells):
                continue
            if header is None:
                table += 1
                header = cells
                blocks.append(_Block(" ".join(cells), source, cells, table, None))
            else:
                blocks.append(_Block(" ".join(cells), source, cells, table, header))
            previous_blank = False
            continue
        header = None
        cleaned = _clean(line)
        if not cleaned:
            previous_blank = True
            continue
        cleaned = re.sub(r"^[-–•+>]\s+", "", cleaned)
        last = blocks[-1] if blocks and blocks[-1].cells is None else None
        if last is not None and _continues(last.text, cleaned) and \
                (not previous_blank or not re.search(r"[.!?]\s*$", last.text)):
            last.text = f"{last.text} {cleaned}"
            last.source = source if re.search(r"\d\s*%|\d/\d", cleaned) else last.source
        else:
            blocks.append(_Block(cleaned, source))
        previous_blank = False
    return blocks


def _docx_blocks(path: Path) -> list[_Block]:
    try:
        import docx
        from docx.table import Table as DocxTable
        from docx.text.paragraph import Paragraph
    except ImportError:  # pragma: no cover - python-docx is a pinned dependency
        raise SourceError("cần gói python-docx để đọc tệp .docx", path.name) from None
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises zipfile/lxml/KeyError types
        raise SourceError(f"không phải tệp Word .docx hợp lệ ({type(exc).__name__})",
                          path.name) from None
    blocks: list[_Block] = []
    paragraph_no = 0
    table_no = 0
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            paragraph_no += 1
            cleaned = re.sub(r"^[-–•+]\s+", "", _clean(item.text))
            if not cleaned:
                continue
            source = f"{path.name}:paragraph {paragraph_no}"
            last = blocks[-1] if blocks and blocks[-1].cells is None else None
            if last is not None and _continues(last.text, cleaned):
                last.text = f"{last.text} {cleaned}"
                if re.search(r"\d\s*%|\d/\d", cleaned):
                    last.source = source
            else:
                blocks.append(_Block(cleaned, source))
        elif isinstance(item, DocxTable):
            table_no += 1
            header: tuple[str, ...] | None = None
            for row_no, row in enumerate(item.rows, start=1):
                cells: list[str] = []
                for cell in row.cells:
                    text = _clean(cell.text)
                    if cells and text == cells[-1] and text:
                        text = ""  # a merged cell repeats itself
                    cells.append(text)
                source = f"{path.name}:table {table_no} row {row_no}"
                blocks.append(_Block(" ".join(c for c in cells if c), source, tuple(cells),
                                     table_no, header))
                if header is None:
                    header = tuple(cells)
    return blocks


def read_blocks(path: Path) -> list[_Block]:
    if not path.is_file():
        raise SourceError("không tìm thấy tệp", str(path))
    if path.suffix.lower() == ".docx":
        return _docx_blocks(path)
    return _text_blocks(path)


# --- values in a clause -----------------------------------------------------------------

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
            re.match(r"^/\d", clause[m.end():]):  # "26/8/2024"
        return True
    before = fold_words(clause[max(0, m.start() - 12):m.start()])
    if re.search(r"\b(ngay|so|thang)$", before):
        return True
    return bool(_UNIT_NOUNS.match(fold_words(clause[m.end():m.end() + 20])))


def _values(clause: str) -> list[_Value]:
    found: list[_Value] = []
    taken: list[tuple[int, int]] = []
    for m in _RATIO.finditer(clause):
        if _is_date_or_count(clause, m):
            continue
        start = m.start()
        prefix = re.search(r"=\s*$", clause[:start])
        if prefix:
            start = prefix.start()
        end = m.end()
        text = clause[start:end]
        stated = _AFTER_RATIO.match(clause[end:])
        if stated and not _RATIO.search(clause[end:end + stated.end()]):
            text = f"{m.group(1)}/{m.group(2)} = {stated.group(1)}%"
            end = end + stated.end()
        found.append(_Value(start, end, text, "ratio"))
        taken.append((m.start(), end))
    for m in _PERCENT.finditer(clause):
        if any(a <= m.start() < b for a, b in taken):
            continue
        found.append(_Value(m.start(), m.end(), m.group(0), "percent"))
    return sorted(found, key=lambda v: v.start)


def _qualified(clause: str, value: _Value) -> tuple[Parsed, str]:
    """The value parsed with the qualifier its neighbouring words give it."""
    lead = fold_words(re.split(r"[:,;(]", clause[:value.start])[-1])
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
    suffix = " trở lên" if after.startswith("tro len") else ""
    text = f"{prefix}{value.text}{suffix}"
    return parse_value(text), text.strip()


def _is_target(clause: str, value: _Value) -> bool:
    lead = fold_words(clause[:value.start])
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


# --- indicators -------------------------------------------------------------------------

def _label_coverage(catalog: Catalog, code: str, text: str) -> float:
    words = set(fold_words(text).split())
    tokens = fold_words(catalog[code].label).split()
    return sum(t in words for t in tokens) / len(tokens)


def _most_specific(catalog: Catalog, folded: str) -> tuple[str | None, float]:
    """Like :meth:`Catalog.match_label`, but among the phrases present (≥ 80% of their
    words) the one that accounts for most words of the text wins: "thuê bao điện thoại thông
    minh có phần mềm an toàn" is TC13, not TC06 because "có điện thoại thông minh" is whole."""
    words = set(folded.split())
    best: tuple[int, float, str | None] = (-99, 0.0, None)
    for indicator in catalog.indicators:
        for phrase in (indicator.label, *indicator.aliases):
            tokens = fold_words(phrase).split()
            hits = sum(t in words for t in tokens)
            share = 100.0 * hits / len(tokens)
            specific = hits - 2 * (len(tokens) - hits)  # a missing word costs two found
            if share >= MATCH_SCORE and (specific, share) > best[:2]:
                best = (specific, share, indicator.code)
    if best[2] is None:
        return catalog.match_label(folded)
    return best[2], best[1]


def _match(catalog: Catalog, text: str) -> tuple[str | None, float]:
    """(code, confidence) of the indicator a piece of text names, if any."""
    folded = fold_words(text)
    if not folded:
        return None, 0.0
    numbered = _NUMBERED.search(folded)
    if numbered and 1 <= int(numbered.group(1)) <= 16:
        return f"TC{int(numbered.group(1)):02d}", 0.95
    code, score = _most_specific(catalog, folded)
    if code is None or score < MATCH_SCORE:
        return None, 0.0
    coverage = _label_coverage(catalog, code, text)
    return code, round(0.5 + 0.2 * (score / 100) + 0.3 * coverage, 3)


# --- reading ----------------------------------------------------------------------------

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


class _Reader:
    def __init__(self, path: Path, blocks: list[_Block], period: str, catalog: Catalog):
        self.path, self.blocks, self.period, self.catalog = path, blocks, period, catalog
        self.statements: list[Statement] = []
        self.review: list[Statement] = []
        self._all: list[Statement] = []
        self.block_of: list[int] = []
        self.block_no = 0
        self.order = 0

    def _add(self, code: str | None, phase: str, parsed: Parsed, value_text: str, raw: str,
             source: str, confidence: float, reason: str = "") -> None:
        self.order += 1
        statement = Statement(code, phase, parsed, value_text, raw, source, confidence,
                              self.order, reason)
        (self.statements if code else self.review).append(statement)
        self._all.append(statement)
        self.block_of.append(self.block_no)

    def _neighbourhood(self) -> None:
        """A statement inside a list of results (its neighbours state other indicators) is
        more likely the figure of record than a stray mention: up to +0.08."""
        codes: dict[int, set[str]] = {}
        for s, b in zip(self.statements, self.block_of_mapped(), strict=True):
            codes.setdefault(b, set()).add(s.indicator or "")
        out = []
        for s, b in zip(self.statements, self.block_of_mapped(), strict=True):
            near = set().union(*(codes.get(b + d, set()) for d in (-2, -1, 1, 2)))
            bonus = 0.02 * min(4, len(near - {s.indicator}))
            out.append(replace(s, confidence=round(min(1.0, s.confidence + bonus), 3)))
        self.statements = out

    def block_of_mapped(self) -> list[int]:
        mapped = [b for b, s in zip(self.block_of, self._all, strict=True) if s.indicator]
        return mapped

    def run(self) -> None:
        heading_code: str | None = None
        heading_phase: str | None = None
        for block_no, block in enumerate(self.blocks):
            self.block_no = block_no
            if block.cells is not None:
                self._row(block)
                continue
            values = [v for c in self._clauses(block.text) for v in _values(c)]
            if not values:
                if len(block.text) < 200:
                    code, _ = _match(self.catalog, block.text)
                    heading_code = code
                    heading_phase = _phase_marker(block.text, self.period)
                continue
            self._block(block, heading_code, heading_phase)
        self._neighbourhood()

    @staticmethod
    def _clauses(text: str) -> list[str]:
        return [c.strip() for c in _CLAUSE_SPLIT.split(text) if c and c.strip()]

    def _block(self, block: _Block, heading_code: str | None,
               heading_phase: str | None) -> None:
        sentence_code: str | None = None
        sentence_conf = 0.0
        block_code, block_conf = _match(self.catalog, block.text)
        for clause in self._clauses(block.text):
            values = [v for v in _values(clause)]
            if not values:
                code, conf = _match(self.catalog, clause)
                if code:
                    sentence_code, sentence_conf = code, conf
                continue
            kept = [v for v in values if not _is_target(clause, v)]
            if not kept:
                continue
            lead0 = clause[:kept[0].start]
            label_first = (bool(_content_words(lead0)) and _match(self.catalog, lead0)[0] \
                is not None) or len(_content_words(lead0)) > 4
            for i, value in enumerate(kept):
                lead_start = kept[i - 1].end if i else 0
                lead = clause[lead_start:value.start]
                trail_end = kept[i + 1].start if i + 1 < len(kept) else len(clause)
                trail = clause[value.end:trail_end]
                own = lead if label_first else trail
                if i == 0 and label_first:
                    own = clause[:value.start]
                code, conf = _match(self.catalog, own)
                if code is None and not label_first and i == 0:
                    code, conf = _match(self.catalog, lead)
                if code is None and len(_content_words(own)) <= 4:
                    if sentence_code:
                        code, conf = sentence_code, sentence_conf - 0.15
                    elif block_code:
                        code, conf = block_code, block_conf - 0.2
                    elif heading_code:
                        code, conf = heading_code, 0.6
                phase = self._phase(clause, lead, trail, heading_phase)
                parsed, text = _qualified(clause, value)
                if not parsed.ok:
                    continue
                if code is None:
                    self._add(None, phase, parsed, text, clause, block.source, 0.0,
                              "không khớp chỉ tiêu nào")
                    continue
                sentence_code, sentence_conf = code, conf
                self._add(code, phase, parsed, text, clause, block.source, max(conf, 0.3))

    def _phase(self, clause: str, lead: str, trail: str, heading_phase: str | None) -> str:
        if re.search(r"\btu\s*$", fold_words(lead)) and \
                re.match(r"^\s*(?:\(.*?\)\s*)?(?:truoc(?: khi)? trien khai\s*)?(?:len|den|toi)\b",
                         fold_words(trail)):
            return "before"  # "tăng từ 61% lên 82,5%"
        own = _phase_marker(lead, self.period)
        # a marker right after the value, before any separator, is about this value
        # ("62% trước khi triển khai"); one inside "(…)" or after "," is the next one's
        head = re.split(r"[,;(]|\bvà\b|\bva\b", trail)[0] if trail else ""
        trailing = _phase_marker(head, self.period, last=False) if head.strip() else None
        if trailing and trailing != "after":
            return trailing
        return own or trailing or heading_phase or "after"

    def _row(self, block: _Block) -> None:
        kinds = _column_kinds(block.header)
        cells = block.cells or ()
        if block.header is None:
            return  # the header row itself
        label = " ".join(c for c, k in zip(cells, kinds, strict=False)
                         if k in ("label", None) and c and not re.fullmatch(r"[\d.,%\s/=]+", c))
        stt = next((c for c, k in zip(cells, kinds, strict=False) if k == "stt"), "")
        if not label and not stt:
            return
        code, conf = _match(self.catalog, label)
        for cell, kind in zip(cells, kinds, strict=False):
            if kind not in ("before", "after") or not cell:
                continue
            parsed = parse_value(cell)
            if not parsed.ok:
                continue
            raw = f"{label}: {cell}" if label else cell
            if code is None:
                self._add(None, kind, parsed, cell, raw, block.source, 0.0,
                          "không khớp chỉ tiêu nào")
            else:
                self._add(code, kind, parsed, cell, raw, block.source, min(1.0, conf + 0.05))


# --- unit, period -----------------------------------------------------------------------

_YEAR = re.compile(r"\bnam\s*(20\d\d)\b")


def _unit_of(blocks: list[_Block]) -> tuple[str, Unit | None]:
    head = [b.text for b in blocks[:15]]
    for text in head[:3]:  # the title: "UBND HUYỆN THƯỜNG XUÂN", "XÃ NGA LIÊN"
        unit = units_mod.find_in_text(text)
        if unit is not None:
            return text, unit
    for text in head:
        folded = fold_words(text)
        if re.search(r"\b(ubnd|uy ban nhan dan|ban chi dao)\b", folded):
            unit = units_mod.find_in_text(text)
            if unit is not None:
                return text, unit
    for text in head:
        m = re.match(r"^\s*([^,\d]{3,40}?),\s*ng[aà]y", text, re.I)
        if m:
            try:
                return m.group(1), units_mod.match(m.group(1))
            except UnknownUnitError:
                pass
    for text in head:
        unit = units_mod.find_in_text(text)
        if unit is not None:
            return text, unit
    for block in blocks:
        m = re.search(r"tren dia ban ((?:huyen|thi xa|thanh pho|xa|phuong|thi tran) \w+ \w+)",
                      fold_words(block.text))
        if m:
            unit = units_mod.find_in_text(m.group(1))
            if unit is not None:
                return block.text, unit
    return "", None


def _period_of(blocks: list[_Block], path: Path) -> str:
    for block in blocks[:15]:
        m = _YEAR.search(fold_words(block.text))
        if m:
            return m.group(1)
    m = re.search(r"(20\d\d)", path.stem)
    return m.group(1) if m else ""


def read_narrative(path: str | Path, catalog: Catalog | None = None) -> Narrative:
    """Read a narrative report: its unit, period, and every value statement.

    The unit is None when the text names none (the caller may fall back to the file name).

    Raises
    ------
    SourceError : the file cannot be read as text or Word

    Examples
    --------
    >>> n = read_narrative("data/raw/narrative/thuong-xuan-2024.md")
    >>> n.unit.name, n.period
    ('Thường Xuân', '2024')
    >>> [(s.indicator, s.phase, s.parsed.value) for s in n.primary()[0][:2]]
    [('K1', 'before', 0.35), ('K1', 'after', 0.9)]
    """
    path = Path(path)
    catalog = catalog or load_catalog()
    blocks = read_blocks(path)
    unit_text, unit = _unit_of(blocks)
    period = _period_of(blocks, path)
    synthetic = any(SYNTHETIC_MARK in fold_words(b.text) for b in blocks[:20])
    reader = _Reader(path, blocks, period, catalog)
    reader.run()
    return Narrative(path, unit, unit_text, period, synthetic, reader.statements, reader.review)


def iter_values(narrative: Narrative) -> Iterator[tuple[str, str, float | None, str]]:
    """(indicator, phase, value, qualifier) of each observation the narrative gives."""
    for s in narrative.primary()[0]:
        yield s.indicator or "", s.phase, s.parsed.value, s.parsed.qualifier
