"""A narrative document as blocks: a .docx paragraph or table row, a line of .md/.txt (Markdown
marks and math removed, ``| a | b |`` lines as table rows), a hard-wrapped or page-split
paragraph joined again. Each block knows its :class:`~bakhong.contract.Source`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..contract import Source
from ..errors import SourceError
from ..vocab.parse import format_int, nfc
from .grid import decode_text


@dataclass
class _Block:
    text: str
    source: str
    cells: tuple[str, ...] | None = None   # a table row
    table: int = 0                         # the table it belongs to (0 = none)
    header: tuple[str, ...] | None = None  # that table's header row


_MD_MATH = re.compile(r"\$([^$]*)\$")
_MD_HEADING = re.compile(r"^\s*#{1,6}\s*")
_MD_EMPHASIS = re.compile(r"\*\*|__|(?<!\w)\*(?!\s)|(?<!\s)\*(?!\w)")
_SPACES = re.compile(r"\s+")


def _clean(line: str) -> str:
    text = nfc(line).replace("\\%", "%").replace("\\*", "*").replace("\\_", "_")
    text = _MD_MATH.sub(lambda m: m.group(1), text)
    text = _MD_HEADING.sub("", text)
    text = _MD_EMPHASIS.sub("", text)
    text = text.replace("\\", "")
    return _SPACES.sub(" ", text).strip()


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


#: A narrative's text is read up to this many bytes (a 100-page report is 300 KB of text);
#: the rest is left unread and said (``partly_read``), so that a 10 MB file is read in
#: bounded time and memory.
MAX_TEXT_BYTES = 512 << 10
#: Tables nested in a Word table cell are read down to this depth.
MAX_TABLE_DEPTH = 4


class Blocks(list[_Block]):
    """A document's blocks, and ``note``: what was left unread (empty when all was read)."""

    note: str = ""


def _utf8_whole(data: bytes) -> bytes:
    """``data`` cut back to its last line end, else to its last whole UTF-8 character."""
    end = data.rfind(b"\n")
    if end > 0:
        return data[:end + 1]
    cut = len(data)
    while cut > 0 and len(data) - cut < 3 and 0x80 <= data[cut - 1] < 0xC0:
        cut -= 1  # continuation bytes of a character cut in two
    return data[:cut - 1] if cut and data[cut - 1] >= 0xC0 else data[:cut]


