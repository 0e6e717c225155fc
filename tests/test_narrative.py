"""Narrative reports (.docx, .md, .txt) read like tables: seed 004 and its variations."""

from __future__ import annotations

import json
import re
import shutil

import polars as pl
import pytest
from conftest import ROOT, THUONG_XUAN
from narrative_docs import BUNDLED_004, fold_marks, seed_as_docx_spec, write_docx
from test_cli import run

from bakhong.checks import check, check_paths
from bakhong.read import read_source, read_tables, source_files, table_files
from bakhong.read.narrative import read_narrative

# seed 004's figures: (indicator, phase) -> (value, qualifier)
SEED = {
    ("K1", "before"): (0.35, "="), ("K1", "after"): (0.90, ">"),
    ("K2", "before"): (0.227, "="), ("K2", "after"): (0.965, ">"),
    ("TC01", "after"): (1.0, "="), ("TC02", "after"): (1.0, "="),
    ("TC03", "after"): (1.0, "="), ("TC04", "after"): (1.0, "="),
    ("TC05", "after"): (0.95, "="), ("TC06", "after"): (0.74, "="),
    ("TC07", "after"): (0.89, "="), ("TC08", "after"): (1.0, "="),
    ("TC09", "after"): (0.4575, "="), ("TC10", "after"): (0.97, "="),
    ("TC11", "after"): (1.0, "="), ("TC12", "after"): (0.85, "="),
    ("TC13", "after"): (1.0, "="), ("TC14", "after"): (0.70, "="),
    ("TC15", "after"): (0.69, "="), ("TC16", "after"): (1.0, "="),
}


def _values(table) -> dict[tuple[str, str], tuple[float, str]]:
    return {(r["indicator"], r["phase"]): (round(r["value"], 6), r["qualifier"])
            for r in table.observations.iter_rows(named=True)}


def _assert_seed_values(table, exact_keys: bool = True) -> None:
    got = _values(table)
    for key, want in SEED.items():
        assert got.get(key) == want, key
    if exact_keys:
        assert set(got) - set(SEED) <= {("K3", "after")}


@pytest.fixture
def seed_docx(tmp_path):
    return write_docx(seed_as_docx_spec(), tmp_path / "bao-cao-3-khong.docx")


def test_the_bundled_narrative_is_seed_004_verbatim():
    from narrative_docs import SEED_004
    if SEED_004.exists():  # the shared seeds are not part of the repository
        assert BUNDLED_004.read_bytes() == SEED_004.read_bytes()
    assert "72599/33216 = 45,75" in BUNDLED_004.read_text(encoding="utf-8")


def test_seed_004_as_docx_gives_every_criterion_with_its_qualifier(seed_docx):
    table = read_source(seed_docx)
    assert (table.unit.code, table.period, table.kind) == ("396", "2024", "narrative")
    _assert_seed_values(table)
    obs = table.observations
    tc09 = obs.filter(indicator="TC09").row(0, named=True)
    assert (tc09["numerator"], tc09["denominator"]) == (72599, 33216)
    assert "72599/33216" in tc09["raw"] and tc09["raw"].startswith("Tỷ lệ người dân có chữ ký")
    assert re.fullmatch(r"bao-cao-3-khong\.docx:paragraph \d+", tc09["source"])
    tc08 = obs.filter(indicator="TC08").row(0, named=True)
    assert (tc08["numerator"], tc08["denominator"]) == (946030, 946030)
    assert obs["confidence"].min() >= 0.5
    assert obs.schema["confidence"] == pl.Float64


def test_seed_004_docx_findings_are_the_tables_findings(seed_docx):
    findings = check_paths([seed_docx])[1]
    table = check_paths([THUONG_XUAN])[1]

    def pairs(frame, severity):
        frame = frame.filter(pl.col("severity") == severity)
        return sorted(zip(frame["rule"], frame["indicator"], frame["phase"], strict=True))

    for severity in ("error", "info"):
        assert pairs(findings, severity) == pairs(table, severity)
    swapped = findings.filter(rule="swapped_ratio").row(0, named=True)
    # the same diagnosis; the report repeats the figure in prose ("đạt trên 45,75%"), and
    # the error names that repeat too
    assert swapped["message"].startswith(table.filter(rule="swapped_ratio")["message"][0])
    assert "nhắc lại số liệu này: bao-cao-3-khong.docx:paragraph" in swapped["message"]
    assert swapped["source"].startswith("bao-cao-3-khong.docx:paragraph ")
    # the narrative's own contradiction: electricity paid cashless 100% beside 69%
    related = findings.filter(rule="related_inconsistent")
    assert related.height == 1
    row = related.row(0, named=True)
    assert (row["indicator"], row["severity"]) == ("TC15", "warning")
    assert "100%" in row["message"] and "69%" in row["message"]
    assert "tiền điện, nước" in row["message"]


