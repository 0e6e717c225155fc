"""Personal data never leaves the survey loader.

A project is written with survey files full of citizen ID numbers, names and phone numbers
(the generator's obvious fakes, and real-looking ones in a workbook and a CSV, some typed
into the wrong column), then everything a user runs is run as a real process: ``bakhong
synth-survey``, ``bakhong ingest``, ``bakhong check`` (text and JSON) and — once issue 4's
``bakhong batch`` is on main — the reports (:func:`run_report_step`, the hook). None of the
values may appear in ``data/processed``, ``reports``, any log file, the manifest, or the
commands' stdout/stderr.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
from conftest import ROOT
from pypdf import PdfReader
from test_survey import _province, write_xlsx

REAL_LOOKING = {
    "ids": ["038199012345", "038088001122", "038301234567", "038077665544"],
    "names": ["Nguyễn Thị Bí Mật", "Lê Văn Riêng Tư", "Trần Quốc Kín", "Phạm Thu Ẩn"],
    "phones": ["0912345678", "0987654321", "0356789012", "0778899001"],
}


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BAKHONG_HOME": str(root)}
    env.pop("BAKHONG_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "bakhong.cli", *args], capture_output=True,
                          text=True, cwd=root, env=env, timeout=300)


def run_report_step(root: Path) -> list[subprocess.CompletedProcess]:
    """HOOK for issue 4: build the reports when ``bakhong batch`` exists.

    Until issue 4 lands on main the CLI has no ``batch`` command and this returns no run;
    ``reports/`` is scanned either way, so the test starts covering reports the moment the
    command exists.
    """
    if "batch" not in run(root, "--help").stdout:
        return []
    return [run(root, "batch")]


def _write_surveys(raw: Path) -> None:
    ids, names, phones = (REAL_LOOKING[k] for k in ("ids", "names", "phones"))
    header = ["STT", "Họ và tên", "Số CCCD", "Năm sinh", "Số điện thoại", "Thôn",
              "Điện thoại thông minh", "Tài khoản ngân hàng", "Tài khoản VNeID",
              "Chữ ký điện tử", "Ghi chú"]
    rows = [["UBND XÃ NGA LIÊN, HUYỆN NGA SƠN — DANH SÁCH KHẢO SÁT"], header,
            [1, names[0], ids[0], 1980, phones[0], "Thôn 1", "x", "x", "x", "", ""],
            # an ID typed as a number (leading zero lost), a name in the notes
            [2, names[1], int(ids[1]), 1975, phones[1], "Thôn 1", "x", "", "x", "",
             f"con của {names[0]}"],
            # a phone number typed into the bank column: an unreadable row
            [3, names[2], ids[2], 1990, phones[2], "Thôn 2", "x", phones[2], "x", "x", ""],
            # the same person again
            [4, names[0], ids[0], 1980, phones[0], "Thôn 2", "x", "x", "x", "", ""]]
    write_xlsx(raw / "survey" / "nga-lien-2024.xlsx", {"Khao sat": rows})
    with (raw / "survey" / "nga-lien-bo-sung-2024.csv").open("w", encoding="utf-8",
                                                             newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Xã", "Huyện", "Họ tên", "CCCD", "Tuổi", "SĐT",
                         "Dien thoai thong minh", "Tai khoan ngan hang", "VNeID"])
        writer.writerow(["Nga Liên", "Nga Sơn", names[3], ids[3], "abc", phones[3], "x", "x",
                         "x"])
        writer.writerow(["Nga Liên", "Nga Sơn", names[3], ids[3], 41, phones[3], "x", "có",
                         ids[3]])


def _secrets(raw: Path) -> list[str]:
    generated = pl.read_parquet(next((raw / "survey").glob("*.parquet")))
    out = [*REAL_LOOKING["ids"], *REAL_LOOKING["names"], *REAL_LOOKING["phones"],
           REAL_LOOKING["ids"][1].lstrip("0")]
    for column in ("Số CCCD", "Họ và tên", "Số điện thoại"):
        out += generated[column].head(300).to_list() + generated[column].tail(300).to_list()
    return out


def _texts(folder: Path) -> dict[str, str]:
    """Every file under folder as text: Parquet files cell by cell, others decoded."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            frame = pl.read_parquet(path)
            cells = frame.select(pl.all().cast(pl.String)).rows() if frame.width else []
            out[str(path)] = "\n".join("\t".join(c or "" for c in row) for row in cells) + \
                "\n" + " ".join(frame.columns)
        elif path.suffix == ".pdf":  # what a reader sees: the text of every page
            out[str(path)] = "\n".join(page.extract_text() or ""
                                       for page in PdfReader(path).pages)
        else:
            out[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
    return out


def test_no_personal_data_reaches_processed_reports_logs_manifest_or_output(tmp_path):
    root = tmp_path / "project"
    raw = root / "data" / "raw"
    _province(raw / "tables")
    runs = [run(root, "synth-survey", "--seed", "4", "--from", "data/raw/tables", "--out",
                "data/raw/survey", "--people", "4000")]
    _write_surveys(raw)
    runs += [run(root, "ingest"), run(root, "check", "data/raw"),
             run(root, "check", "data/raw", "--json"),
             run(root, "check", "data/raw/survey/nga-lien-2024.xlsx", "data/raw/tables"),
             run(root, "show", "data/raw/survey/nga-lien-2024.xlsx")]
    reports = run_report_step(root)
    if reports:  # issue 4's batch is on main: the reports were built, and are scanned below
        assert reports[0].returncode == 0, reports[0].stderr[-2000:]
        assert (root / "reports" / "2024" / "manifest.json").is_file()
        assert len(list((root / "reports" / "2024").glob("*.html"))) > 3
    runs += reports
    assert all("Traceback" not in r.stderr for r in runs), [r.stderr for r in runs]
    assert runs[1].returncode == 0, runs[1].stderr
    processed = root / "data" / "processed"
    manifest = json.loads((processed / "manifest.json").read_text(encoding="utf-8"))
    # the loader did read them: a duplicate and the unreadable rows are accounted for
    nga_lien = [c for c in manifest["survey"]["communes_with_duplicates"]
                if c["commune_code"] == "16159"]
    assert nga_lien[0]["counted_twice"] == 1
    rejects = pl.read_parquet(processed / "survey_rejects.parquet")
    assert {("nga-lien-2024.xlsx", 5), ("nga-lien-bo-sung-2024.csv", 2),
            ("nga-lien-bo-sung-2024.csv", 3)} <= set(rejects.select("file", "row").rows())
    observations = pl.read_parquet(processed / "observations.parquet")
    assert "16159" in observations.filter(origin="survey")["unit_code"].to_list()

    texts = _texts(processed)
    if (root / "reports").exists():
        texts |= _texts(root / "reports")
    texts |= {str(p): p.read_text(errors="replace") for p in root.rglob("*.log")}
    for i, r in enumerate(runs):
        texts[f"run {i} stdout"] = r.stdout
        texts[f"run {i} stderr"] = r.stderr
    secrets = _secrets(raw)
    assert len(secrets) > 1000
    pdfs = [text for where, text in texts.items() if where.endswith(".pdf")]
    if reports:  # the PDFs were read as text, so the scan below sees what a reader sees
        assert pdfs and all("Thanh Hóa" in text or "tiêu chí" in text for text in pdfs)
    leaks = [(where, s) for where, text in texts.items() for s in secrets if s in text]
    assert leaks == []
    assert "Người Mô Phỏng" not in "".join(texts.values())


def test_the_people_table_has_no_personal_column(tmp_path):
    from bakhong import survey

    raw = tmp_path / "raw"
    _write_surveys(raw)
    found = survey.read_surveys([raw])
    assert set(found.people.columns) == set(survey.PEOPLE_SCHEMA)
    assert not {"cccd", "name", "phone_number", "_id", "_top"} & set(found.people.columns)
    text = str(found.people.to_dicts()) + str(found.rejects.to_dicts()) + \
        str(found.duplicates.to_dicts()) + str([f.as_dict() for f in found.findings])
    assert not [s for k in REAL_LOOKING.values() for s in k if s in text]
    assert found.duplicates["duplicates"].sum() == 1  # Bí Mật, written twice