def _read_text(path: Path) -> tuple[str, str]:
    """(the text of a .txt/.md file, up to :data:`MAX_TEXT_BYTES`; what was left unread)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        data = handle.read(MAX_TEXT_BYTES)
    note = ""
    if size > len(data):
        utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff")) or \
            data[:4096].count(0) > len(data[:4096]) // 4
        data = data[:len(data) - len(data) % 2] if utf16 else _utf8_whole(data)
        note = (f"văn bản dài {size / (1 << 20):.1f} MB".replace(".", ",") +
                f", chỉ đọc {MAX_TEXT_BYTES >> 10} KB đầu; phần sau không được đọc")
    text = decode_text(data, path.name, "tệp văn bản")
    if "\x00" in text:
        raise SourceError("không đọc được tệp văn bản (hãy lưu bằng UTF-8)", path.name)
    return text, note


def _text_blocks(path: Path) -> Blocks:
    text, note = _read_text(path)
    blocks = Blocks()
    blocks.note = note
    table = 0
    header: tuple[str, ...] | None = None
    previous_blank = True
    # the lines a paragraph continues on, joined once at its end: joining them one by
    # one copies the paragraph again at each line (a hard-wrapped 10 MB text is quadratic)
    parts: list[str] = []

    def close() -> None:
        _flush(blocks, parts)

    for number, line in enumerate(text.splitlines(), start=1):
        source = Source(path.name, kind="line", number=number).render()
        if line.strip().startswith("|") and line.count("|") >= 2:
            close()
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
        if last is not None and _continues(parts[-1] if parts else last.text, cleaned) and \
                (not previous_blank or not re.search(r"[.!?]\s*$", parts[-1] if parts
                                                     else last.text)):
            parts.append(cleaned)
            last.source = source if re.search(r"\d\s*%|\d/\d", cleaned) else last.source
        else:
            close()
            blocks.append(_Block(cleaned, source))
        previous_blank = False
    close()
    return blocks


def _flush(blocks: list[_Block], parts: list[str]) -> None:
    """The lines (or Word paragraphs) that continue the last block, joined to it at once."""
    if parts and blocks and blocks[-1].cells is None:
        blocks[-1].text = " ".join([blocks[-1].text, *parts])
    parts.clear()


def _row_cells(row: Any) -> tuple[list[str], list[Any]]:
    """A Word table row's cell texts (a merged cell's repeat blank) and the tables nested in
    its cells, each cell once."""
    cells: list[str] = []
    nested: list[Any] = []
    seen: set[int] = set()
    for cell in row.cells:
        text = _clean(cell.text)
        if cells and text == cells[-1] and text:
            text = ""  # a merged cell repeats itself
        cells.append(text)
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            nested.extend(cell.tables)
    return cells, nested


def _table_blocks(path: Path, table: Any, blocks: Blocks, counter: list[int],
                  depth: int = 0) -> None:
    """The rows of a Word table as blocks, then (after the row that holds them) the rows of
    the tables nested in its cells — a district's figures sometimes sit in a table inside a
    layout table — down to :data:`MAX_TABLE_DEPTH`."""
    counter[0] += 1
    table_no = counter[0]
    header: tuple[str, ...] | None = None
    for row_no, row in enumerate(table.rows, start=1):
        cells, nested = _row_cells(row)
        source = Source(path.name, kind="table", number=table_no, row=row_no).render()
        blocks.append(_Block(" ".join(c for c in cells if c), source, tuple(cells),
                             table_no, header))
        if header is None:
            header = tuple(cells)
        if nested and depth >= MAX_TABLE_DEPTH:
            blocks.note = (f"bảng lồng trong bảng quá {MAX_TABLE_DEPTH} lớp ({source}), các "
                           f"bảng ở lớp sâu hơn không được đọc")
            continue
        for inner in nested:
            _table_blocks(path, inner, blocks, counter, depth + 1)


def _docx_blocks(path: Path) -> Blocks:
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
    blocks = Blocks()
    paragraph_no, counter, read = 0, [0], 0
    parts: list[str] = []
    try:
        for item in document.iter_inner_content():
            if read > MAX_TEXT_BYTES:
                blocks.note = "; ".join(filter(None, (
                    blocks.note, f"văn bản dài hơn {format_int(MAX_TEXT_BYTES)} ký tự, chỉ "
                                 f"đọc phần đầu, phần sau không được đọc")))
                break
            if isinstance(item, Paragraph):
                paragraph_no += 1
                text = item.text
                read += len(text)
                _paragraph_block(path, text, paragraph_no, blocks, parts)
            elif isinstance(item, DocxTable):
                _flush(blocks, parts)
                before = len(blocks)
                _table_blocks(path, item, blocks, counter)
                read += sum(len(b.text) for b in blocks[before:])
    except Exception as exc:  # a part of the document python-docx cannot walk
        raise SourceError(f"không đọc được nội dung tệp Word ({type(exc).__name__})",
                          path.name) from None
    _flush(blocks, parts)
    return blocks


def _paragraph_block(path: Path, text: str, number: int, blocks: list[_Block],
                     parts: list[str]) -> None:
    """A Word paragraph: a block, or (``parts``) the continuation of the one before."""
    cleaned = re.sub(r"^[-–•+]\s+", "", _clean(text))
    if not cleaned:
        return
    source = Source(path.name, kind="paragraph", number=number).render()
    last = blocks[-1] if blocks and blocks[-1].cells is None else None
    if last is not None and _continues(parts[-1] if parts else last.text, cleaned):
        parts.append(cleaned)
        if re.search(r"\d\s*%|\d/\d", cleaned):
            last.source = source
    else:
        _flush(blocks, parts)
        blocks.append(_Block(cleaned, source))


def read_blocks(path: Path) -> Blocks:
    """The blocks of a narrative document (``note``: what was left unread)."""
    if not path.is_file():
        raise SourceError("không tìm thấy tệp", str(path))
    if path.suffix.lower() == ".docx":
        return _docx_blocks(path)
    return _text_blocks(path)
