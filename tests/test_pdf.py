"""The PDF beside every HTML report, printed by headless Chromium, read back with pypdf.

A small province is built once for the module, as a user does it (``bakhong ingest``, then
``bakhong batch``): the real Thường Xuân table and two synthetic districts. Chromium is
required: without it these tests fail, they never skip.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, document, write_province

from bakhong.synth.template import write

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
SYNTHETIC = "DỮ LIỆU MÔ PHỎNG"
MAX_PAGES, MAX_BYTES = 6, 1_000_000   # issue 21: a district's PDF
UNITS = ["396", "380", "381"]         # Thường Xuân (real), TP Thanh Hóa, Bỉm Sơn (synthetic)


def _bakhong(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": str(ROOT), "BAKHONG_HOME": str(cwd), **env}
    full.pop("BAKHONG_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "bakhong.cli", *args], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is required to print the PDFs: run `make chromium`")
    return CHROMIUM


@pytest.fixture(scope="module")
def built(tmp_path_factory, chromium):
    home = write_province(tmp_path_factory.mktemp("pdf-province"), districts=2)
    # Bỉm Sơn's table, synthetic, with more data problems than a report shows unfolded
    broken = {"TC07": {"after": "120%"}, "TC08": {"after": "-5%"}, "TC09": {"after": "chưa có"},
              "TC10": {"after": "20/4/2024"}, "TC11": {"after": "135%"}}
    write(home / "data" / "raw" / "synthetic" / "381-bim-son-2024.xlsx",
          dataclasses.replace(document("UBND thị xã Bỉm Sơn", **broken), synthetic=True))
    ingest = _bakhong("ingest", str(home / "data" / "raw"), "--out",
                      str(home / "data" / "processed"), cwd=home)
    assert ingest.returncode == 0, ingest.stderr
    run = _bakhong("batch", "--period", "2024", "--workers", "2", "--quiet", "--out",
                   str(home / "reports"), "--data", str(home / "data" / "processed"),
                   "--only", *UNITS, cwd=home)
    assert run.returncode == 0, run.stdout + run.stderr
    out = home / "reports" / "2024"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {"home": home, "out": out, "run": run, "manifest": manifest,
            "units": {u["code"]: u for u in manifest["units"]}}


def _pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(path).pages]


# --- the batch writes, lists and links a PDF per report ------------------------------

def test_a_pdf_beside_every_report_listed_and_linked(built):
    out, units = built["out"], built["units"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert set(units) == set(UNITS)
    for code, entry in units.items():
        assert entry["status"] == "ok" and entry["pdf"] == f"{code}-{entry['slug']}.pdf"
        assert entry["pdf"] == Path(entry["html"]).with_suffix(".pdf").name
        path = out / entry["pdf"]
        assert path.read_bytes()[:5] == b"%PDF-" and entry["pdf_bytes"] == path.stat().st_size
        assert "pdf_error" not in entry
        assert f'href="{entry["pdf"]}"' in index
    assert built["manifest"]["overview"]["pdf"] == "overview.pdf"
    assert (out / "overview.pdf").read_bytes()[:5] == b"%PDF-"
    assert 'href="overview.pdf"' in index
    assert "Bản PDF: đã in 4 tệp" in built["run"].stdout
    assert not list(out.glob(".*.tmp"))


def test_thuong_xuan_pdf_is_a4_short_and_small(built):
    from pypdf import PdfReader

    path = built["out"] / built["units"]["396"]["pdf"]
    reader = PdfReader(path)
    assert 1 <= len(reader.pages) <= MAX_PAGES, len(reader.pages)
    assert path.stat().st_size <= MAX_BYTES, path.stat().st_size
    for page in reader.pages:  # A4: 210 × 297 mm = 595 × 842 pt
        assert abs(float(page.mediabox.width) - 595.3) < 1.5
        assert abs(float(page.mediabox.height) - 841.9) < 1.5


def test_every_page_names_the_unit_and_period_and_is_numbered(built):
    from bakhong.vocab.units import by_code

    for code in UNITS:
        name = by_code(code).full_name  # "Huyện Thường Xuân", "TP Thanh Hóa"
        pages = _pages(built["out"] / built["units"][code]["pdf"])
        for number, text in enumerate(pages, 1):
            assert name in text and "2024" in text, (code, number, text[-200:])
            assert f"Trang {number}/{len(pages)}" in text, (code, number)
    pages = _pages(built["out"] / "overview.pdf")
    for number, text in enumerate(pages, 1):
        assert "toàn tỉnh" in text and "2024" in text and f"Trang {number}/{len(pages)}" in text


def test_vietnamese_letters_come_from_one_font(built):
    # a letter missing from the font the page asks for is drawn from another, and the PDF's
    # text then reads "Huy ệ n Th ườ ng": the title must read whole, as in the page
    first = _pages(built["out"] / built["units"]["396"]["pdf"])[0]
    assert first.count("Huyện Thường Xuân") >= 2, first[:300]  # the heading and the title


def test_every_page_of_a_synthetic_report_says_so(built):
    for code in ("380", "381"):
        assert built["units"][code]["synthetic"]
        pages = _pages(built["out"] / built["units"][code]["pdf"])
        assert all(SYNTHETIC in text for text in pages), code
    assert all(SYNTHETIC in text for text in _pages(built["out"] / "overview.pdf"))
    real = _pages(built["out"] / built["units"]["396"]["pdf"])
    assert not any(SYNTHETIC in text for text in real)


def test_the_pdf_lists_every_problem_and_says_where_the_folded_detail_is(built):
    listed = 0
    for code in UNITS:
        entry = built["units"][code]
        page = (built["out"] / entry["html"]).read_text(encoding="utf-8")
        text = re.sub(r"\s+", " ", " ".join(_pages(built["out"] / entry["pdf"])))
        fixes = page.count('<p class="fix">Cần làm:')
        assert text.count("Cần làm:") >= fixes, code     # the folded rest printed too
        listed += fixes
        assert "Chi tiết cho cán bộ số liệu" not in text   # the analyst's detail stays out
        assert "chi tiết có trong bản HTML" in text          # a folded section says so
    assert "Xem thêm" in (built["out"] / built["units"]["381"]["html"]).read_text("utf-8")


# --- the charts are drawn -----------------------------------------------------------

_DRAWING = re.compile(rb"(?<![A-Za-z])(?:re|l|c|m|S|f)(?![A-Za-z])")


def _drawing_operators(path: Path) -> int:
    """The path operators (rectangles, lines, curves, strokes, fills) of every page."""
    from pypdf import PdfReader

    return sum(len(_DRAWING.findall(page.get_contents().get_data()))
               for page in PdfReader(path).pages)


def _print_blank(html: Path, pdf: Path) -> None:
    """The same page printed with scripts off: every chart an empty frame."""
    from playwright.sync_api import sync_playwright

    from bakhong.views import pdf as printer

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context(java_script_enabled=False, viewport={
            "width": printer.PRINT_WIDTH_PX, "height": 1000})
        page = context.new_page()
        page.emulate_media(media="print")
        page.goto(html.as_uri())
        pdf.write_bytes(page.pdf(format="A4", print_background=True, margin=printer.MARGIN))
        browser.close()


@pytest.mark.browser
def test_the_pdf_draws_every_chart(built, tmp_path):
    for name in (built["units"]["396"]["html"], "overview.html"):
        html = built["out"] / name
        charts = html.read_text(encoding="utf-8").count('class="plotly-graph-div"')
        assert charts >= 2, name
        blank = tmp_path / f"blank-{name}.pdf"
        _print_blank(html, blank)
        drawn = _drawing_operators(html.with_suffix(".pdf"))
        # each chart brings its axes, grid lines and marks: dozens of paths at least
        assert drawn - _drawing_operators(blank) >= 20 * charts, (name, drawn)


# --- a failed print -------------------------------------------------------------------

def test_a_failed_print_keeps_the_last_good_pdf_and_the_others_print(built, tmp_path):
    from bakhong.views import pdf

    for name in ("396-thuong-xuan", "380-thanh-hoa"):
        shutil.copy(built["out"] / f"{name}.html", tmp_path / f"{name}.html")
    good = tmp_path / "396-thuong-xuan.pdf"
    shutil.copy(built["out"] / "396-thuong-xuan.pdf", good)
    before = good.read_bytes()
    page = tmp_path / "396-thuong-xuan.html"  # plotly.js broken: its charts never come
    text = page.read_text(encoding="utf-8")
    page.write_text(re.sub(r'(<script type="text/x-plotly-js" id="plotly-js">)',
                           r'\1throw new Error("hỏng");', text, count=1), encoding="utf-8")
    entries = {"396": {"status": "ok", "synthetic": False},
               "380": {"status": "ok", "synthetic": True},
               "381": {"status": "failed", "synthetic": True}}
    note = pdf.print_beside(entries, [
        ("396", page, "Huyện Thường Xuân — 2024"),
        ("380", tmp_path / "380-thanh-hoa.html", "Thành phố Thanh Hóa — 2024"),
        ("381", tmp_path / "381-bim-son.html", "Thị xã Bỉm Sơn — 2024")],
        chart_timeout_s=3)
    assert note == ""
    assert entries["396"]["pdf"] is None and "biểu đồ" in entries["396"]["pdf_error"]
    assert good.read_bytes() == before                      # the last good PDF stays
    assert entries["380"]["pdf"] == "380-thanh-hoa.pdf"     # the others are printed
    assert (tmp_path / "380-thanh-hoa.pdf").read_bytes()[:5] == b"%PDF-"
    assert entries["381"] == {"status": "failed", "synthetic": True, "pdf": None}
    assert not list(tmp_path.glob(".*.tmp"))


def test_without_chromium_the_html_is_made_and_the_summary_says_how(built, tmp_path):
    run = _bakhong("batch", "--period", "2024", "--quiet", "--no-overview", "--out",
                   str(tmp_path), "--data", str(built["home"] / "data" / "processed"),
                   "--only", "396", cwd=built["home"],
                   BAKHONG_CHROMIUM=str(tmp_path / "no-chromium"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "KHÔNG in được bản PDF nào" in run.stdout and "make chromium" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
    assert (tmp_path / "2024" / "396-thuong-xuan.html").is_file()
    assert not list((tmp_path / "2024").glob("*.pdf"))
    manifest = json.loads((tmp_path / "2024" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["units"][0]["pdf"] is None


def test_no_pdf_prints_nothing(built, tmp_path):
    run = _bakhong("batch", "--period", "2024", "--quiet", "--no-overview", "--no-pdf",
                   "--out", str(tmp_path), "--data", str(built["home"] / "data" / "processed"),
                   "--only", "381", cwd=built["home"])
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PDF" not in run.stdout
    assert not list((tmp_path / "2024").glob("*.pdf"))
    manifest = json.loads((tmp_path / "2024" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["units"][0]["pdf"] is None
    assert "PDF" not in (tmp_path / "2024" / "index.html").read_text(encoding="utf-8")
