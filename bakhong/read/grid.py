"""The cells of a table file: the sheets of a workbook (python-calamine) or a CSV in any of
the encodings and delimiters districts save, as rows of values. Read only.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ..errors import SourceError


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _read_workbook(path: Path) -> list[tuple[str, list[list[Any]]]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types for every broken file
        raise SourceError(f"không phải bảng tính Excel hợp lệ ({type(exc).__name__}: {exc})",
                          path.name) from None
    sheets = []
    for name in workbook.sheet_names:
        try:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:
            raise SourceError(f"không đọc được trang “{name}” ({exc})", path.name) from None
        sheets.append((name, rows))
    return sheets


def _decode(data: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    try:
        return data.decode("cp1258")  # Windows Vietnamese
    except UnicodeDecodeError:
        raise SourceError("không đọc được mã ký tự của tệp CSV (hãy lưu bằng UTF-8)",
                          path.name) from None


def _read_csv(path: Path) -> list[tuple[str, list[list[Any]]]]:
    data = path.read_bytes()
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError("không phải tệp văn bản CSV", path.name)
    text = _decode(data, path)
    delimiter = sniff_delimiter("\n".join(text.splitlines()[:30]))
    rows = [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]
    return [("", rows)]


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample: ";", "," or tab. A semicolon wins when it is common
    enough, since a decimal comma in a comma-delimited file is always quoted anyway."""
    counts = {d: sample.count(d) for d in (";", ",", "\t")}
    if counts[";"] and counts[";"] >= counts[","] / 3:
        return ";"
    return max(counts, key=counts.get)


def read_grids(path: Path) -> list[tuple[str, list[list[Any]]]]:
    """The sheets of a table file as (name, rows of cell values); CSV has one unnamed sheet."""
    if not path.is_file():
        raise SourceError("không tìm thấy tệp", str(path))
    if path.suffix.lower() == ".csv":
        return _read_csv(path)
    return _read_workbook(path)
