"""Findings back to the district: the annotated copy opens in LibreOffice, its flagged cells
are filled and commented, and the original is never modified."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from conftest import THUONG_XUAN, document
from openpyxl import load_workbook

from bakhong.ingest import sha256
from bakhong.synth.province import synthesize
from bakhong.views.annotate import FILLS, SUMMARY_SHEET, annotate


def _office() -> str:
    found = shutil.which("libreoffice") or shutil.which("soffice")
    assert found, "LibreOffice is missing: run `make libreoffice`"
    return found


def _to_pdf(path, tmp_path):
    out = subprocess.run([_office(), "--headless", "--convert-to", "pdf", "--outdir",
                          str(tmp_path / "pdf"), str(path)], capture_output=True, text=True,
                         timeout=180, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    pdf = tmp_path / "pdf" / f"{path.stem}.pdf"
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")


def test_thuong_xuan_annotated_copy(tmp_path):
    before = sha256(THUONG_XUAN)
    result = annotate(THUONG_XUAN, tmp_path)
    assert sha256(THUONG_XUAN) == before
    assert result.path.parent == tmp_path and result.findings == 4 and result.marked == 4
    wb = load_workbook(result.path)
    assert wb.sheetnames[0] == SUMMARY_SHEET
    sheet = wb["Bao cao 3 KHONG"]
    e20 = sheet["E20"]                              # TC09's swapped ratio
    assert e20.fill.fgColor.rgb.endswith(FILLS["error"])
    assert "tử số và mẫu số bị đảo" in e20.comment.text and "Cách sửa" in e20.comment.text
    assert sheet["E17"].fill.fgColor.rgb.endswith(FILLS["info"])     # TC06 below target
    assert sheet["E20"].value == load_workbook(THUONG_XUAN)["Bao cao 3 KHONG"]["E20"].value
    listed = [c.value for c in wb[SUMMARY_SHEET]["B"] if c.value]
    assert {"swapped_ratio", "denominator_inconsistent", "below_target"} <= set(listed)
    _to_pdf(result.path, tmp_path)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_synthetic_file_annotated_copy(tmp_path, suffix, make_file):
    if suffix == ".xlsx":
        truth = synthesize(31, tmp_path / "synthetic")
        defect = next(d for d in truth["defects"] if d["rule"] == "swapped_ratio")
        path = tmp_path / "synthetic" / defect["file"]
    else:
        path = make_file("386-ba-thuoc-2024.csv", document(TC07={"after": "120%"}))
    before = sha256(path)
    result = annotate(path, tmp_path / "out")
    assert sha256(path) == before
    assert result.marked >= 1
    wb = load_workbook(result.path)
    assert wb.sheetnames[0] == SUMMARY_SHEET
    filled = [c for ws in wb.worksheets[1:] for row in ws.iter_rows() for c in row
              if c.comment is not None]
    assert filled and all(c.fill.fgColor.rgb[-6:] in FILLS.values() for c in filled)
    if suffix == ".xlsx":
        assert "DỮ LIỆU MÔ PHỎNG" in wb[SUMMARY_SHEET]["A2"].value
    _to_pdf(result.path, tmp_path)


def test_annotate_cli_never_writes_into_data_raw(tmp_path):
    import os
    import sys

    from conftest import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "bakhong.cli", "annotate", str(THUONG_XUAN),
                          "--out", str(tmp_path)], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "thuong-xuan-2024-kiem-tra.xlsx").is_file()
    bad = subprocess.run([sys.executable, "-m", "bakhong.cli", "annotate",
                          str(tmp_path / "khong-co.xlsx")], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=120)
    assert bad.returncode == 2 and "khong-co.xlsx" in bad.stderr
    assert "Traceback" not in bad.stderr
