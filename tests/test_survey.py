"""Survey microdata: headers, yes/no cells, ages, units, unreadable rows, duplicates,
indicators, the survey-versus-report comparison and the synthetic generator."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import polars as pl
import pytest
from conftest import document

import bakhong
from bakhong import survey
from bakhong.checks import check, check_paths, load_paths
from bakhong.read import table_files
from bakhong.survey import _duplicates, _read
from bakhong.synth import survey as survey_synth
from bakhong.synth.template import Document, write
from bakhong.vocab.parse import format_percent


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8-sig") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


@pytest.mark.parametrize(("header", "field"), [
    ("Họ và tên", "name"), ("HO TEN", "name"), ("Số CCCD", "cccd"),
    ("so can cuoc cong dan", "cccd"),
    ("CMND/CCCD", "cccd"), ("Số điện thoại", "phone_number"), ("SĐT", "phone_number"),
    ("Điện thoại", "phone"), ("Có điện thoại thông minh", "smartphone"),
    ("Dien thoai thong minh", "smartphone"), ("Thuê bao chính chủ", "sim_own"),
    ("SIM chinh chu", "sim_own"), ("Tài khoản định danh điện tử (VNeID)", "vneid"),
    ("VNeID", "vneid"), ("TK dịch vụ công trực tuyến", "dvc"), ("Tài khoản ngân hàng", "bank"),
    ("Tai khoan thanh toan", "bank"), ("Chữ ký điện tử", "esign"), ("chu ky so", "esign"),
    ("Năm sinh", "birth_year"), ("Ngày tháng năm sinh", "birth_year"), ("Tuổi", "age"),
    ("Thôn", "village"), ("Tên thôn/bản", "village"), ("Xã", "commune"),
    ("Xã/phường/thị trấn", "commune"), ("Huyện", "district"), ("Mã xã", "commune_code"),
    ("Giới tính", None), ("Ghi chú", None), ("STT", None),
])
def test_headers_with_or_without_diacritics(header, field):
    assert survey.classify_header(header) == field
    assert survey.classify_header(unicodedata.normalize("NFD", header)) == field


HEADER = ["STT", "Họ và tên", "Số CCCD", "Tuổi", "Số điện thoại", "Thôn", "Điện thoại",
          "Điện thoại thông minh", "Thuê bao chính chủ", "Tài khoản VNeID",
          "Tài khoản dịch vụ công", "Tài khoản ngân hàng", "Chữ ký điện tử"]


def test_yes_no_written_every_way_and_unreadable_rows_reported(tmp_path):
    rows = [
        ["Phiếu khảo sát người từ 15 tuổi trở lên — xã Nga Liên, huyện Nga Sơn"],
        HEADER,
        [1, "A", "038090000001", 40, "0912000001", "Thôn 1", "x", "có", "Có", "1", "TRUE",
         "co", "X"],
        [2, "B", "038090000002", 30, "0912000002", "Thôn 1", "", "không", "0", "FALSE", "",
         "khong", "chưa"],
        [3, "C", "038090000003", 16, "0912000003", "Thôn 2", "x", "x", "", "", "", "x", ""],
        [4, "D", "038090000004", 50, "0912000004", "Thôn 2", "x", "??", "", "", "", "x", ""],
        [5, "E", "038090000005", "không rõ", "0912000005", "Thôn 2", "x", "x", "", "", "", "",
         ""],
        [6, "F", "038090000006", 9, "0912000006", "Thôn 2", "", "", "", "", "", "", ""],
        ["", "", "", "", "", "", "", "", "", "", "", "", ""],
        [7, "G", "038090000007", "45 tuổi", "0912000007", "Thôn 2", "v", "✓", "", "", "", "",
         ""],
    ]
    path = write_csv(tmp_path / "survey" / "nga-lien-2023.csv", rows)
    found = survey.read_surveys([path])
    people = found.located().sort("row")
    assert people["row"].to_list() == [3, 4, 5, 10]
    first = people.row(0, named=True)
    assert all(first[f] for f in survey.YESNO_FIELDS)
    second = people.row(1, named=True)
    assert not any(second[f] for f in survey.YESNO_FIELDS)
    assert people["age"].to_list() == [40, 30, 16, 45]
    assert set(people["commune_code"]) == {"16159"} and set(people["district_code"]) == {"401"}
    assert people["village_code"].to_list()[:2] == ["16159-thon-1"] * 2
    assert set(people["period"]) == {"2023"} and set(people["phase"]) == {"after"}
    # unreadable: row 6 ("??" smartphone), row 7 (age), row 8 (aged 9); row 9 blank
    rejects = found.rejects.sort("row")
    assert rejects.select("row", "column").rows() == [
        (6, "Điện thoại thông minh"), (7, "Tuổi"), (8, "Tuổi")]
    assert found.files[0].rejected == 3 and found.files[0].people == 4
    messages = [f.message for f in found.findings]
    assert len(messages) == 3 and all(f.rule == "unparseable" for f in found.findings)
    smart = next(f for f in found.findings if f.indicator == "TC06")
    assert "dòng 6" in smart.message and "??" not in smart.message
    assert smart.source == "nga-lien-2023.csv!H6"



def test_yes_no_cells_with_spaces_or_odd_case_read_like_their_words(tmp_path):
    """Cells read by their exact spelling and cells that must be stripped and lower-cased
    first give the same answers; a blank of spaces is blank, a word that is neither is
    unreadable."""
    nfd = unicodedata.normalize("NFD", "Có")
    rows = [HEADER,
            [1, "A", "", 40, "", "Thôn 1", " x ", "ĐÃ CÓ ", nfd, "yEs", " 1", "Rồi", "√ "],
            [2, "B", "", 40, "", "Thôn 1", " Không ", "kO", "  ", "FaLsE", "0 ", "CHƯA CÓ", ""],
            [3, "C", "", 40, "", "Thôn 1", "X", "Có", "KHÔNG", "", "", "", ""],
            [4, "D", "", 40, "", "Thôn 1", "x", "xx", "", "", "", "", "có nhưng"],
            [5, "", "", "", "", "", "  ", " ", "", "", "", "", ""]]
    path = write_csv(tmp_path / "survey" / "nga-lien-2024.csv", rows)
    found = survey.read_surveys([path])
    fields = list(survey.YESNO_FIELDS)
    assert found.people.sort("row").select(fields).rows() == [
        (True,) * 7, (False,) * 7, (True, True) + (False,) * 5]
    assert found.rejects.sort("column").select("row", "column").rows() == [
        (5, "Chữ ký điện tử"), (5, "Điện thoại thông minh")]
    assert found.files[0].blank == 1 and found.files[0].people == 3

def test_workbook_read_with_calamine_location_from_title_and_sheets(tmp_path):
    head = ["Họ tên", "CCCD", "Năm sinh", "Dien thoai thong minh", "Tai khoan ngan hang",
            "VNeID", "Chu ky dien tu"]
    sheets = {
        "Thon Dong": [["UBND XÃ NGA LIÊN, HUYỆN NGA SƠN"], [], head,
                      ["Người 1", 38090000011, 1980, "x", "x", "x", ""],
                      ["Người 2", "038090000012", 2008, "x", "", "x", ""],
                      ["", "", "", "", "", "", ""],
                      ["NGƯỜI LẬP BIỂU", "", "", "", "", "", ""]],
        "Thon Tay": [["UBND XÃ NGA LIÊN, HUYỆN NGA SƠN"], head,
                     ["Người 3", "038090000011", 1990, "", "x", "", "x"],
                     ["Người 4", "12345", 1970, "x", "x", "x", "x"]],
    }
    path = write_xlsx(tmp_path / "khao-sat-2024.xlsx", sheets)
    found = survey.read_surveys([path])
    people = found.located().sort("village_name", "row")
    assert people["village_name"].to_list() == ["Thon Dong", "Thon Dong", "Thon Tay", "Thon Tay"]
    assert people["age"].to_list() == [44, 16, 34, 54]
    assert set(people["commune_code"]) == {"16159"}
    # 38090000011 (a number cell that lost its leading zero) is the same person as
    # "038090000011": counted twice, once in the indicators
    assert people["duplicate"].to_list() == [False, False, True, False]
    assert found.duplicates.select("commune_code", "duplicates", "invalid_ids").rows() == [
        ("16159", 1, 1)]
    assert "_id" not in found.people.columns and "cccd" not in found.people.columns
    obs = survey.indicators(found)
    district = obs.filter(unit_level="district").sort("indicator")
    # TC06, TC09 count adults (18+): the 16-year-old is outside their denominator
    assert district.select("indicator", "numerator", "denominator").rows() == [
        ("TC06", 2.0, 2.0), ("TC07", 2.0, 3.0), ("TC08", 3.0, 3.0), ("TC09", 1.0, 2.0)]
    assert district["unit_code"].unique().to_list() == ["401"]
    assert set(obs["origin"]) == {"survey"} and set(obs["source"]) == {"khao-sat-2024.xlsx"}
    assert "từ 15 tuổi" in district.filter(indicator="TC08")["raw"][0]



def test_rejects_name_the_sheet_and_cell_say_what_to_write_and_reach_the_district(tmp_path):
    """One workbook, a sheet a village: row 4 is unreadable on both sheets (two people, not
    one); the age comes from "Năm sinh" (column B), which is the cell to correct."""
    head = ["CCCD", "Năm sinh", "Điện thoại thông minh", "Tài khoản ngân hàng"]
    sheets = {
        "Thôn Đông": [["UBND XÃ NGA LIÊN, HUYỆN NGA SƠN"], head,
                      ["038090000021", 1980, "x", "x"], ["038090000022", "chưa rõ", "x", ""]],
        "Thôn Tây": [["UBND XÃ NGA LIÊN, HUYỆN NGA SƠN"], head,
                     ["038090000023", 1990, "x", ""], ["038090000024", 1985, "??", "x"]],
    }
    path = write_xlsx(tmp_path / "nga-lien-2024.xlsx", sheets)
    found = bakhong.read_surveys([path])  # the analyst's call
    assert found.files[0].rejected == 2 and found.files[0].people == 2
    assert found.rejects.sort("sheet").select("sheet", "row", "column").rows() == [
        ("Thôn Tây", 4, "Điện thoại thông minh"), ("Thôn Đông", 4, "Năm sinh")]
    age, smart = sorted(found.findings, key=lambda f: f.indicator)
    assert age.source == "nga-lien-2024.xlsx!Thôn Đông!B4"
    assert smart.source == "nga-lien-2024.xlsx!Thôn Tây!C4" and smart.indicator == "TC06"
    for finding in (age, smart):
        assert (finding.unit_code, finding.unit_name) == ("401", "Nga Sơn")
        assert "Xã Nga Liên" in finding.message and "chỉ tiêu —" not in finding.message
        assert "tỷ lệ phần trăm" not in finding.fix  # the tables' advice, not a survey's
    assert "cột B “Năm sinh” (dòng 4)" in age.message and "năm sinh" in age.fix
    assert "trang “Thôn Tây”" in smart.message and "“x”" in smart.fix
    # a lone sheet named for its village names it, with its diacritics, over the file name
    lone = write_xlsx(tmp_path / "thon-lien-son-2024.xlsx",
                      {"Thôn Liên Sơn": sheets["Thôn Đông"][:3]})
    assert survey.read_surveys([lone]).located()["village_name"].to_list() == ["Liên Sơn"]
    # a file that cannot be read at all is told to the district its name gives
    broken = tmp_path / "nga-lien-2024.parquet"
    broken.write_bytes(b"not parquet")
    [error] = survey.read_surveys([broken]).findings
    assert error.rule == "load_error" and error.unit_code == "401"



@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_forms_numbering_row_and_total_row_are_not_people(tmp_path, kind):
    """Vietnamese forms number their columns under the header — "(1) (2) …" or "1 2 3 …" —
    and end with a "Cộng" row: neither is a person, nor an unreadable row. "THÔN 2" in the
    title is "Thôn 2", the key a village column would give."""
    head = ["STT", "Họ và tên", "Tuổi", "Số CCCD", "Điện thoại thông minh",
            "Tài khoản ngân hàng", "VNeID", "Chữ ký điện tử"]
    rows = [["DANH SÁCH KHẢO SÁT - THÔN 2, XÃ NGA LIÊN, HUYỆN NGA SƠN"], head,
            ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)"] if kind == "csv"
            else list(range(1, 9)),
            [1, "A", 40, "038080012345", "x", "", "x", ""],
            [2, "B", 30, "038080012346", "x", "x", "x", "??"],
            [3, "Tong Van Binh", 50, "038080012347", "x", "", "", ""],  # Tống, not "tổng"
            ["Cộng", None, None, None, 3, 1, 2, 0]]
    path = write_csv(tmp_path / "khao-sat-2024.csv", rows) if kind == "csv" else \
        write_xlsx(tmp_path / "khao-sat-2024.xlsx", {"Sheet1": rows})
    found = survey.read_surveys([path])
    assert (found.files[0].people, found.files[0].rejected) == (2, 1)
    assert found.rejects.select("row", "column").rows() == [(5, "Chữ ký điện tử")]
    assert found.located().sort("row").select("row", "village_code", "village_name").rows() == [
        (4, "16159-thon-2", "Thôn 2"), (6, "16159-thon-2", "Thôn 2")]



def test_a_year_or_date_of_birth_written_under_tuoi_gives_the_age(tmp_path):
    rows = [["Khảo sát — xã Nga Liên, huyện Nga Sơn"],
            ["Tuổi", "Điện thoại thông minh", "Tài khoản ngân hàng"],
            ["45", "x", ""], ["45 tuổi", "x", ""], ["12/05/1990", "x", ""], ["1990", "", "x"],
            ["1990-05-12", "", "x"], ["45.0", "x", "x"], ["130", "x", ""], ["chưa rõ", "x", ""]]
    found = survey.read_surveys([write_csv(tmp_path / "khao-sat-2024.csv", rows)])
    assert found.located().sort("row")["age"].to_list() == [45, 45, 34, 34, 34, 45]
    assert found.rejects.select("row", "reason").rows() == [
        (9, "tuổi ngoài phạm vi khảo sát (15–120)"), (10, "không đọc được")]

def test_a_question_split_in_co_and_khong_columns(tmp_path):
    """Forms often split each question under its header in "Có" | "Không": the row of
    labels is not a person; an "x" under "Có" is yes, under "Không" no; neither is no
    answer (left out of that indicator, not counted as "no"); both cannot be read."""
    rows = [["UBND XÃ NGA LIÊN - HUYỆN NGA SƠN"],
            ["STT", "Họ tên", "Năm sinh", "Điện thoại thông minh", None,
             "Tài khoản ngân hàng", None],
            [None, None, None, "Có", "Không", "Có", "Không"],
            [1, "A", 1980, "x", "", "", "x"],
            [2, "B", 1990, "", "x", "x", ""],
            [3, "C", 1970, "", "", "x", ""],
            [4, "D", 1960, "x", "x", "x", ""]]
    path = write_xlsx(tmp_path / "nga-lien-2024.xlsx", {"Thôn 5": rows})
    found = survey.read_surveys([path])
    assert (found.files[0].people, found.files[0].rejected) == (3, 1)
    assert found.files[0].fields == ("bank", "birth_year", "smartphone")
    assert found.located().select("row", "smartphone", "bank", "village_name").rows() == [
        (4, True, False, "Thôn 5"), (5, False, True, "Thôn 5"), (6, None, True, "Thôn 5")]
    smartphone = survey.aggregate(found, ("commune",)).filter(indicator="TC06")
    assert smartphone.select("numerator", "denominator").rows() == [(1, 2)]
    assert found.rejects.select("row", "column", "reason").rows() == [
        (7, "Điện thoại thông minh", "đánh dấu cả “Có” và “Không”")]
    [finding] = found.findings
    assert finding.source == "nga-lien-2024.xlsx!Thôn 5!D7" and finding.indicator == "TC06"
    assert "1 dòng đánh dấu cả “Có” và “Không” ở cột D “Điện thoại thông minh” (dòng 7)" \
        in finding.message
    assert "một trong hai cột" in finding.fix
    text = survey.read_surveys([write_csv(tmp_path / "survey" / "nga-lien-2024.csv", rows)])
    assert text.people.select("row", "smartphone", "bank").rows() == [
        (4, True, False), (5, False, True), (6, None, True)]
    assert text.rejects.select("row", "column").rows() == [(7, "Điện thoại thông minh")]


def test_a_question_with_co_khong_in_its_header_is_one_column(tmp_path):
    """"Tài khoản ngân hàng (Có/Không)" is one column of answers, not a split question."""
    rows = [["Xã", "Tuổi", "Điện thoại thông minh (Có/Không)", "Tài khoản ngân hàng (có/không)"],
            ["Nga Liên", 30, "Có", "Không"], ["Nga Liên", 40, "", "x"]]
    found = survey.read_surveys([write_csv(tmp_path / "survey" / "nga-lien-2024.csv", rows)])
    assert found.people.sort("row").select("smartphone", "bank").rows() == [
        (True, False), (False, True)]


def test_a_districts_report_shows_its_survey_rejects(tmp_path):
    from bakhong.ingest import ingest
    from bakhong.views import report, summary

    raw = tmp_path / "raw"
    _province(raw / "tables")
    rows = [["Khảo sát người từ 15 tuổi — xã Nga Liên, huyện Nga Sơn"], HEADER,
            [1, "A", "038090000031", 40, "0912000031", "Thôn 1", "x", "x", "", "x", "", "x",
             ""],
            [2, "B", "038090000032", 30, "0912000032", "Thôn 1", "x", "??", "", "", "", "x",
             ""]]
    write_csv(raw / "survey" / "nga-lien-2024.csv", rows)
    ingest(raw, tmp_path / "processed")
    nga_son = report.district("401", "2024", data_dir=tmp_path / "processed")
    [reject] = nga_son.findings.filter(pl.col("source").str.starts_with("nga-lien")).rows(
        named=True)
    assert reject["rule"] == "unparseable" and reject["source"] == "nga-lien-2024.csv!H4"
    assert "1 dòng có ô không đọc được ở cột H “Điện thoại thông minh” (dòng 4)" in \
        reject["message"]
    assert "không được tính vào chỉ tiêu" in summary.problems(nga_son.findings)
    other = report.district("386", "2024", data_dir=tmp_path / "processed")
    assert other.findings.filter(pl.col("source").str.starts_with("nga-lien")).is_empty()

def test_a_missing_column_gives_no_indicator_not_a_zero(tmp_path):
    path = write_csv(tmp_path / "survey" / "x-2024.csv", [
        ["Xã", "Huyện", "Tuổi", "Điện thoại thông minh", "Tài khoản ngân hàng"],
        ["Nga Liên", "Nga Sơn", 30, "x", ""], ["Nga Liên", "Nga Sơn", 20, "", "x"]])
    obs = survey.indicators(survey.read_surveys([path]))
    assert set(obs["indicator"]) == {"TC06", "TC07"}


def test_table_files_skip_survey_folders_and_survey_files_find_them(tmp_path, make_file):
    make_file("386-ba-thuoc-2024.xlsx")
    write_csv(tmp_path / "survey" / "a.csv", [HEADER])
    (tmp_path / "survey" / "b.parquet").write_bytes(b"")
    assert [p.name for p in table_files([tmp_path])] == ["386-ba-thuoc-2024.xlsx"]
    assert table_files([tmp_path / "survey"]) == []
    assert [p.name for p in survey.survey_files([tmp_path])] == ["a.csv", "b.parquet"]


def test_a_broken_survey_file_is_a_load_error_not_a_crash(tmp_path):
    (tmp_path / "survey").mkdir()
    (tmp_path / "survey" / "hong.parquet").write_bytes(b"not parquet")
    (tmp_path / "survey" / "hong.xlsx").write_bytes(b"not a workbook")
    write_csv(tmp_path / "survey" / "khong-phai.csv", [["a", "b"], ["1", "2"]])
    found = survey.read_surveys([tmp_path])
    assert sorted(f.source for f in found.findings if f.rule == "load_error") == [
        "hong.parquet", "hong.xlsx", "khong-phai.csv"]
    assert found.people.height == 0 and survey.indicators(found).height == 0


# --- the synthetic province and the comparison ---------------------------------------------

def survey_findings(findings: pl.DataFrame) -> pl.DataFrame:
    """The survey-versus-report findings (related_inconsistent is shared with the checks of
    related indicators inside a unit, whose messages do not name the survey)."""
    return findings.filter((pl.col("rule") == "related_inconsistent")
                           & pl.col("message").str.contains("khảo sát người dân"))


def _province(folder: Path, changes: dict[str, dict] | None = None) -> Path:
    """Three synthetic district tables, with cells for TC06–TC09."""
    changes = changes or {}
    for code, name, after in (("386", "Bá Thước", 0.7), ("401", "Nga Sơn", 0.85),
                              ("396", "Thường Xuân", 0.6)):
        doc = document(f"UBND huyện {name}",
                       **{c: {"after": after} for c in ("TC06", "TC07", "TC08", "TC09")})
        cells = {**doc.cells, **{c: {**doc.cells[c], **v} for c, v in
                                 changes.get(code, {}).items()}}
        write(folder / f"{code}-x-2024.xlsx",
              Document(doc.unit_title, "2024", cells, synthetic=True))
    return folder


def test_generator_agrees_with_the_tables_and_is_deterministic(tmp_path):
    tables = _province(tmp_path / "tables")
    a = survey_synth.synth_survey(tables, tmp_path / "a" / "survey", seed=5, people=20_000,
                                  gap=False).paths
    b = survey_synth.synth_survey(tables, tmp_path / "b" / "survey", seed=5, people=20_000,
                                  gap=False).paths
    assert [p.name for p in a] == ["khao-sat-2024-du-lieu-mo-phong.parquet"]
    assert a[0].read_bytes() == b[0].read_bytes()
    assert "DỮ LIỆU MÔ PHỎNG" in pl.read_parquet_metadata(a[0])["bakhong"]
    raw = pl.read_parquet(a[0])
    assert raw.height == 20_000
    assert raw["Số CCCD"].str.starts_with("999").all()
    assert raw["Họ và tên"].str.starts_with("Người Mô Phỏng").all()
    found = survey.read_surveys([a[0]])
    assert found.files[0].synthetic and found.people["duplicate"].sum() > 0
    obs = survey.indicators(found)
    assert obs["synthetic"].all()
    district = obs.filter(unit_level="district")
    expected = {"386": 0.7, "401": 0.85, "396": 0.6}
    for row in district.iter_rows(named=True):
        assert abs(row["value"] - expected[row["unit_code"]]) < 0.05, row
    # the survey agrees with the tables: no survey-versus-report finding
    observations, findings = check_paths([tables, a[0]])
    assert survey_findings(findings).is_empty()
    assert set(observations["origin"].fill_null("table")) == {"table", "survey"}


def test_a_report_far_from_its_survey_is_a_finding_with_both_figures(tmp_path):
    tables = _province(tmp_path / "raw" / "tables")
    survey_synth.synth_survey(tables, tmp_path / "raw" / "survey", seed=2, people=20_000,
                              gap=False)
    # Nga Sơn now reports 100% bank accounts where its survey finds about 85% (+18%: fine)
    # and Thường Xuân 95% smartphones where its survey finds about 60% (+58%: a finding)
    _province(tmp_path / "raw" / "tables", {"401": {"TC07": {"after": 1.0}},
                                             "396": {"TC06": {"after": 0.95}}})
    _, findings = check_paths([tmp_path / "raw"])
    found = survey_findings(findings)
    assert found.select("unit_code", "indicator", "phase", "severity").rows() == [
        ("396", "TC06", "after", "warning")]
    message = found["message"][0]
    assert message.startswith("Số liệu không khớp nhau:")
    assert "95%" in message and "khảo sát" in message and "±33%" in message
    survey_value = found["expected"][0]
    assert survey_value.split(" ")[0] in message
    assert found["source"][0].startswith("396-x-2024.xlsx!")


def test_tc08_comparison_says_the_survey_covers_only_15_plus(tmp_path):
    tables = _province(tmp_path / "raw" / "tables")
    survey_synth.synth_survey(tables, tmp_path / "raw" / "survey", seed=2, people=9_000,
                              gap=False)
    _province(tmp_path / "raw" / "tables", {"386": {"TC08": {"after": 0.3}}})
    loaded = load_paths([tmp_path / "raw"])
    findings = survey_findings(check(loaded.observations, loaded.problems))
    assert findings["indicator"].to_list() == ["TC08"]
    assert "chỉ gồm người từ 15 tuổi" in findings["message"][0]


def test_a_real_report_is_not_compared_with_a_synthetic_survey(tmp_path):
    tables = _province(tmp_path / "synthetic")
    survey_synth.synth_survey(tables, tmp_path / "raw" / "survey", seed=2, people=5_000)
    write(tmp_path / "raw" / "tables" / "396-real-2024.xlsx",
          document("UBND huyện Thường Xuân", TC06={"after": 0.1}))
    _, findings = check_paths([tmp_path / "raw"])
    assert survey_findings(findings).is_empty()


def test_generator_writes_csv_and_xlsx_per_commune_that_read_back_the_same(tmp_path):
    tables = _province(tmp_path / "tables")
    frame = survey_synth.generate(check_paths([tables])[0], seed=1, people=1_500)
    parquet = survey_synth.write(frame, tmp_path / "p", "2024", "parquet")
    per_commune = survey_synth.write(frame, tmp_path / "x", "2024", "xlsx")
    assert len(per_commune) > 3
    assert all("du-lieu-mo-phong" in p.name for p in per_commune)
    a = survey.indicators(survey.read_surveys(parquet)).select("unit_code", "indicator",
                                                              "numerator", "denominator")
    b = survey.indicators(survey.read_surveys(per_commune)).select(
        "unit_code", "indicator", "numerator", "denominator")
    assert a.sort(a.columns).equals(b.sort(b.columns))
    assert survey.read_surveys(per_commune).files[0].synthetic


def test_cli_ingest_adds_survey_indicators_and_check_reports_the_gap(tmp_path):
    import json

    from test_cli import run

    raw = tmp_path / "raw"
    _province(raw / "tables")
    out = run("synth-survey", "--seed", "9", "--from", str(raw / "tables"), "--out",
              str(raw / "survey"), "--people", "12000", "--no-gap")
    assert out.returncode == 0, out.stderr
    assert "DỮ LIỆU MÔ PHỎNG" in out.stdout and "chênh lệch cài sẵn" not in out.stdout
    _province(raw / "tables", {"386": {"TC09": {"after": 0.2}}})
    out = run("ingest", str(raw), "--out", str(tmp_path / "processed"))
    assert out.returncode == 0, out.stderr
    assert "Khảo sát người dân: 12.000 người" in out.stdout
    manifest = json.loads((tmp_path / "processed" / "manifest.json").read_text())
    entry = next(f for f in manifest["files"] if f["kind"] == "survey")
    assert entry["path"] == "survey/khao-sat-2024-du-lieu-mo-phong.parquet"
    assert entry["people"] == 12_000 and entry["synthetic"] and entry["observations"] > 0
    obs = pl.read_parquet(tmp_path / "processed" / "observations.parquet")
    survey_rows = obs.filter(origin="survey")
    assert set(survey_rows["unit_level"]) == {"district", "commune", "village"}
    assert set(survey_rows["indicator"]) == {"TC06", "TC07", "TC08", "TC09"}
    assert survey_rows.filter(unit_level="district")["unit_code"].sort().to_list() == \
        ["386"] * 4 + ["396"] * 4 + ["401"] * 4
    findings = pl.read_parquet(tmp_path / "processed" / "findings.parquet")
    assert survey_findings(findings).select("unit_code", "indicator").rows() == [("386", "TC09")]
    out = run("check", str(raw))
    assert "related_inconsistent" in out.stdout and "khảo sát người dân" in out.stdout
    assert "20%" in out.stdout
    assert "Khảo sát người dân: 1 tệp, 12.000 người" in out.stdout
    out = run("check", str(raw), "--json")
    rows = json.loads(out.stdout)
    assert [r["indicator"] for r in rows if r["rule"] == "related_inconsistent"
            and "khảo sát người dân" in r["message"]] == ["TC09"]


def test_cli_synth_survey_bad_source_exits_2(tmp_path):
    from test_cli import run

    out = run("synth-survey", "--from", str(tmp_path / "nowhere"), "--out", str(tmp_path))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    (tmp_path / "empty").mkdir()
    out = run("synth-survey", "--from", str(tmp_path / "empty"), "--out", str(tmp_path / "o"))
    assert out.returncode == 2 and "bakhong:" in out.stderr


def test_survey_of_the_synthetic_province_uses_its_communes(tmp_path, commune_province):
    """``bakhong synth --level commune`` then ``synth-survey``: the survey's communes are the
    province's ("396-01"), so reports and survey meet at commune level as well."""
    obs = check_paths(sorted(commune_province.glob("396-*")))[0]  # Thường Xuân's
    communes = set(obs.filter(unit_level="commune")["unit_code"])
    assert len(communes) > 5
    paths = survey_synth.synth_survey(obs, tmp_path / "survey", seed=1, people=5_000).paths
    survey_obs = survey.indicators(survey.read_surveys(paths))
    surveyed = set(survey_obs.filter(unit_level="commune")["unit_code"])
    assert surveyed == communes
    name = survey_obs.filter(unit_level="commune")["unit_name"][0]
    assert name.startswith("Mô phỏng ") and " – " in name


