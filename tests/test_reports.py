"""The batch end to end (real kernels via papermill) and its HTML in headless Chromium.

One small province is built once for the module: three synthetic districts, one whose cell
holds ``<script>`` text, the real Thường Xuân table, and a district named with ``--only`` that
has no data (so its run fails) and a previous good report that must survive.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import ROOT
from sample_province import synthetic_document, write_province

from bakhong.synth.template import Layout, write
from bakhong.vocab.units import match

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
EXPECTED = ROOT / "tests" / "expected"
SCRIPT_TEXT = "<script>window.__pwned=1</script>"
BAKHONG = [sys.executable, "-m", "bakhong.cli"]


def _bakhong(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BAKHONG_HOME": str(cwd)}
    return subprocess.run([*BAKHONG, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    home = tmp_path_factory.mktemp("province")
    raw = home / "data" / "raw" / "tables"
    codes = write_province(raw, n=2)
    hostile = synthetic_document("UBND huyện Ngọc Lặc", seed=99)
    cells = dict(hostile.cells)
    cells["TC10"] = {**cells["TC10"], "after": SCRIPT_TEXT}
    ngoc_lac = match("Ngọc Lặc")
    write(raw / f"{ngoc_lac.code}-ngoc-lac-2024.xlsx",
          type(hostile)(hostile.unit_title, "2024", cells, synthetic=True), Layout())
    codes.append(ngoc_lac.code)
    ingest = _bakhong("ingest", str(home / "data" / "raw"), "--out",
                      str(home / "data" / "processed"), cwd=home)
    assert ingest.returncode == 0, ingest.stderr
    out = home / "reports"
    # a district with neither data nor a finding (its incomplete_unit finding removed
    # here) makes its notebook fail; its old report must stay
    no_data = match("Nga Sơn")
    import polars as pl

    findings_path = home / "data" / "processed" / "findings.parquet"
    pl.read_parquet(findings_path).filter(pl.col("unit_code") != no_data.code).write_parquet(
        findings_path)
    old = out / "2024" / f"{no_data.code}-nga-son.html"
    old.parent.mkdir(parents=True)
    old.write_text("<html><body>bản cũ</body></html>", encoding="utf-8")
    run = _bakhong("batch", "--period", "2024", "--workers", "2", "--out", str(out),
                   "--data", str(home / "data" / "processed"), "--only", *codes, no_data.code,
                   cwd=home)
    return {"home": home, "out": out / "2024", "run": run, "codes": codes, "old": old,
            "no_data": no_data.code, "hostile": f"{ngoc_lac.code}-ngoc-lac.html"}


def test_batch_exit_code_and_summary(built):
    run = built["run"]
    assert run.returncode == 1, run.stderr
    assert "Đã lập 4/5 báo cáo" in run.stdout
    assert f"LỖI {built['no_data']} Nga Sơn" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr.replace("[IPKernelApp]", "")


def test_manifest_follows_the_contract(built):
    manifest = json.loads((built["out"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["period"] == "2024"
    assert manifest["overview"]["status"] == "ok"
    assert manifest["overview"]["html"] == "overview.html"
    units = {u["code"]: u for u in manifest["units"]}
    assert set(units) == {*built["codes"], built["no_data"]}
    tx = units["396"]
    assert {k: tx[k] for k in ("name", "slug", "status", "html", "notebook", "error",
                               "synthetic")} == {
        "name": "Thường Xuân", "slug": "thuong-xuan", "status": "ok",
        "html": "396-thuong-xuan.html", "notebook": "notebooks/396-thuong-xuan.ipynb",
        "error": None, "synthetic": False}
    assert tx["findings"] == {"error": 2, "warning": 0, "info": 2}
    # the headline fact, as the report shows it: the source's own word "hơn", both qualifiers
    assert tx["headline"]["K2"] == {
        "before": 0.227, "before_qualifier": "=", "after": 0.965, "after_qualifier": ">",
        "before_text": "22,7%", "after_text": "hơn 96,5%", "change_text": "tăng hơn 73,8 điểm %",
        "doubtful": False}
    assert tx["bytes"] == (built["out"] / "396-thuong-xuan.html").stat().st_size
    assert tx["duration_s"] > 0
    assert units[built["codes"][1]]["synthetic"] is True


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _matches_snapshot(name: str, text: str) -> None:
    """``text`` equals the committed ``tests/expected/<name>``; BAKHONG_UPDATE_SNAPSHOTS=1
    (never in CI) writes it anew, to be read in the diff before it is committed. Line ends
    are compared as "\\n" (an email's CRLF would not survive the file's newline handling)."""
    path = EXPECTED / name
    text = text.replace("\r\n", "\n")
    if os.environ.get("BAKHONG_UPDATE_SNAPSHOTS") == "1" and os.environ.get("CI") != "true":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed: see the diff"


def test_thuong_xuan_report_reads_as_its_snapshot(built):
    html = (built["out"] / "396-thuong-xuan.html").read_text(encoding="utf-8")
    text = _tool("compare_outputs").visible_text(html)
    assert "hơn 96,5%" in text and "trên 96,5%" not in text
    # the footer's date and data version change with every run: said, then masked
    footer = re.compile(r"Lập ngày \d\d/\d\d/\d{4} · phiên bản số liệu [0-9a-f]{10}")
    assert footer.search(text), "the footer gives the date made and the data version"
    _matches_snapshot("thuong-xuan-report.txt",
                      footer.sub("Lập ngày <ngày> · phiên bản số liệu <phiên bản>", text))


def test_the_dry_run_email_reads_the_batch_manifest(built, tmp_path):
    # the batch → deliver handoff: deliver reads the manifest the batch wrote, nothing else
    reports = tmp_path / "reports"
    shutil.copytree(built["out"], reports / "2024")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BAKHONG_HOME": str(built["home"])}
    env.pop("BAKHONG_DELIVER_CONFIG", None)
    run = subprocess.run([*BAKHONG, "deliver", "--dry-run", "--reports", str(reports),
                          "--config", str(ROOT / "config" / "deliver.example.toml")],
                         cwd=built["home"], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    text = _tool("compare_outputs").email_text(reports / "2024" / "outbox" / "396-thuong-xuan.eml")
    assert "K2 Không dùng tiền mặt: 22,7% → hơn 96,5%" in text
    manifest = json.loads((reports / "2024" / "manifest.json").read_text(encoding="utf-8"))
    k2 = next(u for u in manifest["units"] if u["code"] == "396")["headline"]["K2"]
    assert f"{k2['before_text']} → {k2['after_text']}" in text
    _matches_snapshot("thuong-xuan-email.txt", text)


def test_failed_unit_keeps_notebook_and_previous_report(built):
    manifest = json.loads((built["out"] / "manifest.json").read_text(encoding="utf-8"))
    failed = next(u for u in manifest["units"] if u["code"] == built["no_data"])
    assert failed["status"] == "failed" and failed["html"] is None
    assert "Không có số liệu" in failed["error"]
    assert (built["out"] / failed["notebook"]).is_file()       # kept for the analysts
    assert built["old"].read_text(encoding="utf-8") == "<html><body>bản cũ</body></html>"
    assert not list(built["out"].glob(".*.tmp"))


def test_index_links_every_report(built):
    index = (built["out"] / "index.html").read_text(encoding="utf-8")
    for code in built["codes"]:
        assert re.search(rf'href="{code}-[a-z-]+\.html"', index)
    assert 'href="overview.html"' in index
    assert "Lỗi khi lập báo cáo" in index


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.remote: list[str] = []
        self.scripts_with_src: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        urls = [a.get("src") or ""]
        if tag == "link":
            urls.append(a.get("href") or "")
        for url in urls:
            if re.match(r"^\s*(https?:|//)", url, re.I):
                self.remote.append(f"<{tag}> {url}")


def _reports(built) -> list[Path]:
    return sorted(built["out"].glob("*.html"))


def test_no_element_loads_from_the_network(built):
    for path in _reports(built):
        parser = _Refs()
        parser.feed(path.read_text(encoding="utf-8"))
        assert parser.remote == [], path.name
        text = path.read_text(encoding="utf-8")
        for banned in ("require.js", "require.min.js", "MathJax.js", "mathjax@",
                       "application/vnd.jupyter.widget-state"):
            assert banned not in text, (path.name, banned)


def test_plotly_embedded_once_and_reports_small(built):
    for path in _reports(built):
        text = path.read_text(encoding="utf-8")
        if "plotly-graph-div" in text:
            # the lighter bundle unless the page draws a heatmap (the overview does)
            bundle = "cartesian" if 'data-traces="heatmap' in text else "basic"
            assert text.count(f"plotly.js ({bundle} - minified)") == 1, path.name
            assert text.count("plotly.js (") == 1, path.name
        limit = 2 if path.name in ("overview.html", "index.html") else 1.5  # MB
        assert path.stat().st_size <= limit * 1024 * 1024, path.name
    unit = (built["out"] / "396-thuong-xuan.html").read_text(encoding="utf-8")
    assert "plotly.js (basic - minified)" in unit
    assert "Thường Xuân" in unit and "\\u01b0" not in unit  # letters written as UTF-8
    overview = (built["out"] / "overview.html").read_text(encoding="utf-8")
    assert "plotly.js (cartesian - minified)" in overview


def test_code_is_hidden(built):
    text = (built["out"] / "396-thuong-xuan.html").read_text(encoding="utf-8")
    for code in ("bakhong.views", "report.headline()", "In&nbsp;[", "Out["):
        assert code not in text


# --- in a real browser -------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.fail("Chromium is required for the browser tests: run `make chromium`")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        yield context
        context.close()


def _open(context, path: Path, width: int = 1280):
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    problems: list[str] = []
    network: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    def route(r):
        if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
            r.continue_()
        else:
            network.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    return page, problems, network


@pytest.mark.browser
def test_every_report_renders_in_chromium(built, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    for path in _reports(built):
        page, problems, network = _open(browser, path)
        charts = path.read_text(encoding="utf-8").count('class="plotly-graph-div"')
        assert page.locator(".js-plotly-plot").count() == charts, path.name
        assert page.locator(".js-plotly-plot .main-svg").count() >= charts, path.name
        assert problems == [], (path.name, problems)
        assert network == [], (path.name, network)
        if path.name in ("396-thuong-xuan.html", "overview.html"):
            page.screenshot(path=str(ARTIFACTS / f"{path.stem}-desktop.png"), full_page=True)
            page.set_viewport_size({"width": 390, "height": 844})
            page.wait_for_timeout(200)
            page.screenshot(path=str(ARTIFACTS / f"{path.stem}-phone.png"), full_page=True)
        page.close()
    assert (ARTIFACTS / "396-thuong-xuan-desktop.png").stat().st_size > 10_000


@pytest.mark.browser
def test_thuong_xuan_shows_the_source_figures(built, browser):
    page, _, _ = _open(browser, built["out"] / "396-thuong-xuan.html")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    text = page.inner_text("body")
    for shown in ("22,7%", "hơn 96,5%", "35%", "trên 90%", "45,75%", "72.599/33.216",
                  "946.030", "Chưa đạt", "ô E20", "ô E19"):
        assert shown in text, shown
    assert "DỮ LIỆU MÔ PHỎNG" not in text           # real data
    assert "Traceback" not in text and "Error" not in text
    page.close()


@pytest.mark.browser
def test_script_text_shows_as_text(built, browser):
    page, problems, _ = _open(browser, built["out"] / built["hostile"])
    assert page.evaluate("window.__pwned") is None
    assert SCRIPT_TEXT in page.inner_text("body")
    assert "DỮ LIỆU MÔ PHỎNG" in page.inner_text(".synthetic-banner")
    assert problems == []
    page.close()


@pytest.mark.browser
def test_unit_name_with_markup_shows_as_text_in_charts_and_tables(browser, tmp_path):
    import plotly.io as pio
    import polars as pl

    from bakhong import indicators
    from bakhong.views import charts, report, tables

    name = "Xã <script>window.__pwned=2</script><b>A</b>"
    rows = [{"unit_code": "1", "unit_name": name, "unit_level": "district", "period": "2024",
             "indicator": "TC06", "phase": ph, "value": v, "qualifier": "=", "raw": "",
             "source": "a.xlsx!S!E1", "status": "ok", "target": 0.8, "target_qualifier": "≥",
             "numerator": None, "denominator": None, "evidence": None, "synthetic": True,
             "file": "a.xlsx"} for ph, v in (("before", 0.2), ("after", 0.9))]
    wide = indicators.wide(pl.DataFrame(rows))
    fig = charts.heatmap(wide)
    body = (tables.units_index([{"code": "1", "name": name, "html": "x.html", "status": "ok",
                                 "findings": {}, "synthetic": True}])
            + pio.to_html(fig, full_html=False, include_plotlyjs=False))
    path = tmp_path / "markup.html"
    path.write_text(report.page(name, body), encoding="utf-8")
    page, problems, _ = _open(browser, path)
    assert page.evaluate("window.__pwned") is None
    assert "<script>window.__pwned=2</script>" in page.inner_text("table")
    assert "<script>" in page.inner_text(".js-plotly-plot")
    assert problems == []
    page.close()


def test_misspelt_parameter_is_an_error_before_anything_runs(built, tmp_path):
    out = tmp_path / "reports"
    run = _bakhong("batch", "-p", "uint=396", "--out", str(out), "--data",
                   str(built["home"] / "data" / "processed"), cwd=built["home"])
    assert run.returncode == 2
    assert "uint" in run.stderr and "Traceback" not in run.stderr
    assert not out.exists()                        # nothing ran, nothing written


def test_a_notebook_without_the_parameter_is_refused(tmp_path):
    import nbformat

    from bakhong.batch import check_parameters
    from bakhong.errors import UsageError

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('district = "396"')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(UsageError, match="unit"):
        check_parameters(path, {"unit": "396"})
    check_parameters(path, {"district": "380"})


def test_committed_notebooks_have_no_outputs_and_no_logic():
    import nbformat

    for path in (ROOT / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            assert cell.outputs == [] and cell.execution_count is None, path.name
            assert not re.search(r"^\s*(def|for|while|class)\s|open\(|\.write", cell.source,
                                 re.M), (path.name, cell.source)


def test_the_index_says_what_each_report_rests_on(built):
    text = _tool("compare_outputs").visible_text(
        (built["out"] / "index.html").read_text(encoding="utf-8"))
    assert "Số liệu thật: Thường Xuân" in text  # not "every report is simulated"
    row = next(line for line in text.splitlines() if "Thường Xuân" in line and "396" in line)
    assert "thật" in row and "mô phỏng" not in row
    manifest = json.loads((built["out"] / "manifest.json").read_text(encoding="utf-8"))
    data = {u["code"]: u["data"] for u in manifest["units"]}
    assert data["396"] == "ok"
    assert data[built["no_data"]] == "none"
    # districts of which nothing arrived are listed as such, not hidden
    absent = {a["code"] for a in manifest["absent"]}
    assert absent and not absent & set(data)
    assert "Chưa có số liệu" in text


# --- issue 21: what a leader sees on a phone and on a desktop ----------------------------

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
MAX_PHONE_HEIGHT = 6000


def _tx_verdict(built) -> dict:
    import polars as pl

    from bakhong import indicators

    obs, findings = indicators.read_processed(built["home"] / "data" / "processed")
    mine = (pl.col("unit_code") == "396") & (pl.col("period") == "2024")
    return indicators.verdict(indicators.wide(obs.filter(mine)), findings.filter(mine))


def _visible_page(browser, path: Path, size: dict):
    page, problems, _ = _open(browser, path, size["width"])
    page.set_viewport_size(size)
    page.wait_for_function("document.documentElement.getAttribute('data-charts') !== null"
                           " || !document.getElementById('plotly-js')", timeout=5000)
    return page, problems


@pytest.mark.browser
@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_first_screen_is_the_verdict(built, browser, size):
    verdict = _tx_verdict(built)
    page, problems = _visible_page(browser, built["out"] / "396-thuong-xuan.html", size)
    box = page.locator("#tom-tat").bounding_box()
    assert box is not None and box["y"] + box["height"] <= size["height"], box
    first = page.inner_text("#tom-tat")
    assert f"{verdict['met']}/{verdict['with_target']}" in first
    assert f"{verdict['errors']} lỗi số liệu" in first and verdict["errors"] >= 2
    for pillar in ("35%", "trên 90%", "22,7%", "hơn 96,5%"):
        assert pillar in first
    links = page.eval_on_selector_all("#tom-tat a[href^='#']",
                                      "as => as.map(a => a.getAttribute('href').slice(1))")
    assert len(links) >= 3
    for anchor in links:  # every "to do first" leads to its row
        assert page.locator(f"[id='{anchor}']").count() == 1, anchor
    assert "Số liệu thật" in page.inner_text(".report-head")
    assert problems == []
    page.close()


@pytest.mark.browser
def test_unit_reports_are_compact_on_a_phone(built, browser):
    heights = {}
    for path in _reports(built):
        if path.name in ("index.html", "overview.html"):
            continue
        page, _ = _visible_page(browser, path, PHONE)
        heights[path.name] = page.evaluate("document.documentElement.scrollHeight")
        page.close()
    assert heights["396-thuong-xuan.html"] <= MAX_PHONE_HEIGHT, heights
    assert max(heights.values()) <= MAX_PHONE_HEIGHT, heights


_TEXT_BOXES = """() => [...document.querySelectorAll('.js-plotly-plot')].map(plot => {
  const boxes = [...plot.querySelectorAll('svg text')].filter(t => t.textContent.trim())
    .map(t => { const r = t.getBoundingClientRect();
                return {text: t.textContent, l: r.left, r: r.right, t: r.top, b: r.bottom}; })
    .filter(b => b.r > b.l && b.b > b.t);
  const plotBox = plot.getBoundingClientRect();
  return {id: plot.id, boxes, right: plotBox.right, left: plotBox.left};
})"""


def _overlaps(a: dict, b: dict, slack: float = 1.0) -> bool:
    return (min(a["r"], b["r"]) - max(a["l"], b["l"]) > slack
            and min(a["b"], b["b"]) - max(a["t"], b["t"]) > slack)


@pytest.mark.browser
@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_chart_labels_never_overlap_or_leave_the_chart(built, browser, size):
    checked = 0
    for name in ("396-thuong-xuan.html", "overview.html",
                 *(p.name for p in _reports(built) if p.name[:3] not in ("396", "ove", "ind"))):
        page, _ = _visible_page(browser, built["out"] / name, size)
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        page.wait_for_timeout(300)  # a chart in a <details> is drawn again when opened
        for chart in page.evaluate(_TEXT_BOXES):
            boxes = chart["boxes"]
            for i, a in enumerate(boxes):
                assert a["l"] >= chart["left"] - 1 and a["r"] <= chart["right"] + 1, (name, a)
                for b in boxes[i + 1:]:
                    assert not _overlaps(a, b), (name, chart["id"], a["text"], b["text"])
            checked += 1
        page.close()
    assert checked >= 4


@pytest.mark.browser
def test_the_page_paints_before_plotly_is_read(built, browser):
    page, _ = _visible_page(browser, built["out"] / "396-thuong-xuan.html", PHONE)
    assert page.evaluate("window.__bakhongPaintedBeforeCharts") is True
    assert page.locator(".js-plotly-plot .main-svg").count() >= 2  # and the charts came
    head = (built["out"] / "396-thuong-xuan.html").read_text(encoding="utf-8").split("</head>")[0]
    assert "plotly.js (" not in head  # nothing of plotly blocks the first paint
    page.close()


@pytest.mark.browser
def test_leaders_read_plain_words(built, browser):
    for path in _reports(built):
        page, _ = _visible_page(browser, path, PHONE)
        text = page.inner_text("body")  # closed <details> hold the analyst's detail
        for technical in (":line ", "Error", "Traceback", "điểm z", "WHO", ".parquet",
                          "README", "seeds/"):
            assert technical not in text, (path.name, technical)
        code = re.search(r".{0,40}\bTC\d\d\b.{0,20}", text)
        assert code is None, (path.name, code and code.group())
        page.close()
    page, _ = _visible_page(browser, built["out"] / "396-thuong-xuan.html", PHONE)
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    detail = page.inner_text("body")
    assert "thuong-xuan-2024.xlsx" in detail and "ô E20" in detail  # kept for the analyst
    page.close()