def test_unmapped_values_are_listed_for_review_not_observed(seed_docx):
    table = read_source(seed_docx)
    review = table.review["raw"].to_list()
    assert any("trích lục bản sao hộ tịch" in r for r in review)
    assert any("Tuyên truyền về nội dung" in r for r in review)
    assert table.observations.filter(pl.col("raw").str.contains("hộ tịch")).is_empty()
    out = run("show", str(seed_docx), "--json")
    data = json.loads(out.stdout)
    assert out.returncode == 0 and data["kind"] == "narrative"
    assert data["unit"] == {"code": "396", "name": "Thường Xuân", "level": "district"}
    assert any("hộ tịch" in r["raw"] for r in data["review"])
    assert {c["indicator"] for c in data["claims"]} >= {"TC15"}
    text = run("show", str(seed_docx)).stdout
    assert "Cần xem lại" in text and "hộ tịch" in text


def test_numbers_without_indicator_meaning_are_not_values(tmp_path):
    text = (
        "UBND huyện Thường Xuân\nBáo cáo năm 2024\n"
        "UBND huyện ban hành Kế hoạch 332/KH-UBND, ngày 26/8/2024 ở 16/16 xã, thị trấn.\n"
        "Hội nghị có hơn 640 thành viên; còn 2/16 chỉ tiêu chưa đạt; đến tháng 11/2024.\n"
        "Tỷ lệ người dân có điện thoại thông minh: 74%, chưa đạt chỉ tiêu 80%.\n"
    )
    path = tmp_path / "tx.md"
    path.write_text(text, encoding="utf-8")
    table = read_source(path)
    assert _values(table) == {("TC06", "after"): (0.74, "=")}
    assert table.review.is_empty()


def test_the_markdown_and_a_text_file_read_the_same(tmp_path):
    _assert_seed_values(read_source(BUNDLED_004))
    txt = tmp_path / "thuong-xuan-2024.txt"
    shutil.copy(BUNDLED_004, txt)
    table = read_source(txt)
    _assert_seed_values(table)
    assert table.observations["source"][0].startswith("thuong-xuan-2024.txt:line ")


# --- variations -------------------------------------------------------------------------

def _sections(spec: str) -> tuple[str, str, str]:
    start = spec.index("I. KẾT QUẢ THỰC HIỆN")
    results = spec.index("3. Kết quả triển khai Mô hình")
    end = spec.index("(Bảng thống kê chi tiết đính kèm)")
    return spec[:start], spec[start:results], spec[results:end]


def test_reordered_sections(tmp_path):
    head, pillars, results = _sections(seed_as_docx_spec())
    lines = [ln for ln in results.splitlines() if ln.strip()]
    items = [ln for ln in lines if ln.startswith("- ")]
    spec = head + "\n".join(reversed(items)) + "\n" + pillars
    spec = spec.replace("- Có điểm phát Wifi công cộng tại các địa điểm quan trọng",
                        "- Có điểm phát Wifi công cộng tại các địa điểm quan trọng trong xã như "
                        "UBND xã, nhà văn hóa, các điểm du lịch: 100%.")
    table = read_source(write_docx(spec, tmp_path / "thuong-xuan-2024.docx"))
    _assert_seed_values(table)


