"""What calamine cannot be trusted to tell about an .xlsx before it reads it: how far each
sheet's cells reach (one character typed in XFD1048576 makes calamine allocate the whole
rectangle — 512 GB — and abort the process), and which cells hold an Excel error
(``#DIV/0!``, ``#REF!``…) or a formula saved without its value, both of which calamine reads
as blank. Read from the sheet XML with byte searches only; nothing is written.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from posixpath import join, normpath
from xml.etree import ElementTree

#: a sheet XML larger than this (uncompressed) is not read at all
MAX_SHEET_BYTES = 400 << 20

_NS = r"(?:[\w.-]+:)?"
_ROW = re.compile(rb"<" + _NS.encode() + rb"row\b[^>]*?\br=\"(\d+)\"")
_WIDE = re.compile(rb"<" + _NS.encode() + rb"c\b[^>]*?\br=\"([A-Z]{2,3})(\d+)\"[^>]*?(/?)>")
_ERROR = re.compile(rb"<" + _NS.encode() + rb"c\b[^>]*?\br=\"([A-Z]{1,3})(\d+)\"[^>]*?\bt=\"e\""
                    rb"[^>]*>.*?<" + _NS.encode() + rb"v>([^<]{1,20})<", re.S)
_UNCACHED = re.compile(
    rb"<" + _NS.encode() + rb"c\b[^>]*?\br=\"([A-Z]{1,3})(\d+)\"[^>/]*>\s*<" + _NS.encode()
    + rb"f\b[^>]*(?:/>|>[^<]*</" + _NS.encode() + rb"f>)\s*(?:<" + _NS.encode() + rb"v\s*/>|<"
    + _NS.encode() + rb"v>\s*</" + _NS.encode() + rb"v>)?\s*</" + _NS.encode() + rb"c>", re.S)
_ERRORS = {"#DIV/0!", "#REF!", "#VALUE!", "#N/A", "#NAME?", "#NUM!", "#NULL!", "#SPILL!",
           "#CALC!", "#GETTING_DATA"}


@dataclass
class SheetScan:
    """One sheet as its XML has it: how far its cells reach (1-based), and the cells that
    hold an error or an uncached formula, by (row, column) 0-based."""

    rows: int = 0
    columns: int = 0
    too_large: bool = False
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    uncached: set[tuple[int, int]] = field(default_factory=set)

    @property
    def area(self) -> int:
        return self.rows * self.columns


def column_number(letters: bytes | str) -> int:
    """"A" → 1, "XFD" → 16384."""
    n = 0
    for ch in letters if isinstance(letters, str) else letters.decode():
        n = n * 26 + ord(ch) - 64
    return n


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its XML member, from the workbook and its relationships."""
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    out = {}
    for sheet in workbook.iter():
        if not sheet.tag.endswith("}sheet"):
            continue
        target = targets.get(sheet.get(rel_ns), "")
        member = target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))
        out[sheet.get("name", "")] = member
    return out


def _scan_sheet(data: bytes) -> SheetScan:
    scan = SheetScan()
    scan.rows = max((int(m.group(1)) for m in _ROW.finditer(data)), default=0)
    scan.columns = 26
    for m in _WIDE.finditer(data):
        if not m.group(3):  # a styled empty cell holds nothing
            scan.columns = max(scan.columns, column_number(m.group(1)))
            scan.rows = max(scan.rows, int(m.group(2)))
    if b't="e"' in data:
        for m in _ERROR.finditer(data):
            text = m.group(3).decode(errors="replace").strip()
            if text in _ERRORS:
                scan.errors[(int(m.group(2)) - 1, column_number(m.group(1)) - 1)] = text
    if b"<f" in data or b":f" in data:
        for m in _UNCACHED.finditer(data):
            scan.uncached.add((int(m.group(2)) - 1, column_number(m.group(1)) - 1))
    return scan


def scan_xlsx(path: Path) -> dict[str, SheetScan]:
    """Each sheet's reach and problem cells; {} when the file is not a readable .xlsx (the
    reader says why)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = _sheet_paths(archive)
            out = {}
            for name, member in members.items():
                try:
                    info = archive.getinfo(member)
                except KeyError:
                    continue
                if info.file_size > MAX_SHEET_BYTES:
                    out[name] = SheetScan(too_large=True)
                    continue
                out[name] = _scan_sheet(archive.read(member))
            return out
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError, ValueError):
        return {}
