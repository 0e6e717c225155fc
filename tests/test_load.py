from __future__ import annotations

import unicodedata

import polars as pl
import pytest
from conftest import THUONG_XUAN, document

from bakhong.contract import OBSERVATION_SCHEMA
from bakhong.errors import SourceError
from bakhong.read import read_table, read_tables
from bakhong.synth.template import Layout


def _after(table, code):
    row = table.observations.filter(indicator=code, phase="after").row(0, named=True)
    return row


def test_thuong_xuan_is_read_with_its_cells():
    table = read_table(THUONG_XUAN)
    assert (table.unit.code, table.unit.name, table.period) == ("396", "Thường Xuân", "2024")
    obs = table.observations
    assert obs.schema == pl.Schema(OBSERVATION_SCHEMA)
    assert sorted(obs["indicator"].unique()) == sorted(
        [f"TC{n:02d}" for n in range(1, 17)] + ["K1", "K2", "K3"])
    tc09 = _after(table, "TC09")
    assert (tc09["value"], tc09["numerator"], tc09["denominator"]) == (0.4575, 72599, 33216)
    assert tc09["raw"] == "= 72599/33216 = 45,75%"
    assert tc09["source"] == "thuong-xuan-2024.xlsx!Bao cao 3 KHONG!E20"
    assert _after(table, "TC06")["value"] == 0.74        # a %-formatted number cell
    assert _after(table, "K2")["qualifier"] == ">"       # "hơn 96,5%"
    k2_before = obs.filter(indicator="K2", phase="before").row(0, named=True)
    assert k2_before["value"] == pytest.approx(0.227)
    assert _after(table, "TC09")["target"] == 0.4
    assert not table.synthetic


@pytest.mark.parametrize("layout", [
    Layout(),
    Layout(diacritics=False),
    Layout(columns=("label", "after", "before", "target", "stt", "evidence")),
    Layout(columns=("label", "target", "before", "after")),             # no STT column
    Layout(two_row_header=False),
    Layout(group_rows=False, footer=False),
    Layout(title_rows=False),
], ids=["template", "no-diacritics", "shuffled", "no-stt", "one-row-header", "bare", "no-title"])
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_layouts_districts_use_all_read_the_same(make_file, layout, suffix):
    doc = document(TC09={"after": "= 33216/72599 = 45,75%"}, TC05={"after": "hơn 96,5%"})
    path = make_file(f"386-ba-thuoc-2024{suffix}", doc, layout)
    table = read_table(path)
    assert table.unit.code == "386" and table.period == "2024"
    assert table.observations.height == 19 * 2
    assert _after(table, "TC09")["value"] == 0.4575
    assert _after(table, "TC09")["denominator"] == 72599
    assert _after(table, "TC05")["qualifier"] == ">"
    assert _after(table, "TC06")["value"] == pytest.approx(0.92)


@pytest.mark.parametrize(("delimiter", "bom"), [(",", True), (",", False), (";", True),
                                                (";", False), ("\t", False)])
def test_csv_delimiters_bom_and_decimal_comma(make_file, delimiter, bom):
    layout = Layout(csv_delimiter=delimiter, csv_bom=bom, decimal_comma=True)
    doc = document(TC06={"after": 0.7425})
    table = read_table(make_file("ba-thuoc-2024.csv", doc, layout))
    assert _after(table, "TC06")["value"] == pytest.approx(0.7425)
    assert _after(table, "TC06")["raw"] == "0,7425"


def test_nfd_text_from_a_mac(tmp_path):
    path = tmp_path / "bao-cao.csv"
    text = ("Tên đơn vị: UBND huyện Cẩm Thủy\nTổng hợp năm 2024\n"
            "STT;Nội dung chỉ tiêu;Chỉ tiêu giao;Trước triển khai;Sau triển khai\n"
            "6;Tỷ lệ người dân có điện thoại thông minh;80% trở lên;50%;81,5%\n")
    path.write_text(unicodedata.normalize("NFD", text), encoding="utf-8")
    table = read_table(path)
    assert table.unit.name == "Cẩm Thủy"
    assert _after(table, "TC06")["value"] == pytest.approx(0.815)


