"""A narrative document as blocks: a .docx paragraph or table row, a line of .md/.txt (Markdown
marks and math removed, ``| a | b |`` lines as table rows), a hard-wrapped or page-split
paragraph joined again. Each block knows its :class:`~bakhong.contract.Source`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..contract import Source
from ..errors import SourceError
from ..vocab.parse import nfc
from .grid import decode_text


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
    text = decode_text(data, path.name, "tệp văn bản")
    if "\x00" in text:
        raise SourceError("không đọc được tệp văn bản (hãy lưu bằng UTF-8)", path.name)
    blocks: list[_Block] = []
    table = 0
    header: tuple[str, ...] | None = None
    previous_blank = True
    for number, line in enumerate(text.splitlines(), start=1):
        source = Source(path.name, kind="line", number=number).render()
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
            source = Source(path.name, kind="paragraph", number=paragraph_no).render()
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
                source = Source(path.name, kind="table", number=table_no, row=row_no).render()
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