PARAPHRASES = {
    "Lãnh đạo, cán bộ, công chức trên địa bàn cấp xã chỉ đạo, điều hành, xử lý công việc "
    "hoàn toàn trên môi trường điện tử: 100%.":
        "100% lãnh đạo, cán bộ, công chức cấp xã xử lý công việc trên môi trường điện tử.",
    "Tỷ lệ người dân có điện thoại thông minh/tổng số dân trong độ tuổi trưởng thành: 74%.":
        "Số người trưởng thành sở hữu điện thoại thông minh chiếm 74%.",
    "Tỷ lệ người dân được cấp tài khoản định danh điện tử/tổng số dân:  = 946030/946030 = 100%":
        "Đã cấp tài khoản định danh điện tử VNeID cho 946030/946030 người, đạt 100%.",
    "Tỷ lệ hộ gia đình thanh toán tiền điện bằng phương thức thanh toán không dùng tiền mặt/"
    "tổng số hộ gia đình:  = 69% .":
        "Hộ gia đình thanh toán tiền điện qua ngân hàng, ví điện tử (không dùng tiền mặt): 69%.",
}


def test_paraphrased_labels(tmp_path):
    spec = seed_as_docx_spec()
    for old, new in PARAPHRASES.items():
        assert old in spec, old
        spec = spec.replace(old, new)
    table = read_source(write_docx(spec, tmp_path / "thuong-xuan-2024.docx"))
    _assert_seed_values(table)
    tc08 = table.observations.filter(indicator="TC08").row(0, named=True)
    assert (tc08["numerator"], tc08["value"]) == (946030, 1.0)


def test_figures_in_a_word_table(tmp_path):
    head, pillars, _ = _sections(seed_as_docx_spec())
    rows = ["| STT | Nội dung chỉ tiêu | Trước triển khai | Sau triển khai |",
            "| 1 | Xử lý công việc trên môi trường điện tử | | 100% |",
            "| 6 | Người dân có điện thoại thông minh | 41% | 74% |",
            "| 9 | Người dân có chữ ký điện tử cá nhân | | = 72599/33216 = 45,75% |",
            "| 15 | Hộ gia đình thanh toán tiền điện không dùng tiền mặt | 20% | 69% |"]
    spec = head + "\n".join(rows) + "\n" + pillars
    table = read_source(write_docx(spec, tmp_path / "thuong-xuan-2024.docx"))
    got = _values(table)
    assert got[("TC06", "before")] == (0.41, "=") and got[("TC06", "after")] == (0.74, "=")
    assert got[("TC09", "after")] == (0.4575, "=") and got[("TC01", "after")] == (1.0, "=")
    assert got[("K2", "after")] == (0.965, ">")
    source = table.observations.filter(indicator="TC06", phase="before")["source"][0]
    assert source == "thuong-xuan-2024.docx:table 1 row 3"


@pytest.mark.parametrize("suffix", [".md", ".docx"])
def test_text_without_diacritics(tmp_path, suffix):
    bare = fold_marks(seed_as_docx_spec())
    path = tmp_path / f"bao-cao{suffix}"
    if suffix == ".docx":
        write_docx(bare, path)
    else:
        path.write_text(bare, encoding="utf-8")
    table = read_source(path)
    assert table.unit.name == "Thường Xuân" and table.period == "2024"
    _assert_seed_values(table)


def test_ocr_seed_002_style_unit_and_period(tmp_path):
    text = (" XA NGA LIEN Doc 1ap — Tw do — Hanh phic\nNga Lién, ngays thang6 nam 2023\n"
            "- Ty 1€ nguoi dan & do tudi trudng thanh c6 dién thoai thong minh: dat 82%.\n")
    path = tmp_path / "nga-lien.txt"
    path.write_text(text, encoding="utf-8")
    table = read_source(path)
    assert (table.unit.name, table.unit.level, table.period) == ("Nga Liên", "commune", "2023")
    assert _values(table) == {("TC06", "after"): (0.82, "=")}


def test_unit_from_the_place_and_date_line(tmp_path):
    path = tmp_path / "bao-cao.md"
    path.write_text("Số: /BC-UBND\n\nThường Xuân, ngày tháng năm 2024\n\n"
                    "- Tỷ lệ tiếp nhận, giải quyết hồ sơ trực tuyến: 95%.\n", encoding="utf-8")
    table = read_source(path)
    assert table.unit.code == "396" and table.period == "2024"