def test_generator_does_not_copy_a_rate_the_checks_show_wrong(tmp_path):
    tables = _province(tmp_path / "tables", {"386": {"TC07": {"after": "120%"}}})
    observations, findings = check_paths([tables])
    rates = survey_synth.district_rates(observations, findings)
    assert "TC07" not in rates["386"] and rates["401"]["TC07"] == 0.85
    assert survey_synth.district_rates(observations)["386"]["TC07"] == 1.0


def test_reports_read_the_reported_figures_not_the_survey_rows(tmp_path):
    from bakhong.indicators import read_processed
    from bakhong.ingest import ingest

    raw = tmp_path / "raw"
    _province(raw / "tables")
    survey_synth.synth_survey(raw / "tables", raw / "survey", seed=1, people=3_000)
    ingest(raw, tmp_path / "processed")
    written = pl.read_parquet(tmp_path / "processed" / "observations.parquet")
    assert written.filter(origin="survey").height > 0
    observations, _ = read_processed(tmp_path / "processed")
    assert observations.filter(pl.col("origin") == "survey").is_empty()
    assert observations.filter(unit_code="386", indicator="TC06", phase="after").height == 1


def test_sums_less_duplicates_match_a_recount_of_the_people(tmp_path):
    """The sums per place are taken in the same pass as the rows, and the people counted a
    second time are subtracted afterwards: the result must equal a recount of the people
    table without them, at every level."""
    tables = _province(tmp_path / "tables")
    path = survey_synth.synth_survey(tables, tmp_path / "survey", seed=9,
                                     people=30_000).paths[0]
    found = survey.read_surveys([path])
    assert found.people["duplicate"].sum() > 0
    people = found.located().filter(~pl.col("duplicate"))
    got = survey.aggregate(found, ("commune", "district"))
    for level, key in (("commune", "commune_code"), ("district", "district_code")):
        for code, (field, min_age, _) in survey.SURVEY_INDICATORS.items():
            eligible = people.filter(pl.col("age") >= min_age, pl.col(field).is_not_null())
            want = eligible.group_by(key).agg(pl.col(field).sum().alias("numerator"),
                                              pl.len().alias("denominator")).sort(key)
            have = got.filter(unit_level=level, indicator=code).select(
                pl.col("unit_code").alias(key), "numerator", "denominator").sort(key)
            assert have.rows() == want.rows(), (level, code)


