"""Trust in every figure shown: rankings among real units only and without figures found
wrong, swaps read within a stated tolerance, units found in any file name, CSV rows that
cannot be placed reported, and prose that repeats a wrong figure named with its error.

Every file written here is made up and says DỮ LIỆU MÔ PHỎNG, except the bundled real
Thường Xuân files it reads.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, THUONG_XUAN, clean_cells

from bakhong.checks import check, check_paths
from bakhong.read import read_source
from bakhong.read.table import unit_from_filename
from bakhong.synth.template import Document, write

HEADER = "STT;Nội dung chỉ tiêu;Chỉ tiêu giao;Trước triển khai;Sau triển khai;Hồ sơ minh chứng"


def _csv(path: Path, rows: list[str], unit: str = "UBND huyện Yên Định") -> Path:
    path.write_text("\n".join(["BÁO CÁO KẾT QUẢ MÔ HÌNH 3 KHÔNG NĂM 2024 (DỮ LIỆU MÔ PHỎNG)",
                               f"Tên đơn vị: {unit}", HEADER, *rows, ""]), encoding="utf-8")
    return path


def test_a_hand_rounded_swap_is_diagnosed_as_a_swap(tmp_path):
    path = _csv(tmp_path / "yen-dinh-2024.csv", [
        "9;Tỷ lệ người dân có chữ ký điện tử;40%;10%;72599/33216 = 45,7%;",
        "6;Tỷ lệ người dân có điện thoại thông minh;80%;60%;52300/61000 = 85,74%;"])
    table = read_source(path)
    found = check(table.observations, table.findings)
    tc09 = found.filter(indicator="TC09")
    assert tc09["rule"].to_list() == ["swapped_ratio"]  # not also "over 100%"
    assert "33.216/72.599" in tc09["message"][0]
    assert found.filter(indicator="TC06").is_empty()  # a true ratio is not a swap


@pytest.mark.parametrize("name, code", [
    ("BaoCao_YenDinh_2024.csv", "394"), ("baocao-yendinh.xlsx", "394"),
    ("baocaothuongxuan2024.xlsx", "396"), ("KET_QUA_3KHONG_NGA_SON.xlsx", "401"),
    ("bao_cao_2025_xa_thuong_xuan.xlsx", "15646")])
def test_a_unit_is_found_in_a_file_name_whatever_its_separators(name, code):
    assert unit_from_filename(Path(name)).code == code


def test_a_csv_row_with_a_separator_in_a_cell_is_reported_and_not_used(tmp_path):
    path = _csv(tmp_path / "bao-cao-yen-dinh-2024.csv", [
        "6;Tỷ lệ người dân có điện thoại thông minh;80%;60%;85%;",
        "7;Tỷ lệ người dân có tài khoản ngân hàng; ví điện tử;75%;50%;81%;",
        "8;Tỷ lệ người dân được cấp tài khoản định danh điện tử;80%;55%;90%;",
        "Người lập;;;Thủ trưởng;;"])
    table = read_source(path)
    assert sorted(set(table.observations["indicator"])) == ["TC06", "TC08"]
    bad = [f for f in table.findings if f.rule == "malformed_row"]
    assert len(bad) == 1 and bad[0].indicator == "TC07"
    assert bad[0].source.endswith("!A5") and "dòng 5 có 7 trường" in bad[0].message
    assert bad[0].severity == "error"


def test_prose_that_repeats_a_wrong_figure_carries_its_error():
    narrative = ROOT / "data" / "raw" / "narrative" / "thuong-xuan-2024.md"
    _, findings = check_paths([THUONG_XUAN, narrative])
    swapped = findings.filter(rule="swapped_ratio", indicator="TC09")
    assert swapped.height == 1
    assert "thuong-xuan-2024.md:line" in swapped["message"][0]
    assert "nhắc lại" in swapped["message"][0]


def _district(folder: Path, title: str, code: str, tc06: float | str, synthetic: bool) -> None:
    cells = clean_cells()
    cells["TC06"] = {**cells["TC06"], "after": tc06}
    write(folder / f"{code}-{code}-2024.xlsx",
          Document(unit_title=title, period="2024", cells=cells, synthetic=synthetic))


def _sections(monkeypatch, project: Path, unit: str) -> str:
    from bakhong.ingest import ingest
    from bakhong.views import report

    ingest(project / "raw", project / "processed")
    shown: list[str] = []
    monkeypatch.setattr(report, "_display_html", shown.append)
    report.district(unit, "2024", project / "processed").standing()
    return "".join(shown)


def test_a_real_unit_is_ranked_among_real_units_without_wrong_figures(tmp_path, monkeypatch):
    raw = tmp_path / "p" / "raw"
    raw.mkdir(parents=True)
    _district(raw, "UBND huyện Thường Xuân", "396", 0.74, synthetic=False)
    _district(raw, "UBND huyện Bá Thước", "386", 0.70, synthetic=False)
    _district(raw, "UBND huyện Như Xuân", "402", 0.65, synthetic=False)
    _district(raw, "UBND huyện Lang Chánh", "388", "120%", synthetic=False)  # cannot be true
    _district(raw, "UBND huyện Quan Sơn", "387", 0.99, synthetic=True)      # made up
    html = _sections(monkeypatch, tmp_path / "p", "396")
    assert "So sánh với 4 đơn vị thật" in html
    assert "1 số liệu có lỗi không được dùng" in html
    assert "1/3" in html  # TC06: 74% first of the three real, trusted values
    assert "120" not in html and "99%" not in html


def test_fewer_than_three_real_units_are_not_ranked(tmp_path, monkeypatch):
    raw = tmp_path / "p" / "raw"
    raw.mkdir(parents=True)
    _district(raw, "UBND huyện Thường Xuân", "396", 0.74, synthetic=False)
    _district(raw, "UBND huyện Bá Thước", "386", 0.70, synthetic=False)
    for code, name in (("387", "Quan Sơn"), ("388", "Lang Chánh"), ("402", "Như Xuân")):
        _district(raw, f"UBND huyện {name}", code, 0.9, synthetic=True)
    html = _sections(monkeypatch, tmp_path / "p", "396")
    assert "Chỉ có 2 đơn vị thật" in html and "chưa đủ để so sánh" in html
    assert "Xếp hạng" not in html


def test_a_verdict_on_a_wrong_figure_carries_its_doubt():
    from bakhong import indicators
    from bakhong.views import summary

    table = indicators.wide(read_source(THUONG_XUAN).observations)
    html = summary.criteria_compact(table.filter(indicator="TC08"), {"TC08": "error"})
    assert "Đạt — số liệu chưa tin cậy" in html and ">Đạt<" not in html
    plain = summary.criteria_compact(table.filter(indicator="TC07"), {})
    assert ">Đạt<" in plain and "chưa tin cậy" not in plain


def test_the_overview_charts_mark_every_made_up_unit(tmp_path):
    from bakhong import indicators
    from bakhong.views import charts

    raw = tmp_path / "raw"
    raw.mkdir()
    _district(raw, "UBND huyện Thường Xuân", "396", 0.74, synthetic=False)
    _district(raw, "UBND huyện Quan Sơn", "387", 0.9, synthetic=True)
    observations, _ = check_paths([raw])
    table = indicators.wide(observations.filter(unit_level="district"))
    heat = charts.heatmap(table)
    assert sorted(heat.data[0].y) == ["Quan Sơn*", "Thường Xuân"]
    assert "DỮ LIỆU MÔ PHỎNG" in heat.layout.title.text
    bars = charts.attainment_ranking(indicators.attainment_counts(table))
    assert sorted(bars.data[0].y) == ["Quan Sơn*", "Thường Xuân"]
    assert "DỮ LIỆU MÔ PHỎNG" in bars.layout.title.text


def test_the_overview_lists_the_districts_missing_from_its_figures(tmp_path, monkeypatch):
    from bakhong.ingest import ingest
    from bakhong.views import report

    raw = tmp_path / "p" / "raw"
    raw.mkdir(parents=True)
    _district(raw, "UBND huyện Thường Xuân", "396", 0.74, synthetic=False)
    _district(raw, "UBND huyện Bá Thước", "386", 0.70, synthetic=False)
    (raw / "388-lang-chanh-2024.xlsx").write_text("<html>không phải bảng</html>")
    ingest(raw, tmp_path / "p" / "processed")
    shown: list[str] = []
    monkeypatch.setattr(report, "_display_html", shown.append)
    report.province("2024", tmp_path / "p" / "processed").title()
    text = "".join(shown)
    assert "Huyện Lang Chánh (không đọc được tệp)" in text
    assert "Huyện Nga Sơn (chưa có số liệu)" in text
    assert "Huyện Thường Xuân (" not in text


def test_a_figure_the_narrative_contradicts_is_not_a_plain_result(tmp_path, monkeypatch):
    import shutil

    from bakhong.ingest import ingest
    from bakhong.views import report

    raw = tmp_path / "p" / "raw"
    (raw / "narrative").mkdir(parents=True)
    shutil.copy(THUONG_XUAN, raw / THUONG_XUAN.name)
    shutil.copy(ROOT / "data" / "raw" / "narrative" / "thuong-xuan-2024.md",
                raw / "narrative" / "thuong-xuan-2024.md")
    ingest(raw, tmp_path / "p" / "processed")
    shown: list[str] = []
    monkeypatch.setattr(report, "_display_html", shown.append)
    report.district("396", "2024", tmp_path / "p" / "processed").criteria()
    html = "".join(shown)
    row = html[html.index("Hộ trả tiền điện"):][:600]  # TC15: 69% beside the prose's 100%
    assert "Đạt — số liệu chưa tin cậy" in row and "Số liệu cần xem lại" in row
    assert "3 trong số đó" in html  # TC08, TC09 (errors) and TC15 (contradicted)


def test_a_file_of_an_unknown_unit_is_a_finding_not_a_unit():
    import polars as pl

    from bakhong.views import tables

    findings = pl.DataFrame({
        "rule": ["unknown_unit", "below_target", "below_target"], "unit_code": ["", "396", ""],
        "unit_name": ["UBND huyện Quan Sơnn", "Thường Xuân", "Quan Sơnn"],
        "severity": ["error", "info", "info"]})
    html = tables.findings_by_rule(findings)
    assert "Quan Sơnn" not in html
    assert html.count("1 tệp không rõ đơn vị") == 2 and "Thường Xuân" in html


def test_the_overview_heatmap_and_its_phone_list_mark_every_doubted_figure():
    from bakhong import indicators
    from bakhong.checks import check
    from bakhong.views import charts, summary

    table = read_source(THUONG_XUAN)
    wide = indicators.wide(table.observations)
    findings = check(table.observations, table.findings)
    doubted = indicators.doubted_cells(findings)
    assert {("396", "TC08"), ("396", "TC09")} <= doubted
    fig = charts.heatmap(wide, doubted=doubted)
    [trace] = fig.data
    cells = dict(zip(fig.data[0].x, trace.text[0], strict=True))
    assert cells["08"].endswith("?") and cells["09"].endswith("?")
    assert not cells["07"].endswith("?")
    assert charts.DOUBT_NOTE in fig.layout.meta["notes"]
    assert "chưa tin cậy" in trace.customdata[0][7]
    plain = charts.heatmap(wide)
    assert not any(t.endswith("?") for t in plain.data[0].text[0])
    assert not plain.layout.meta["notes"]
    listed = summary.attainment_list(wide, doubted)
    assert "trên số liệu chưa tin cậy" in listed
    assert "chưa tin cậy" not in summary.attainment_list(wide)