def test_a_narrative_without_any_figure_is_a_load_error(tmp_path):
    (tmp_path / "thu.md").write_text("Kính gửi Sở TTTT.\n", encoding="utf-8")
    _, problems, _ = read_tables([tmp_path])
    assert [p.rule for p in problems] == ["load_error"]


# --- table and narrative together --------------------------------------------------------

def test_table_and_narrative_together(tmp_path):
    (tmp_path / "tables").mkdir()
    (tmp_path / "narrative").mkdir()
    shutil.copy(THUONG_XUAN, tmp_path / "tables")
    shutil.copy(BUNDLED_004, tmp_path / "narrative")
    obs, findings = check_paths([tmp_path])
    # one observation per unit, period, indicator and phase: the table's where it has one
    assert obs.group_by(["unit_code", "period", "indicator", "phase"]).len()["len"].max() == 1
    assert set(obs.filter(pl.col("status") == "ok")["file"]) == {"thuong-xuan-2024.xlsx"}
    # each source error is reported once, from the table
    assert findings.filter(rule="swapped_ratio").height == 1
    assert findings.filter(rule="swapped_ratio")["source"][0].endswith("!E20")
    related = findings.filter(rule="related_inconsistent")
    assert related.height == 1
    message = related["message"][0]
    assert "100%" in message and "69%" in message
    assert "thuong-xuan-2024.md:line" in message and "thuong-xuan-2024.xlsx!" in message
    assert set(findings["rule"]) == {"swapped_ratio", "denominator_inconsistent",
                                     "below_target", "related_inconsistent"}


def test_a_blank_table_cell_takes_the_narratives_figure(tmp_path, make_file):
    from conftest import document

    make_file("396-thuong-xuan-2024.xlsx", document("UBND huyện Thường Xuân",
                                                    TC06={"after": None}))
    (tmp_path / "tx.md").write_text(
        "UBND huyện Thường Xuân\nBáo cáo năm 2024\n"
        "- Tỷ lệ người dân có điện thoại thông minh: 92%.\n"
        "- Tỷ lệ người dân có chữ ký điện tử cá nhân: 41%.\n", encoding="utf-8")
    obs, problems, _ = read_tables([tmp_path])
    tc06 = obs.filter(indicator="TC06", phase="after").row(0, named=True)
    assert (tc06["value"], tc06["file"]) == (0.92, "tx.md")
    findings = check(obs, problems)
    assert findings.filter(rule="missing").is_empty()
    # TC09 is in both (0.92 in the table, 41% in the narrative): one finding, no double count
    assert obs.filter(indicator="TC09", phase="after").height == 1
    assert findings.filter(rule="related_inconsistent")["indicator"].to_list() == ["TC09"]


def test_template_tables_skip_narratives_and_readmes():
    raw = ROOT / "data" / "raw"
    # .xlsx, and .csv once `bakhong synth` has written data/raw/synthetic/ — never a narrative
    assert all(p.suffix in {".xlsx", ".csv"} for p in table_files([raw]))
    names = {p.name for p in source_files([raw])}
    assert "thuong-xuan-2024.md" in names and "README.md" not in names


def test_read_narrative_statements_keep_sentence_and_line():
    narrative = read_narrative(BUNDLED_004)
    chosen, claims = narrative.primary()
    k1 = [s for s in chosen if s.indicator == "K1"]
    assert {s.phase for s in k1} == {"before", "after"}
    assert all(s.raw.startswith("Trước thời điểm chưa thực hiện") for s in k1)
    assert all(s.source == "thuong-xuan-2024.md:line 35" for s in k1)
    assert any(c.indicator == "TC15" and c.parsed.value == 1.0 for c in claims)


def test_held_back_reports_stay_above_the_goals(capsys):
    """A regression guard on the held-back sets measured once before being committed (sets 2
    and 3; set 1 was tuned on): precision >= 95% and recall >= 90% of indicator values."""
    import importlib.util

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location(
        "narrative_accuracy", ROOT / "benchmarks" / "narrative_accuracy.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    right = read = true = 0
    for name in ("heldout2", "heldout3"):
        r, g, t = bench.run_set(bench.NARRATIVES / name)["bakhong"]
        right, read, true = right + r, read + g, true + t
    assert true >= 80
    assert right / read >= 0.95 and right / true >= 0.90, (right, read, true)