def test_a_cccd_is_twelve_digits_and_nothing_else(tmp_path):
    head = ["CCCD", "Tuổi", "Xã", "Điện thoại thông minh"]
    rows = [head, ["038090000001", 30, "Nga Liên", "x"], ["+38090000001", 30, "Nga Liên", "x"],
            ["38090000001", 30, "Nga Liên", "x"], ["0380900000011", 30, "Nga Liên", "x"],
            ["038090000001", 40, "Nga Liên", "x"]]
    found = survey.read_surveys([write_csv(tmp_path / "survey" / "nga-lien-2024.csv", rows)])
    # "+…" (12 characters), 11 and 13 digits are numbers but not CCCD numbers; the last row
    # repeats the first
    assert found.files[0].invalid_ids == 3
    assert found.people.sort("row")["duplicate"].to_list() == [False] * 4 + [True]
    assert found.duplicates.select("duplicates", "invalid_ids").rows() == [(1, 3)]


def test_a_cccd_column_may_say_yes_or_no_instead_of_the_number(tmp_path):
    head = ["Số CCCD", "Tuổi", "Xã", "Điện thoại thông minh"]
    cells = ["038090000001", "x", "Có", "", "không", "chưa"]
    rows = [head, *([cell, 30, "Nga Liên", "x"] for cell in cells)]
    found = survey.read_surveys([write_csv(tmp_path / "survey" / "nga-lien-2024.csv", rows)])
    assert found.people.sort("row")["has_cccd"].to_list() == [True, True, True, False,
                                                              False, False]
    assert found.files[0].invalid_ids == 0


