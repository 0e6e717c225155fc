"""Hostile Word and text narratives (issue 22): files built here in code, in variants.

* figures in a table nested in a Word table cell (one level, two, in a merged cell) are
  read; tables nested deeper than the bound are said, never a crash;
* a text longer than the bound (multi-line, one line, hard-wrapped, UTF-16) is read in its
  head with a ``partly_read`` finding, and the head's figures are observations;
* any file no reader can open (a broken zip, a zip that is no Word document, malformed XML,
  binary junk, an empty file, a huge line) is a ``load_error`` naming it, and the other
  files are read — also through ``bakhong check FOLDER`` as a process.

Timings are the benchmark's (benchmarks/narrative_long.py), not asserted here.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from pathlib import Path

import pytest
from test_survey_privacy import run

from bakhong.read import read_source, read_tables
from bakhong.read._blocks import MAX_TABLE_DEPTH, MAX_TEXT_BYTES

HEAD = ["UBND HUYỆN THƯỜNG XUÂN", "BÁO CÁO kết quả thực hiện mô hình 3 KHÔNG năm 2024"]
ROWS = [["STT", "Nội dung chỉ tiêu", "Trước triển khai", "Sau triển khai"],
        ["1", "Xử lý công việc trên môi trường điện tử", "", "100%"],
        ["6", "Người dân có điện thoại thông minh", "41%", "74%"],
        ["9", "Người dân có chữ ký điện tử cá nhân", "", "45,75%"]]


def _fill(table, rows: list[list[str]]) -> None:
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            table.cell(r, c).text = text


def _nested_docx(path: Path, depth: int, merged: bool = False) -> Path:
    """A report whose criteria table sits ``depth`` layout tables deep."""
    import docx

    document = docx.Document()
    for line in HEAD:
        document.add_paragraph(line)
    document.add_paragraph("Kết quả các chỉ tiêu như bảng dưới đây.")
    holder = document.add_table(rows=1, cols=2)
    holder.cell(0, 0).text = "Bảng tổng hợp"
    cell = holder.cell(0, 1)
    if merged:  # the layout row is one merged cell: the nested table is read once
        cell = holder.cell(0, 0).merge(holder.cell(0, 1))
    for _ in range(depth - 1):
        inner = cell.add_table(rows=1, cols=1)
        cell = inner.cell(0, 0)
    _fill(cell.add_table(rows=len(ROWS), cols=4), ROWS)
    document.save(str(path))
    return path


def _values(table) -> dict[tuple[str, str], float]:
    return {(r["indicator"], r["phase"]): r["value"]
            for r in table.observations.iter_rows(named=True)}


@pytest.mark.parametrize(("depth", "merged"), [(1, False), (2, False), (1, True),
                                               (MAX_TABLE_DEPTH, False)])
def test_figures_in_a_table_nested_in_a_word_table_are_read(tmp_path, depth, merged):
    table = read_source(_nested_docx(tmp_path / "thuong-xuan-2024.docx", depth, merged))
    got = _values(table)
    assert got[("TC06", "before")] == 0.41 and got[("TC06", "after")] == 0.74
    assert got[("TC09", "after")] == 0.4575 and got[("TC01", "after")] == 1.0
    assert table.unit.code == "396"
    # the row is named in the nested table (tables numbered as met), read once
    source = table.observations.filter(indicator="TC06", phase="before")["source"][0]
    assert re.fullmatch(r"thuong-xuan-2024\.docx:table \d+ row 3", source)
    assert table.claims.filter(indicator="TC06").height == 0
    assert not [f for f in table.findings if f.rule == "partly_read"]


def test_tables_nested_deeper_than_the_bound_are_said_not_a_crash(tmp_path):
    path = _nested_docx(tmp_path / "thuong-xuan-2024.docx", MAX_TABLE_DEPTH + 3)
    _, problems, _ = read_tables([path])
    # the figures lie below the bound: the document gives none, and says why
    [error] = [p for p in problems if p.rule == "load_error"]
    assert error.source == "thuong-xuan-2024.docx"
    assert f"quá {MAX_TABLE_DEPTH} lớp" in error.message


# -- a text longer than the bound ------------------------------------------------------------

_SENTENCES = [
    "Tỷ lệ người dân có điện thoại thông minh/tổng số dân trong độ tuổi trưởng thành: {}%.",
    "Tỷ lệ người dân có tài khoản thanh toán ngân hàng đạt {}%, tăng so với đầu năm.",
    "Người dân có chữ ký điện tử cá nhân đạt {}% (sau triển khai).",
    "Trước khi triển khai tỷ lệ xử lý công việc trên môi trường điện tử chỉ đạt {}%.",
]


def _long_text(size: int, rng: random.Random) -> str:
    lines = [*HEAD, ""]
    total = sum(len(x.encode()) for x in lines)
    while total < size:
        line = rng.choice(_SENTENCES).format(f"{rng.uniform(10, 99):.2f}".replace(".", ","))
        lines.append(line)
        total += len(line.encode()) + 1
    return "\n".join(lines)


@pytest.mark.parametrize("variant", ["lines", "one line", "hard-wrapped", "utf-16", "crlf"])
def test_a_text_longer_than_the_bound_is_read_in_its_head_and_said(tmp_path, variant):
    rng = random.Random(len(variant))
    text = _long_text(int(MAX_TEXT_BYTES * 2.5), rng)
    if variant == "one line":
        text = " ".join(text.split("\n"))
    elif variant == "hard-wrapped":  # each line continues the one before
        flat = " ".join(text.split("\n")[2:])
        text = "\n".join(HEAD) + "\n" + "\n".join(
            flat[i:i + 70].strip().lower() for i in range(0, len(flat), 70))
    data = {"utf-16": text.encode("utf-16"),
            "crlf": text.replace("\n", "\r\n").encode("utf-8")}.get(
        variant, text.encode("utf-8"))
    path = tmp_path / "thuong-xuan-2024.md"
    path.write_bytes(data)
    _, problems, tables = read_tables([path])
    assert [p.rule for p in problems if p.rule in ("load_error", "partly_read")] == [
        "partly_read"]
    [said] = [p for p in problems if p.rule == "partly_read"]
    assert said.source == "thuong-xuan-2024.md" and "MB" in said.message
    assert said.unit_code == "396" and "Tách báo cáo" in said.fix
    [table] = tables
    assert table.unit.code == "396"  # the head, decoded right (not as Windows-1258)
    assert table.observations.filter(indicator="TC06").height >= 1
    # only the head was read: no statement from beyond the bound
    lines = [int(m.group(1)) for s in table.claims["source"].to_list() +
             table.observations["source"].to_list()
             if (m := re.search(r":line (\d+)", s))]
    if variant in ("lines", "crlf"):
        assert max(lines) < text[:MAX_TEXT_BYTES].count("\n") + 2


def test_a_text_within_the_bound_is_read_whole_without_a_finding(tmp_path):
    text = _long_text(MAX_TEXT_BYTES // 2, random.Random(1))
    path = tmp_path / "thuong-xuan-2024.txt"
    path.write_text(text, encoding="utf-8")
    _, problems, [table] = read_tables([path])
    assert not [p for p in problems if p.rule in ("load_error", "partly_read")]
    last = len(text.split("\n"))
    sources = table.claims["source"].to_list() + table.observations["source"].to_list()
    assert f"thuong-xuan-2024.txt:line {last}" in sources or \
        f"thuong-xuan-2024.txt:line {last - 1}" in sources


def test_check_of_a_10_mb_narrative_says_it_was_read_in_part(tmp_path):
    path = tmp_path / "thuong-xuan-2024.md"
    path.write_text(_long_text(10 << 20, random.Random(10)), encoding="utf-8")
    result = run(tmp_path, "check", str(path))
    assert "Traceback" not in result.stderr and result.returncode in (0, 1), result.stderr
    assert "Chỉ đọc được một phần tệp" in result.stdout
    assert "Thường Xuân" in result.stdout


# -- files no reader can open --------------------------------------------------------------

def _docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("Tỷ lệ người dân có điện thoại thông minh: 74%")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _rewritten(data: bytes, name: str, content: bytes | None) -> bytes:
    """The zip ``data`` with member ``name`` replaced (or dropped when None)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            if item.filename != name:
                dst.writestr(item, src.read(item))
            elif content is not None:
                dst.writestr(item, content)
    return out.getvalue()