def test_unit_from_filename_then_argument(make_file):
    no_title = Layout(title_rows=False)
    assert read_table(make_file("Thuong_Xuan_2024.xlsx", layout=no_title)).unit.code == "396"
    path = make_file("bang-ket-qua.xlsx", layout=no_title)
    assert read_table(path, unit="Như Xuân").unit.code == "402"
    unknown = read_table(path)
    assert unknown.unit is None
    assert [f.rule for f in unknown.findings] == ["unknown_unit"]


def test_rows_matched_by_stt_when_the_text_is_unusual(tmp_path):
    path = tmp_path / "nhu-thanh-2024.csv"
    path.write_text("STT,Nội dung,Trước triển khai,Sau triển khai\n"
                    "9,Chỉ số số 9 của mẫu,10%,45%\n", encoding="utf-8")
    table = read_table(path)
    assert table.observations["indicator"].unique().to_list() == ["TC09"]


def test_synthetic_mark_in_title_is_carried(make_file):
    from bakhong.synth.template import Document
    doc = document()
    doc = Document(doc.unit_title, doc.period, doc.cells, synthetic=True)
    table = read_table(make_file("386.xlsx", doc))
    assert table.synthetic and table.observations["synthetic"].all()


@pytest.mark.parametrize(("name", "content", "message"), [
    ("not-a-workbook.xlsx", b"this is not a workbook", "không phải bảng tính"),
    ("empty.csv", b"", "không tìm thấy bảng"),
    ("notes.csv", "Kính gửi Sở TTTT\nkhông có bảng\n".encode(), "không tìm thấy bảng"),
    ("binary.csv", b"\x00\x01\x02\x03" * 100, "không phải tệp văn bản"),
])
def test_files_that_are_not_tables_fail_with_a_message_naming_the_file(
        tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError, match=message) as info:
        read_table(path)
    assert info.value.path == name and name in str(info.value)


def test_one_broken_file_does_not_stop_the_others(tmp_path, make_file):
    make_file("386-ba-thuoc-2024.xlsx")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 truncated")
    obs, problems, tables = read_tables([tmp_path])
    assert len(tables) == 1 and obs.height == 38
    assert [(p.rule, p.source) for p in problems] == [("load_error", "broken.xlsx")]


def test_a_workbook_with_the_table_on_a_later_sheet(tmp_path):
    from openpyxl import Workbook
    wb = Workbook()
    wb.active.title = "Huong dan"
    wb.active["A1"] = "Hướng dẫn điền biểu"
    ws = wb.create_sheet("Bieu 01")
    ws.append(["Tên đơn vị: UBND huyện Lang Chánh"])
    ws.append(["STT", "Nội dung chỉ tiêu", "Chỉ tiêu giao", "Trước triển khai", "Sau triển khai"])
    ws.append([6, "Tỷ lệ người dân có điện thoại thông minh", "80% trở lên", "40%", "66%"])
    wb.save(tmp_path / "lang-chanh-2024.xlsx")
    table = read_table(tmp_path / "lang-chanh-2024.xlsx")
    assert table.unit.code == "388"
    assert _after(table, "TC06")["source"] == "lang-chanh-2024.xlsx!Bieu 01!E3"


def test_a_single_result_column_is_read_as_after(tmp_path):
    path = tmp_path / "vinh-loc-2024.csv"
    path.write_text("TT;Tiêu chí;Chỉ tiêu giao;Kết quả đạt được\n"
                    "6;Người dân có điện thoại thông minh;80%;83%\n", encoding="utf-8")
    table = read_table(path)
    assert table.unit.code == "393"
    assert table.observations.select("indicator", "phase", "value").rows() == [
        ("TC06", "after", 0.83)]


def test_group_numbering_restarting_at_one_is_matched_by_text(tmp_path):
    path = tmp_path / "nhu-thanh-2024.csv"
    path.write_text("TT;Tiêu chí;Trước khi triển khai;Sau khi triển khai\n"
                    "II;Người dân;;\n"
                    "1;Người dân có điện thoại thông minh;55;83\n"
                    "3;Tài khoản định danh điện tử VNeID;60%;12.345/15.000 = 82,3%\n",
                    encoding="utf-8")
    obs = read_table(path).observations.filter(phase="after")
    assert obs.select("indicator", "value").rows() == [("TC06", 0.83), ("TC08", 0.823)]
