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

from ..contract import SYNTHETIC_MARK
from ..errors import UnknownUnitError
from ..vocab import units as units_mod
from ..vocab.catalog import Catalog, load_catalog
from ..vocab.parse import Parsed, fold_words, parse_value
from ..vocab.units import Unit
from ._blocks import _Block, read_blocks
from ._clauses import (
    _CLAUSE_SPLIT,
    _column_kinds,
    _content_words,
    _is_target,
    _match,
    _phase_marker,
    _qualified,
    _Value,
    _values,
)

NARRATIVE_SUFFIXES = (".docx", ".md", ".txt")


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
    #: the document as read, for the readers of its kind (plans, progress reports)
    blocks: list[_Block] = field(default_factory=list, repr=False)
    #: what was left unread (a text longer than :data:`~bakhong.read._blocks.MAX_TEXT_BYTES`)
    note: str = ""

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


class _Reader:
    def __init__(self, path: Path, blocks: list[_Block], period: str, catalog: Catalog,
                 targets: bool = False):
        self.path, self.blocks, self.period, self.catalog = path, blocks, period, catalog
        self.targets = targets  # a plan: the figures it aims at are what it states
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
            clauses = [(c, _values(c)) for c in self._clauses(block.text)]
            if not any(values for _, values in clauses):
                if len(block.text) < 200:
                    code, _ = _match(self.catalog, block.text)
                    heading_code = code
                    heading_phase = _phase_marker(block.text, self.period)
                continue
            self._block(block, heading_code, heading_phase, clauses)
        self._neighbourhood()

    @staticmethod
    def _clauses(text: str) -> list[str]:
        return [c.strip() for c in _CLAUSE_SPLIT.split(text) if c and c.strip()]

    def _block(self, block: _Block, heading_code: str | None, heading_phase: str | None,
               clauses: list[tuple[str, list[_Value]]]) -> None:
        sentence_code: str | None = None
        sentence_conf = 0.0
        block_code, block_conf = _match(self.catalog, block.text)
        for clause, values in clauses:
            if not values:
                code, conf = _match(self.catalog, clause)
                if code:
                    sentence_code, sentence_conf = code, conf
                continue
            kept = values if self.targets else [v for v in values
                                                if not _is_target(clause, v)]
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


_YEAR = re.compile(r"\bnam\s*(20\d\d)\b")


#: The first characters of a block where a title names the unit or the year.
_HEAD_CHARS = 2000


def _unit_of(blocks: list[_Block], period: str = "") -> tuple[str, Unit | None]:
    head = [b.text[:_HEAD_CHARS] for b in blocks[:15]]
    titled = [(text, unit) for text in head[:3]
              if (unit := units_mod.find_in_text(text, period or None)) is not None]
    # the title: "UBND HUYỆN THƯỜNG XUÂN", "XÃ NGA LIÊN"; under "UBND HUYỆN NGA SƠN" the
    # commune that writes ("UBND XÃ NGA LIÊN") is the unit
    for text, unit in titled:
        if unit.level == "commune" and any(u.code == unit.parent_code for _, u in titled):
            return text, unit
    if titled:
        return titled[0]
    for text in head:
        folded = fold_words(text)
        if re.search(r"\b(ubnd|uy ban nhan dan|ban chi dao)\b", folded):
            unit = units_mod.find_in_text(text, period or None)
            if unit is not None:
                return text, unit
    for text in head:
        m = re.match(r"^\s*([^,\d]{3,40}?),\s*ng[aà]y", text, re.I)
        if m:
            try:
                return m.group(1), units_mod.match(m.group(1), period=period or None)
            except UnknownUnitError:
                pass
    for text in head:
        unit = units_mod.find_in_text(text, period or None)
        if unit is not None:
            return text, unit
    for block in blocks:
        m = re.search(r"tren dia ban ((?:huyen|thi xa|thanh pho|xa|phuong|thi tran) \w+ \w+)",
                      fold_words(block.text))
        if m:
            unit = units_mod.find_in_text(m.group(1), period or None)
            if unit is not None:
                return block.text, unit
    return "", None


def _period_of(blocks: list[_Block], path: Path) -> str:
    for block in blocks[:15]:
        m = _YEAR.search(fold_words(block.text[:_HEAD_CHARS]))
        if m:
            return m.group(1)
    m = re.search(r"(20\d\d)", path.stem)
    return m.group(1) if m else ""


def read_narrative(path: str | Path, catalog: Catalog | None = None,
                   targets: bool = False) -> Narrative:
    """Read a narrative report: its unit, period, and every value statement.

    The unit is None when the text names none (the caller may fall back to the file name).
    ``targets``: read a plan, whose figures are all aims ("phấn đấu đạt 100%" is kept).

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
    period = _period_of(blocks, path)
    unit_text, unit = _unit_of(blocks, period)
    synthetic = any(SYNTHETIC_MARK in fold_words(b.text[:_HEAD_CHARS]) for b in blocks[:20])
    reader = _Reader(path, blocks, period, catalog, targets)
    reader.run()
    return Narrative(path, unit, unit_text, period, synthetic, reader.statements, reader.review,
                     blocks, blocks.note)


def iter_values(narrative: Narrative) -> Iterator[tuple[str, str, float | None, str]]:
    """(indicator, phase, value, qualifier) of each observation the narrative gives."""
    for s in narrative.primary()[0]:
        yield s.indicator or "", s.phase, s.parsed.value, s.parsed.qualifier
