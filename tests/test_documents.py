"""Documents know what they are: plans give targets, windows, deadlines and exclusions; blank
forms and plans give no result; progress reports are dated; results are judged by the plan.

The seeds are read as a new user reads them (``bakhong show --json``); the other documents are
written here in other wording, as Word and text, with and without diacritics. Figures in the
documents written here are made up: every such results file says DỮ LIỆU MÔ PHỎNG.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, THUONG_XUAN

from bakhong.checks import check, check_paths, load_paths
from bakhong.read import read_source
from bakhong.read.kind import classify_text

RAW = ROOT / "data" / "raw"
#: the seeds as bundled (data/raw/README.md): 000–003 copied as received, 004 transcribed
SEEDS = {"000": RAW / "plans" / "ngoc-lac-ke-hoach-2024.txt",
         "001": RAW / "plans" / "yen-dinh-ke-hoach-2024.txt",
         "002": RAW / "plans" / "nga-lien-ke-hoach-2023.txt",
         "003": RAW / "plans" / "dong-hai-huong-dan-2024.txt",
         "004": RAW / "narrative" / "thuong-xuan-2024.md"}


def _seed(number: str) -> Path:
    assert SEEDS[number].is_file(), f"seed {number} is missing: {SEEDS[number]}"
    return SEEDS[number]


def show(path: Path, *extra: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "bakhong.cli", "show", str(path), "--json",
                          *extra], capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _targets(data: dict) -> dict[str, tuple[float, str]]:
    return {t["indicator"]: (t["target"], t["target_qualifier"]) for t in data["plan"]["targets"]}


# --- the seeds --------------------------------------------------------------------------

@pytest.mark.parametrize("number, kind", [("000", "plan"), ("001", "plan"), ("002", "plan"),
                                          ("003", "blank_template")])
def test_each_plan_seed_shows_its_kind_and_no_result(number, kind):
    data = show(_seed(number))
    assert data["document"] == kind
    assert data["document_reason"]
    assert data["observations"] == []


def test_the_results_seed_is_results():
    data = show(_seed("004"))
    assert data["document"] == "results"
    assert len(data["observations"]) >= 16


def test_nga_lien_plan_gives_its_2023_targets():
    data = show(_seed("002"))
    assert (data["unit"]["name"], data["period"]) == ("Nga Liên", "2023")
    targets = _targets(data)
    expected = {"TC06": 0.8, "TC07": 0.75, "TC08": 0.8, "TC09": 0.8, "TC05": 0.9,
                "TC01": 1.0, "TC02": 1.0, "TC03": 1.0}
    assert {code: targets[code][0] for code in expected} == expected
    assert {targets[code][1] for code in expected} == {"≥"}
    assert data["plan"]["window"]["end"] == "2023-07-30"
    assert data["plan"]["online_services"] == [
        "Thu tuc cép ban sao Trich luc ho tich",
        "HO tro chi phi mai tang cho ddi tuong bao tro xa hoi"]
    assert {r["weekday"] for r in data["plan"]["reporting"]} == {"thứ sáu"}


def test_yen_dinh_plan_excludes_its_two_pilot_communes_and_has_its_window():
    plan = show(_seed("001"))["plan"]
    assert [u["name"] for u in plan["excluded_units"]] == ["Định Long", "Định Hưng"]
    assert all("công nhận" in u["reason"] for u in plan["excluded_units"])
    assert (plan["window"]["start"], plan["window"]["end"]) == ("2024-02-20", "2024-04-30")
    assert [s["step"] for s in plan["steps"]] == [str(i) for i in range(1, 9)]


def test_ngoc_lac_plan_has_window_five_services_and_deadline():
    plan = show(_seed("000"))["plan"]
    assert (plan["window"]["start"], plan["window"]["end"]) == ("2024-04-20", "2024-06-30")
    assert plan["min_online_services"] == 5
    assert "2024-04-20" in [d["due"] for d in plan["deadlines"]]
    assert [a["item"] for a in plan["activities"]][:3] == ["a", "b", "c"]
    assert plan["activities"][-1]["item"] == "n"


def test_dong_hai_instruction_has_its_three_deadlines():
    data = show(_seed("003"))
    dues = [d["due"] for d in data["plan"]["deadlines"]]
    assert dues == ["2024-04-30", "2024-06-30", "2024-09-15"]
    assert "báo cáo kết quả" in data["plan"]["deadlines"][-1]["what"]


def test_kind_can_be_overridden():
    data = show(_seed("002"), "--kind", "results")
    assert data["document"] == "results"
    assert "--kind" in data["document_reason"]
    assert data["observations"]


# --- documents the seeds do not contain -------------------------------------------------

def _docx(path: Path, paragraphs: list[str]) -> Path:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return path


PLAN_WORD = [
    "ỦY BAN NHÂN DÂN HUYỆN YÊN ĐỊNH", "Số: 45/KH-UBND", "Yên Định, ngày 02 tháng 3 năm 2024",
    "KẾ HOẠCH", "Nhân rộng mô hình “3 KHÔNG” trên địa bàn huyện năm 2024",
    "I. MỤC ĐÍCH, YÊU CẦU", "Đẩy mạnh chuyển đổi số trong cơ quan nhà nước.",
    "II. CHỈ TIÊU",
    "Phấn đấu tỷ lệ người dân trong độ tuổi trưởng thành có điện thoại thông minh đạt 85% trở lên.",
    "Tỷ lệ người dân được cấp tài khoản định danh điện tử đạt từ 90% trở lên.",
    "III. THỜI GIAN",
    "Thời gian thực hiện: từ ngày 15/3/2024 đến hết ngày 15/6/2024, tại các xã, thị trấn "
    "(trừ xã Định Hưng đã được công nhận hoàn thành thí điểm năm 2023).",
    "Mỗi xã lựa chọn tối thiểu 07 dịch vụ công trực tuyến toàn trình.",
    "IV. TỔ CHỨC THỰC HIỆN", "UBND các xã, thị trấn:",
    "Báo cáo kết quả triển khai về UBND huyện chậm nhất ngày 30/6/2024.",
]

PLAN_TEXT = """UBND XA NGA THACH
CONG HOA XA HOI CHU NGHIA VIET NAM
KE HOACH
Thuc hien mo hinh 3 khong tren dia ban xa nam 2024
II. MUC TIEU
- Ty le nguoi dan co tai khoan giao dich thanh toan tai ngan hang dat 70% tro len.
- Ty le nguoi dan co chu ky dien tu ca nhan dat 50% tro len.
III. THOI GIAN: Bat dau tu 01/04/2024 den het ngay 31/5/2024.
IV. TO CHUC THUC HIEN
Cong chuc Van hoa xa:
- Tong hop bao cao tien do truoc 10 gio, thu nam hang tuan.
- Bao cao ket qua ve UBND huyen truoc ngay 10/6/2024.
"""


def test_a_word_plan_in_other_wording_is_read(tmp_path):
    table = read_source(_docx(tmp_path / "ke-hoach-yen-dinh.docx", PLAN_WORD))
    assert table.document.kind == "plan" and table.observations.is_empty()
    assert table.unit.name == "Yên Định" and table.period == "2024"
    targets = {t["indicator"]: t["target"] for t in table.plan.targets}
    assert targets == {"TC06": 0.85, "TC08": 0.9}
    assert table.plan.window == {"start": "2024-03-15", "end": "2024-06-15",
                                 "source": table.plan.window["source"]}
    assert table.plan.min_online_services == 7
    assert [u["name"] for u in table.plan.excluded_units] == ["Định Hưng"]
    assert [d["due"] for d in table.plan.deadlines] == ["2024-06-30"]
    assert table.plan.deadlines[0]["who"] == "UBND các xã, thị trấn"
    assert table.dated == "2024-03-02"


def test_a_plan_without_diacritics_is_read(tmp_path):
    path = tmp_path / "kh-nga-thach.txt"
    path.write_text(PLAN_TEXT, encoding="utf-8")
    table = read_source(path)
    assert table.document.kind == "plan"
    assert {t["indicator"]: t["target"] for t in table.plan.targets} == {"TC07": 0.7,
                                                                         "TC09": 0.5}
    assert (table.plan.window["start"], table.plan.window["end"]) == ("2024-04-01",
                                                                        "2024-05-31")
    assert [d["due"] for d in table.plan.deadlines] == ["2024-06-10"]
    assert [(r["weekday"], r["hour"]) for r in table.plan.reporting] == [("thứ năm", 10)]


def _blank_form(path: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["BÁO CÁO"])
    ws.append(["Tổng hợp kết quả thực hiện mô hình “3 KHÔNG” năm 2024"])
    ws.append(["Tên đơn vị: UBND huyện Cẩm Thủy"])
    ws.append(["STT", "Nội dung chỉ tiêu", "Chỉ tiêu giao", "Trước triển khai",
               "Sau triển khai", "Hồ sơ minh chứng"])
    ws.append([1, "Lãnh đạo, cán bộ, công chức cấp xã chỉ đạo, điều hành, xử lý công việc "
                  "hoàn toàn trên môi trường điện tử", "100%", None, None, None])
    ws.append([6, "Tỷ lệ người dân có điện thoại thông minh", "80% trở lên", "%", "____", None])
    ws.append([7, "Tỷ lệ người dân từ 15 tuổi trở lên có tài khoản giao dịch tại ngân hàng",
               "75% trở lên", None, None, None])
    wb.save(path)
    return path


def test_a_blank_form_is_no_result_and_a_warning(tmp_path):
    path = _blank_form(tmp_path / "cam-thuy-2024.xlsx")
    table = read_source(path)
    assert table.document.kind == "blank_template"
    assert table.observations.is_empty()
    assert {t["indicator"] for t in table.plan.targets} == {"TC01", "TC06", "TC07"}
    observations, findings = check_paths([path])
    assert observations.is_empty()
    warned = findings.filter(rule="no_results")
    assert warned["severity"].to_list() == ["warning"]
    assert "mẫu báo cáo trống" in warned["message"][0]
    assert warned["unit_name"].to_list() == ["Cẩm Thủy"]


PROGRESS = """UBND HUYỆN NGA SƠN
UBND XÃ NGA LIÊN
BÁO CÁO
Tiến độ triển khai mô hình “3 KHÔNG” (DỮ LIỆU MÔ PHỎNG)
Tính đến ngày 23/6/2023, kết quả như sau:
- Tỷ lệ người dân trong độ tuổi trưởng thành có điện thoại thông minh đạt 62%.
- Tỷ lệ người dân được cấp tài khoản định danh điện tử đạt 55%.
"""


def test_a_progress_report_is_dated_and_belongs_to_the_commune(tmp_path):
    path = tmp_path / "tien-do-nga-lien-tuan-3.md"
    path.write_text(PROGRESS, encoding="utf-8")
    table = read_source(path)
    assert table.document.kind == "progress"
    assert table.unit.name == "Nga Liên" and table.unit.level == "commune"
    obs = table.observations
    assert set(obs["as_of"]) == {"2023-06-23"}
    assert dict(zip(obs["indicator"], obs["value"], strict=True)) == {"TC06": 0.62,
                                                                      "TC08": 0.55}


# --- results judged by the plan -------------------------------------------------------

TX_PLAN = [
    "UBND HUYỆN THƯỜNG XUÂN", "KẾ HOẠCH", "Triển khai mô hình “3 KHÔNG” năm 2024 "
    "(DỮ LIỆU MÔ PHỎNG: kế hoạch viết cho kiểm thử)",
    "II. MỤC TIÊU",
    "Tỷ lệ người dân từ 15 tuổi trở lên có tài khoản giao dịch thanh toán tại ngân hàng "
    "hoặc tổ chức được phép khác: đạt 95% trở lên.",
]


def test_results_checked_with_their_plan_are_judged_by_the_plan(tmp_path):
    shutil.copy(THUONG_XUAN, tmp_path / THUONG_XUAN.name)
    plan = _docx(tmp_path / "ke-hoach-thuong-xuan-2024.docx", TX_PLAN)
    before = check_paths([tmp_path / THUONG_XUAN.name])[1]
    assert before.filter(rule="below_target", indicator="TC07").is_empty()  # 89% ≥ 75%
    observations, findings = check_paths([tmp_path])
    tc07 = observations.filter(indicator="TC07", phase="after")
    assert tc07["target"].to_list() == [0.95]
    assert plan.name in tc07["target_source"][0]
    missed = findings.filter(rule="below_target", indicator="TC07")
    assert missed.height == 1
    assert "95%" in missed["message"][0] and plan.name in missed["message"][0]
    # the plan does not become results, nor a "no results" warning: the unit sent results
    assert findings.filter(rule="no_results").is_empty()


RESULT = """UBND {kind} {unit}
{place}, ngày {day} tháng {month} năm 2024
BÁO CÁO
Kết quả triển khai mô hình “3 KHÔNG” năm 2024 (DỮ LIỆU MÔ PHỎNG)
Đã triển khai {services} dịch vụ công trực tuyến toàn trình.
Tỷ lệ người dân trong độ tuổi trưởng thành có điện thoại thông minh đạt 81%.
"""


def _result(folder: Path, unit: str, day: int, month: int, services: str,
            kind: str = "XÃ") -> Path:
    path = folder / f"bao-cao-{unit.lower().replace(' ', '-')}.md"
    path.write_text(RESULT.format(kind=kind, unit=unit.upper(), place=unit, day=day,
                                  month=month, services=services), encoding="utf-8")
    return path


def test_an_excluded_unit_a_late_report_and_too_few_services_are_findings(tmp_path):
    shutil.copy(_seed("001"), tmp_path / "ke-hoach-yen-dinh.txt")
    shutil.copy(_seed("000"), tmp_path / "ke-hoach-ngoc-lac.txt")
    instruction = _seed("003").read_text(encoding="utf-8")
    (tmp_path / "huong-dan-dong-hai.txt").write_text(instruction, encoding="utf-8")
    _result(tmp_path, "Định Long", 10, 5, "05")
    _result(tmp_path, "Đông Hải", 20, 10, "05")
    _result(tmp_path, "Ngọc Lặc", 10, 5, "03", kind="HUYỆN")
    loaded = load_paths([tmp_path])
    findings = check(loaded.observations, loaded.problems)
    by_rule = {r: findings.filter(rule=r) for r in
               ("excluded_unit", "late_report", "too_few_online_services", "no_results")}
    assert by_rule["excluded_unit"]["unit_name"].to_list() == ["Định Long"]
    assert "công nhận" in by_rule["excluded_unit"]["message"][0]
    assert by_rule["late_report"]["unit_name"].to_list() == ["Đông Hải"]
    assert "15/9/2024" in by_rule["late_report"]["message"][0]
    assert by_rule["too_few_online_services"]["unit_name"].to_list() == ["Ngọc Lặc"]
    assert "05" in by_rule["too_few_online_services"]["message"][0]
    # Yên Định sent its plan and no results of its own: a warning; Ngọc Lặc sent results
    assert by_rule["no_results"]["unit_name"].to_list() == ["Yên Định"]


def test_a_survey_table_outside_a_survey_folder_is_a_survey(tmp_path):
    folder = tmp_path / "tables"
    folder.mkdir()
    path = folder / "khao-sat-thon-1.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Huyện", "Xã", "Thôn", "Tuổi", "Điện thoại thông minh", "VNeID",
                         "Tài khoản ngân hàng", "Chữ ký điện tử"])
        writer.writerow(["Nga Sơn", "Nga Liên", "Thôn 1", 30, "x", "x", "", ""])
    assert show(path)["document"] == "survey"
    loaded = load_paths([tmp_path])
    assert loaded.survey is not None
    assert not [p for p in loaded.problems if p.rule == "load_error"]


def test_the_classifier_tells_results_from_a_plan_by_its_title_not_its_words():
    # a results report quoting the plan it carries out is results
    texts = ["UBND HUYỆN THƯỜNG XUÂN", "BÁO CÁO", "Thực hiện Kế hoạch số 332/KH-UBND …",
             "Tỷ lệ người dân có điện thoại thông minh đạt 74%"]
    assert classify_text(texts).kind == "results"
    assert classify_text(["Kế hoạch số 12/KH-UBND ngày 3/4/2024", "BÁO CÁO",
                          "đạt 74%"]).kind == "results"


# --- what the reports say ---------------------------------------------------------------

def test_ingest_writes_the_plans_and_the_report_section_shows_them(tmp_path):
    from bakhong import indicators
    from bakhong.ingest import ingest
    from bakhong.views import tables

    raw = tmp_path / "raw"
    (raw / "plans").mkdir(parents=True)
    shutil.copy(_seed("001"), raw / "plans" / "yen-dinh-ke-hoach-2024.txt")
    shutil.copy(_seed("002"), raw / "plans" / "nga-lien-ke-hoach-2023.txt")
    manifest = ingest(raw, tmp_path / "processed")
    kinds = {Path(f["path"]).name: f["document"] for f in manifest["files"]}
    assert kinds == {"yen-dinh-ke-hoach-2024.txt": "plan", "nga-lien-ke-hoach-2023.txt": "plan"}
    targets = pl_read(tmp_path / "processed" / "targets.parquet")
    assert targets.filter(unit_code="16159", indicator="TC09")["target"].to_list() == [0.8]
    plans = indicators.read_plans(tmp_path / "processed")
    # a commune's report shows its district's plan
    for_dinh_long = indicators.plans_for(plans, "15463", "394", "2024")
    assert [p["unit_name"] for p in for_dinh_long] == ["Yên Định"]
    html = tables.plan_section(for_dinh_long, pl_read(tmp_path / "processed" /
                                                       "findings.parquet"))
    assert "20/2/2024 – 30/4/2024" in html and "Định Long" in html
    overview = tables.plans_overview([p for p in plans if p["period"] == "2023"])
    assert "Nga Liên" in overview and "30/7/2023" in overview


def pl_read(path: Path):
    import polars as pl

    return pl.read_parquet(path)


WEEKLY = """UBND HUYỆN NGA SƠN
UBND XÃ NGA LIÊN
BÁO CÁO TIẾN ĐỘ
Triển khai mô hình “3 KHÔNG” năm 2023 (DỮ LIỆU MÔ PHỎNG)
Tính đến ngày {day}/{month}/2023:
- Tỷ lệ người dân trong độ tuổi trưởng thành có điện thoại thông minh đạt {phone}%.
- Tỷ lệ người dân được cấp tài khoản định danh điện tử đạt {vneid}%.
"""


def _weekly(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    weeks = [(16, 6, 55, 40), (23, 6, 62, 51), (7, 7, 71, 66)]
    paths = []
    for day, month, phone, vneid in weeks:
        path = folder / f"tien-do-nga-lien-{day:02d}-{month:02d}.md"
        path.write_text(WEEKLY.format(day=day, month=month, phone=phone, vneid=vneid),
                        encoding="utf-8")
        paths.append(path)
    return paths


def test_progress_reports_are_one_dated_series_against_the_plan(tmp_path):
    import polars as pl

    from bakhong import indicators
    from bakhong.views import charts

    raw = tmp_path / "project" / "data" / "raw"
    _weekly(raw / "progress")
    (raw / "plans").mkdir(parents=True)
    shutil.copy(_seed("002"), raw / "plans" / "nga-lien-ke-hoach-2023.txt")
    observations, findings = check_paths([raw])
    series = indicators.progress_series(observations, "16159", "2023")
    assert series.filter(indicator="TC06")["as_of"].to_list() == [
        "2023-06-16", "2023-06-23", "2023-07-07"]
    assert series.filter(indicator="TC06")["value"].to_list() == [0.55, 0.62, 0.71]
    # judged by the plan (80%), and never merged into one result nor called duplicates
    assert set(series["target"]) == {0.8}
    assert findings.filter(pl.col("rule").is_in(["duplicate", "related_inconsistent"])).is_empty()
    assert indicators.wide(observations).filter(unit_code="16159").is_empty()
    plan = next(p for p in indicators.read_plans(_ingested(raw)) if p["unit_code"] == "16159")
    figure = charts.progress(series, plan["window"])
    lines = [t for t in figure.data if t.mode == "lines+markers"]
    assert lines[0].x == ("2023-06-16", "2023-06-23", "2023-07-07")
    assert any("Chỉ tiêu TC06: 80%" in t.name for t in figure.data)
    assert figure.layout.shapes[0].x1 == "2023-07-30"  # the plan's window, shaded


def _ingested(raw: Path) -> Path:
    from bakhong.ingest import ingest

    out = raw.parent / "processed"
    ingest(raw, out)
    return out


def test_the_explorer_shows_a_units_progress_series(tmp_path):
    import bakhong

    root = tmp_path / "project"
    raw = root / "data" / "raw"
    _weekly(raw / "progress")
    (raw / "plans").mkdir(parents=True)
    shutil.copy(_seed("002"), raw / "plans" / "nga-lien-ke-hoach-2023.txt")
    shutil.copy(THUONG_XUAN, raw / THUONG_XUAN.name)
    _ingested(raw)
    ex = bakhong.explore(root=root, period="2024", interactive=True)
    assert ex.progress_box is not None  # some unit sent progress reports
    assert ex.progress_figure() is None  # none of 2024
    ex.controls.period.value = "2023"
    figure = ex.progress_figure()
    assert figure is not None and "Nga Liên" in figure.layout.title.text


def _plan_doc(folder: Path, name: str, signed: str, target: int) -> Path:
    return _docx(folder / name, [
        "UBND HUYỆN YÊN ĐỊNH", f"Yên Định, ngày {signed} năm 2024", "KẾ HOẠCH",
        "Nhân rộng mô hình “3 KHÔNG” năm 2024 (DỮ LIỆU MÔ PHỎNG)",
        f"Tỷ lệ người dân có điện thoại thông minh đạt {target}% trở lên."])


def test_a_later_district_plan_binds_its_communes(tmp_path):
    _plan_doc(tmp_path, "b-ke-hoach-dau-nam.docx", "05 tháng 1", 85)
    _plan_doc(tmp_path, "a-ke-hoach-dieu-chinh.docx", "10 tháng 4", 90)  # later, named first
    _result(tmp_path, "Định Hưng", 10, 5, "05")
    observations, findings = check_paths([tmp_path])
    tc06 = observations.filter(indicator="TC06", unit_name="Định Hưng")
    assert tc06["target"].to_list() == [0.9]
    assert "a-ke-hoach-dieu-chinh.docx" in tc06["target_source"][0]
    missed = findings.filter(rule="below_target", indicator="TC06")
    assert missed["unit_name"].to_list() == ["Định Hưng"] and "90%" in missed["message"][0]