def test_repeats_are_marked_on_their_own_rows_across_row_groups_and_files(tmp_path):
    """A Parquet file reads into a chunk per row group; the ``duplicate`` marks are cut the
    same way, and must still land on the repeated rows, also when a second file follows."""
    ids = [f"0380900{i:05d}" for i in range(10)]
    ids[4], ids[8] = ids[1], ids[1]  # rows 5 and 9 repeat row 2
    first = pl.DataFrame({"Số CCCD": ids, "Tuổi": list(range(20, 30)),
                          "Mã xã": ["15937"] * 10, "Xã": ["Nga Liên"] * 10,
                          "Điện thoại thông minh": [True, False] * 5,
                          "Tài khoản ngân hàng": [True] * 10})
    (tmp_path / "survey").mkdir()
    a = tmp_path / "survey" / "nga-lien-2024.parquet"
    b = tmp_path / "survey" / "nga-lien-bo-sung-2024.parquet"
    first.write_parquet(a, row_group_size=3)
    first.slice(0, 3).with_columns(pl.lit("038091111111").alias("Số CCCD")).write_parquet(
        b, row_group_size=2)  # its rows 2 and 3 repeat its row 1
    alone = survey.read_surveys([a]).people
    assert alone["duplicate"].n_chunks() > 1  # the case this test is about
    assert alone.filter("duplicate")["row"].to_list() == [5, 9]
    marks = survey.read_surveys([a, b]).people.select("file", "row", "duplicate").rows()
    assert [(str(f), r) for f, r, d in marks if d] == [
        ("nga-lien-2024.parquet", 5), ("nga-lien-2024.parquet", 9),
        ("nga-lien-bo-sung-2024.parquet", 2), ("nga-lien-bo-sung-2024.parquet", 3)]


