"""Build narrative reports as a district would send them: .docx (python-docx) and .md.

A spec is plain text: one paragraph per line, except runs of lines starting with "|", which
become one Word table (cells split on "|"; a Markdown separator row "|---|" is dropped).
Used by tests/test_narrative.py and benchmarks/narrative_accuracy.py.
"""

from __future__ import annotations

import re
from pathlib import Path

SEED_004 = Path("/work/shared/seeds/004_81482d3e0a9b0fc4.txt")
BUNDLED_004 = Path(__file__).resolve().parents[1] / "data" / "raw" / "narrative" / \
    "thuong-xuan-2024.md"


def _row(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def write_docx(spec: str, path: Path) -> Path:
    """A .docx whose paragraphs are the spec's lines (blank lines kept as empty paragraphs,
    as in the source) and whose "|" runs are Word tables."""
    import docx

    document = docx.Document()
    lines = spec.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip().startswith("|"):
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                cells = _row(lines[i])
                if not all(re.fullmatch(r":?-{2,}:?", c) or not c for c in cells):
                    rows.append(cells)
                i += 1
            width = max(len(r) for r in rows)
            table = document.add_table(rows=len(rows), cols=width)
            for r, cells in enumerate(rows):
                for c, text in enumerate(cells):
                    table.cell(r, c).text = text
            continue
        document.add_paragraph(line)
        i += 1
    document.save(str(path))
    return path


def seed_text() -> str:
    """Seed 004 (Thường Xuân's report), from the bundled verbatim copy."""
    return BUNDLED_004.read_text(encoding="utf-8")


def seed_as_docx_spec() -> str:
    """Seed 004's Markdown as the Word paragraphs it came from: heading marks, bold and the
    converter's ``$= … \\%$`` math removed, each line a paragraph (blank lines included)."""
    out = []
    for line in seed_text().splitlines():
        text = re.sub(r"^#{1,6}\s*", "", line)
        text = text.replace("**", "").replace("\\*", "*").replace("\\%", "%")
        text = re.sub(r"\$\s*([^$]*?)\s*\$", r"\1", text)
        text = re.sub(r"\*([^*]+)\*", r"\1", text)
        out.append(text.rstrip())
    return "\n".join(out)


def fold_marks(text: str) -> str:
    """Text without diacritics, the way OCR or a keyboard without Telex writes it."""
    import unicodedata

    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in unicodedata.normalize("NFD", text)
                   if not unicodedata.combining(ch))