def _hostile_files(folder: Path) -> dict[str, bytes]:
    good = _docx_bytes()
    rng = random.Random(6)
    files = {
        "zip-cut.docx": good[: len(good) // 2],
        "zip-khong-phai-word.docx": _rewritten(good, "word/document.xml", None),
        "xml-hong.docx": _rewritten(good, "word/document.xml", b"<w:document><w:body><w:p>"),
        "rac.docx": bytes(rng.randrange(256) for _ in range(5000)),
        "rong.docx": b"",
        "rac.txt": bytes(rng.randrange(256) for _ in range(20000)) + b"\x00" * 100,
        "rong.md": b"",
        "mot-dong.txt": b"a" * (3 << 20),
        "so-hong.md": ("9" * 400 + "%/" + "1" * 400).encode() * 3000,
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "thuong-xuan-2024.md").write_text(
        "\n".join(HEAD) + "\nTỷ lệ người dân có điện thoại thông minh: 74%\n",
        encoding="utf-8")
    return files


def test_every_unreadable_narrative_is_a_load_error_naming_it(tmp_path):
    files = _hostile_files(tmp_path / "raw")
    _, problems, tables = read_tables([tmp_path / "raw"])
    errors = {p.source: p.message for p in problems if p.rule == "load_error"}
    expected = set(files) - {"so-hong.md"}  # its figures are read (and judged)
    assert expected <= set(errors), (sorted(errors), sorted(expected))
    assert all("không mong đợi" not in m and "Traceback" not in m for m in errors.values())
    assert "thuong-xuan-2024.md" in {t.path.name for t in tables}


def test_check_of_a_folder_of_broken_narratives_goes_on(tmp_path):
    files = _hostile_files(tmp_path / "raw")
    result = run(tmp_path, "check", str(tmp_path / "raw"))
    assert "Traceback" not in result.stderr and result.returncode in (0, 1), result.stderr
    for name in set(files) - {"so-hong.md"}:
        assert name in result.stdout, name
    assert "Thường Xuân" in result.stdout