def test_a_parquet_file_with_its_own_row_column_keeps_its_row_numbers(tmp_path):
    """The row number is read with the scan, under a name none of the file's columns has."""
    frame = pl.DataFrame({"_row": [7, 8, 9], "_row_": ["a", "b", "c"], "Tuổi": [20, 30, 4],
                          "Xã": ["Nga Liên"] * 3, "Điện thoại thông minh": [True, False, True]})
    (tmp_path / "survey").mkdir()
    frame.write_parquet(tmp_path / "survey" / "nga-lien-2024.parquet")
    found = survey.read_surveys([tmp_path / "survey"])
    assert [f.error for f in found.files] == [""]
    assert found.people["row"].to_list() == [1, 2]
    assert found.rejects.select("row", "column").rows() == [(3, "Tuổi")]


def test_a_parquet_file_whose_village_names_cannot_be_read_is_left_out_whole(tmp_path):
    """The names of a Parquet file's places are read after its pass, while the duplicates
    are searched; when they cannot be read the file is reported and left out, and the
    people of the other files are not taken for repeats of its people."""
    ids = [f"0380900{i:05d}" for i in range(50)]
    frame = pl.DataFrame({"Số CCCD": ids, "Tuổi": [30] * 50, "Mã xã": ["15937"] * 50,
                          "Xã": ["Nga Liên"] * 50, "Thôn": [f"Thôn {i % 7}" for i in range(50)],
                          "Mã thôn": [f"T{i % 7}" for i in range(50)],  # the pass reads these
                          "Điện thoại thông minh": [True, False] * 25})
    (tmp_path / "survey").mkdir()
    broken = tmp_path / "survey" / "a-nga-lien-2024.parquet"
    frame.write_parquet(broken, compression="uncompressed")
    data = bytearray(broken.read_bytes())
    at = data.index("Thôn 0".encode())  # the dictionary's first name: its length, garbled
    data[at - 4:at] = (0x7FFFFFF0).to_bytes(4, "little")
    broken.write_bytes(bytes(data))
    frame.head(10).write_parquet(tmp_path / "survey" / "b-nga-lien-2024.parquet")

    found = survey.read_surveys([tmp_path / "survey"])
    assert [f.error for f in found.files] == [
        "không đọc được nội dung (ComputeError)", ""]
    assert [f.source for f in found.findings] == ["a-nga-lien-2024.parquet"]
    assert found.people.height == 10 and not found.people["duplicate"].any()
    assert found.people["file"].cast(pl.String).unique().to_list() == [
        "b-nga-lien-2024.parquet"]
    got = survey.aggregate(found, ("commune",)).filter(indicator="TC06")
    assert got.select("numerator", "denominator").rows() == [(5, 10)]


@pytest.mark.parametrize("n", [1, 2, 3, 50, 5_000])
@pytest.mark.parametrize("nulls", [False, True])
def test_counted_before_is_exactly_not_first_distinct(n, nulls):
    """The one-sort duplicate finder against polars' own definition, with many repeats,
    IDs that share their top bits, and missing IDs."""
    import numpy as np

    rng = np.random.default_rng(n)
    values = rng.integers(0, max(2, n // 3), n).astype(np.uint64)
    values[::7] |= np.uint64(1) << np.uint64(40)
    hashes = values * np.uint64(0x9E3779B97F4A7C15)
    # every third ID shares its top 32 bits with many others, but not its whole hash
    hashes[::3] = (hashes[::3] & np.uint64(0xFFFF)) | (np.uint64(7) << np.uint64(32))
    ids = pl.Series(hashes)
    if nulls:
        ids = ids.scatter(rng.integers(0, n, max(1, n // 10)), None)
    want = np.flatnonzero((~ids.is_first_distinct() & ids.is_not_null()).to_numpy())
    got = _duplicates._counted_before(ids, _duplicates._top_bits(ids))
    assert got.to_list() == want.tolist()


@pytest.mark.parametrize("drop", [
    [], [0], [9], [0, 9], [3, 4, 5], [1, 3, 5, 7], list(range(10)),
    "many"])  # more rows than the slices are for: a filter
def test_without_rows_is_a_filter(drop):
    """The rows to correct are cut out by slices; whatever the rows, the result is the
    filter's, across the frame's chunks."""
    frame = pl.concat([pl.DataFrame({"row": range(a, a + 5), "place": [a] * 5})
                       for a in (0, 5)], rechunk=False)
    if drop == "many":
        frame = pl.DataFrame({"row": range(5_000), "place": [1] * 5_000})
        drop = list(range(0, 5_000, 2))
    mask = pl.Series([i in set(drop) for i in range(frame.height)])
    assert _read._without_rows(frame, mask).equals(frame.filter(~mask))

def test_the_planted_over_report_is_the_one_survey_finding(tmp_path):
    """The generator plants one district reporting about twice what its people say; the
    survey-versus-report check finds it, with both figures, and nothing else."""
    import json
    import os

    tables = _province(tmp_path / "tables")
    out = tmp_path / "survey"
    written = survey_synth.synth_survey(tables, out, seed=5, people=40_000)
    assert written.truth == out / "khao-sat-2024-du-lieu-mo-phong.ground-truth.json"
    truth = json.loads(written.truth.read_text(encoding="utf-8"))
    assert "DỮ LIỆU MÔ PHỎNG" in truth["note"]
    [planted] = truth["planted"]
    assert written.planted == truth["planted"]
    _, findings = check_paths([tables, out])
    found = survey_findings(findings)
    assert found.select("unit_code", "indicator").rows() == [
        (planted["unit_code"], planted["indicator"])]
    message = found["message"][0]
    assert format_percent(planted["reported"]) in message and "khảo sát" in message
    assert found["synthetic"].all()
    from test_cli import run

    # another year's ground truth, newer, in the same folder: the CLI names its own
    other = tmp_path / "cli" / "khao-sat-2023-du-lieu-mo-phong.ground-truth.json"
    other.parent.mkdir()
    other.write_text(json.dumps({"planted": [{**planted, "unit_name": "Huyện Khác"}]}),
                     encoding="utf-8")
    os.utime(other, (2_000_000_000, 2_000_000_000))
    out = run("synth-survey", "--seed", "5", "--from", str(tables), "--out",
              str(tmp_path / "cli"), "--people", "4000")
    assert out.returncode == 0, out.stderr
    assert f"Chênh lệch cài sẵn: {planted['unit_name']} báo cáo {planted['indicator']}" \
        in out.stdout
    assert "khao-sat-2024-du-lieu-mo-phong.ground-truth.json" in out.stdout
    assert "Huyện Khác" not in out.stdout


def _cp1258(text: str) -> bytes:
    """Vietnamese in Windows-1258 as Excel writes it: base letters (â, ê, ô, ơ, ư, ă, đ)
    precomposed, tone marks as combining characters."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for char in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out).encode("cp1258")


def test_a_windows_1258_csv_reads_like_its_utf8_twin(tmp_path):
    rows = [["Danh sách khảo sát người từ 15 tuổi — xã Nga Liên, huyện Nga Sơn"],
            ["Họ và tên", "Số CCCD", "Năm sinh", "Thôn", "Điện thoại thông minh",
             "Tài khoản ngân hàng", "Chữ ký điện tử"],
            ["Nguyễn Văn Ất", "038090000001", "1980", "Thôn Đông", "có", "Có", "không"],
            ["Trần Thị Bưởi", "038090000002", "2001", "Thôn Đông", "", "x", "có"],
            ["Lê Ngọc Ánh", "038090000003", "1975", "Xóm Trại", "có", "không", "chưa"]]
    text = "\r\n".join(";".join(row) for row in rows) + "\r\n"
    windows = tmp_path / "a" / "survey" / "nga-lien-2024.csv"
    utf8 = tmp_path / "b" / "survey" / "nga-lien-2024.csv"
    for path, data in ((windows, _cp1258(text)), (utf8, text.encode("utf-8"))):
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
    with pytest.raises(UnicodeDecodeError):
        windows.read_bytes().decode("utf-8")
    a, b = survey.read_surveys([windows]), survey.read_surveys([utf8])
    assert a.files[0].rejected == 0 and a.files[0].people == 3
    columns = ["row", "age", "smartphone", "bank", "esign", "commune_code", "village_name"]
    assert a.located().sort("row").select(columns).rows() == \
        b.located().sort("row").select(columns).rows()
    assert a.located().sort("row")["village_name"].to_list() == \
        ["Thôn Đông", "Thôn Đông", "Xóm Trại"]
    assert set(a.located()["commune_code"]) == {"16159"}


def test_a_byte_that_is_not_utf8_deep_in_a_csv_spoils_its_row_only(tmp_path):
    """The encoding is told from the first 64 KiB; a stray byte further down (a cell pasted
    from a Windows-1258 file) makes its row unreadable, not the whole file."""
    head = "Xã,Tuổi,Điện thoại thông minh,Tài khoản ngân hàng\r\n".encode()
    rows = b"".join(f"Nga Liên,{20 + i % 60},x,\r\n".encode() for i in range(4_000))
    stray = "Nga Liên,30,".encode() + b"c\xf3" + b",x\r\n"  # "có" in Windows-1258
    path = tmp_path / "survey" / "nga-lien-2024.csv"
    path.parent.mkdir()
    path.write_bytes(head + rows + stray)
    assert len(head + rows) > 1 << 16
    found = survey.read_surveys([path])
    assert found.files[0].error == ""
    assert (found.files[0].people, found.files[0].rejected) == (4_000, 1)
    assert found.rejects.select("row", "column").rows() == [(4_002, "Điện thoại thông minh")]
    assert found.people["smartphone"].all()
