"""The explorer's callbacks, driven directly: change a control, the figures and the table
change (no browser). The real JupyterLab run is in test_explore_lab.py."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import polars as pl
import pytest
from conftest import ROOT, write_province
from openpyxl import load_workbook

import bakhong
from bakhong.errors import UsageError
from bakhong.ingest import ingest
from bakhong.views.explore import Explorer, StaticView, in_interactive_kernel, load_data


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return write_province(tmp_path_factory.mktemp("province"), districts=6)


@pytest.fixture
def explorer(project) -> Explorer:
    ex = bakhong.explore(root=project, indicator="TC09", interactive=True, synthetic=True,
                         export_dir=project / "reports" / "explore")
    assert isinstance(ex, Explorer)
    return ex


def _bars(ex: Explorer) -> dict[str, float]:
    trace = ex.traces("units")[0]
    return dict(zip(trace.x, trace.y, strict=True))


def test_a_real_unit_is_compared_with_real_units_unless_asked(project):
    ex = bakhong.explore(root=project, indicator="TC09", interactive=True)
    assert ex.controls.synthetic.value is False
    assert list(_bars(ex)) == ["Thường Xuân"]
    assert "DỮ LIỆU MÔ PHỎNG" not in ex.title("units")
    ex.controls.synthetic.value = True        # the analyst asks: every made-up unit says so
    assert len(_bars(ex)) == 7 and "DỮ LIỆU MÔ PHỎNG" in ex.title("units")


def test_a_doubted_figure_is_hatched_and_marked_in_the_units_chart(explorer):
    trace = explorer.traces("units")[0]
    marks = dict(zip(trace.x, zip(trace.text, trace.marker.pattern.shape,
                                  trace.hovertext, strict=True), strict=True))
    text, shape, hover = marks["Thường Xuân"]      # TC09: its ratio written swapped
    assert text.endswith("?") and shape == "/" and "chưa tin cậy" in hover
    assert any(not t.endswith("?") and s == "" for t, s, _ in marks.values())


def test_a_period_of_synthetic_data_only_shows_it_at_once(tmp_path):
    root = write_province(tmp_path, districts=2)
    (root / "data" / "raw" / "tables" / "thuong-xuan-2024.xlsx").unlink()
    ex = bakhong.explore(root=root, indicator="TC09", interactive=True)
    assert ex.controls.synthetic.value is True and len(_bars(ex)) == 2


def test_opens_on_every_unit_with_the_real_table_unmarked(explorer):
    bars = _bars(explorer)
    assert len(bars) == 7  # Thường Xuân and six synthetic districts
    assert bars["Thường Xuân"] == pytest.approx(0.4575)  # the real, swapped TC09 as stated
    synthetic = [name for name in bars if name.endswith("*")]
    assert len(synthetic) == 6
    assert "DỮ LIỆU MÔ PHỎNG" in explorer.title("units")
    assert "DỮ LIỆU MÔ PHỎNG" in explorer.header.value


def test_changing_the_indicator_redraws_the_figures_and_the_findings(explorer):
    before_y = tuple(explorer.traces("units")[0].y)
    before_table = explorer.findings_box.value
    assert "swapped_ratio" in before_table  # Thường Xuân's TC09, with its cell
    assert "thuong-xuan-2024.xlsx!" in before_table
    explorer.controls.indicator.value = "TC14"
    assert tuple(explorer.traces("units")[0].y) != before_y
    assert explorer.title("units").startswith("TC14")
    assert explorer.title("before_after").startswith("TC14")
    assert explorer.findings_box.value != before_table
    assert "swapped_ratio" not in explorer.findings_box.value
    assert "below_target" in explorer.findings_box.value  # Thường Xuân's TC14 misses 80%


def test_the_target_line_follows_the_indicator(explorer):
    target = explorer.traces("units")[1]
    assert target.name == "Chỉ tiêu giao"
    assert set(target.y) == {0.4}  # TC09: 40% in 2024
    explorer.controls.indicator.value = "TC06"
    assert set(explorer.traces("units")[1].y) == {0.8}


def test_selecting_units_narrows_before_after_heatmap_and_findings(explorer):
    explorer.controls.units.value = ("396",)
    assert explorer.traces("before_after")[1].x == ("Thường Xuân",)
    assert explorer.traces("heatmap")[0].y == ("Thường Xuân",)
    # the units chart still compares every unit, the others faded
    opacity = explorer.traces("units")[0].marker.opacity
    assert len(opacity) == 7 and sorted(opacity).count(1.0) == 1
    table = explorer.findings()
    assert set(table["unit_code"]) == {"396"}


def test_a_pillar_shows_its_criteria_in_the_heatmap(explorer):
    explorer.controls.indicator.value = "K2"
    columns = explorer.traces("heatmap")[0].x
    assert columns == ("TC06", "TC07", "TC15", "K2")  # K2's criteria (catalog.toml)
    assert "Không dùng tiền mặt" in explorer.title("units")


def test_the_phase_switches_values_and_attainment(explorer):
    after = _bars(explorer)
    explorer.controls.phase.value = "before"
    before = _bars(explorer)
    assert before != after
    assert "trước triển khai" in explorer.title("heatmap")


def test_hiding_synthetic_data_leaves_the_real_unit_only(explorer):
    explorer.controls.synthetic.value = False
    assert list(_bars(explorer)) == ["Thường Xuân"]
    assert [v for _, v in explorer.controls.units.options] == ["396"]
    assert "DỮ LIỆU MÔ PHỎNG" not in explorer.title("units")
    assert "DỮ LIỆU MÔ PHỎNG" not in explorer.header.value
    explorer.controls.synthetic.value = True
    assert len(_bars(explorer)) == 7


def test_the_findings_table_sorts_by_any_column(explorer):
    explorer.controls.only_indicator.value = False
    by_severity = explorer.findings()
    order = {"error": 0, "warning": 1, "info": 2}
    ranks = [order[s] for s in by_severity["severity"]]
    assert ranks == sorted(ranks)
    explorer.controls.sort_by.value = "source"
    explorer.controls.descending.value = True
    sources = explorer.findings()["source"].to_list()
    assert sources == sorted(sources, reverse=True)
    assert explorer.findings_box.value.index(sources[0]) < \
        explorer.findings_box.value.index(sources[-1])


def test_numbers_show_the_vietnamese_way(explorer):
    assert "45,8% ?" in explorer.traces("units")[0].text  # 45,75% to one decimal, doubted
    assert explorer.figure.layout.separators == ",."


def test_export_writes_csv_xlsx_and_html_of_the_selection(explorer, tmp_path):
    explorer.controls.units.value = ("396", "380")
    paths = explorer.export(tmp_path / "out")
    assert {p.suffix for p in paths.values()} == {".csv", ".xlsx", ".html"}
    with paths["csv"].open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert {r["Đơn vị"] for r in rows} == {"Thường Xuân", "Thanh Hóa"}
    tc09 = next(r for r in rows if r["Đơn vị"] == "Thường Xuân" and r["Mã chỉ tiêu"] == "TC09")
    assert tc09["Sau triển khai"] == "45,75%"
    assert tc09["Ô nguồn (sau)"].startswith("thuong-xuan-2024.xlsx!")
    assert {r["Dữ liệu"] for r in rows} == {"thật", "MÔ PHỎNG"}
    book = load_workbook(paths["xlsx"])
    data = book["Số liệu"]
    header = [c.value for c in data[1]]
    values = {(r[1], r[3]): r[header.index("Sau triển khai")]
              for r in data.iter_rows(min_row=2, values_only=True)}
    assert values[("Thường Xuân", "TC09")] == pytest.approx(0.4575)
    assert "MÔ PHỎNG" in str(book["Lựa chọn"]["B6"].value)
    page = paths["html"].read_text(encoding="utf-8")
    assert page.count('class="plotly-graph-div"') == 1
    assert re.search(r"<script[^>]*\bsrc=", page) is None  # plotly.js inlined: offline
    assert len(page) > 1_000_000
    assert "DỮ LIỆU MÔ PHỎNG" in page


def test_exports_of_different_selections_never_overwrite_each_other(explorer, tmp_path):
    explorer.controls.units.value = ("396", "380")
    first = explorer.export(tmp_path)
    explorer.controls.units.value = ("396", "381")  # as many units, other ones
    second = explorer.export(tmp_path)
    assert first["csv"] != second["csv"] and first["csv"].exists()
    assert "Thanh Hóa" in first["csv"].read_text(encoding="utf-8-sig")
    assert "Thanh Hóa" not in second["csv"].read_text(encoding="utf-8-sig")
    assert first["csv"].name == "2024-TC09-sau-380-396.csv"
    explorer.controls.units.value = tuple(sorted(set(explorer.data.table["unit_code"])))[:5]
    many = explorer.export(tmp_path)
    assert re.fullmatch(r"2024-TC09-sau-5-don-vi-[0-9a-f]{8}\.csv", many["csv"].name)
    explorer.controls.units.value = (*explorer.controls.units.value[:4], "386")
    assert explorer.export(tmp_path)["csv"] != many["csv"]
    explorer.controls.units.value = ("380", "396")  # the first selection again: its name
    assert explorer.export(tmp_path) == first
    assert len(list(tmp_path.glob("*.csv"))) == 2 * 4  # four selections, two CSVs each


def test_export_button_reports_in_vietnamese(explorer, project):
    explorer.controls.export.click()
    assert explorer.status.value.startswith("Đã xuất 4 tệp")
    assert (project / "reports" / "explore").is_dir()
    explorer.controls.export_dir.value = str(project / "data" / "raw" / "out")
    explorer.controls.export.click()
    assert "Không xuất được" in explorer.status.value
    assert not (project / "data" / "raw" / "out").exists()


def test_processed_data_is_used_when_ingest_wrote_it(tmp_path):
    root = write_province(tmp_path / "p", districts=2)
    assert "đọc trực tiếp" in load_data(root).origin
    ingest(root / "data" / "raw", root / "data" / "processed")
    data = load_data(root)
    assert "bakhong ingest" in data.origin
    assert data.table["unit_code"].n_unique() == 3


def test_real_data_beats_synthetic_for_the_same_unit(tmp_path):
    from conftest import clean_cells

    from bakhong.synth.template import Document, write

    root = write_province(tmp_path / "p", districts=1)
    write(root / "data" / "raw" / "synthetic" / "396-thuong-xuan-2024.xlsx",
          Document("UBND huyện Thường Xuân", "2024", clean_cells(), synthetic=True))
    data = load_data(root)
    tx = data.table.filter(pl.col("unit_code") == "396")
    assert tx.height == 19 and not tx["synthetic"].any()
    assert not data.findings.filter((pl.col("unit_code") == "396") & pl.col("synthetic")).height


def test_bad_arguments_are_clear_messages(project):
    with pytest.raises(UsageError, match="TC99"):
        bakhong.explore(root=project, indicator="TC99", interactive=False)
    with pytest.raises(UsageError, match="2019"):
        bakhong.explore(root=project, period="2019", interactive=False)
    with pytest.raises(UsageError, match="Không nhận ra đơn vị"):
        bakhong.explore(root=project, units=["Atlantis"], interactive=False)


def test_outside_a_kernel_it_degrades_to_a_static_view(project):
    assert in_interactive_kernel() is False  # pytest is no interactive front-end
    view = bakhong.explore(root=project, units=["Thường Xuân"], indicator="TC09")
    assert isinstance(view, StaticView)
    html = view._repr_html_()
    assert "không tương tác" in html and "45,75%" in html


def test_an_empty_project_says_so(tmp_path):
    (tmp_path / "data" / "raw").mkdir(parents=True)
    view = bakhong.explore(root=tmp_path, interactive=False)
    assert "Chưa có số liệu" in view._repr_html_()


@pytest.mark.slow
def test_the_notebook_runs_under_papermill_without_hanging(tmp_path):
    """papermill #723: a kernel stuck on widgets never returns. The explorer notebook must
    run to the end, degraded, well within the timeout."""
    root = write_province(tmp_path / "p", districts=3)
    notebook = root / "notebooks" / "explore.ipynb"
    notebook.parent.mkdir()
    notebook.write_bytes((ROOT / "notebooks" / "explore.ipynb").read_bytes())
    out = tmp_path / "out.ipynb"
    env = {"BAKHONG_HOME": str(root), "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
           "HOME": str(tmp_path), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "IPYTHONDIR": str(tmp_path / "ipy")}
    done = subprocess.run(
        [sys.executable, "-m", "papermill", str(notebook), str(out), "--cwd",
         str(notebook.parent), "--kernel", "python3", "--execution-timeout", "90",
         "--no-progress-bar"],
        env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    result = nbformat.read(out, as_version=4)
    outputs = [o for cell in result.cells if cell.cell_type == "code" for o in cell.outputs]
    shown = json.dumps([o.get("data", {}) for o in outputs], ensure_ascii=False)
    assert "không tương tác" in shown
    assert "application/vnd.jupyter.widget-view+json" not in shown


@pytest.mark.slow
def test_the_project_kernel_preloads_so_the_first_open_waits_on_no_import(project, tmp_path):
    """explore.ipynb runs on the "bakhong" kernel: the libraries the first ``explore()``
    waits on are imported while the kernel starts, and nothing is left in the namespace."""
    from jupyter_client.manager import start_new_kernel

    from bakhong.views.explore import KERNEL_NAME, install_kernel

    spec = json.loads((install_kernel() / "kernel.json").read_text(encoding="utf-8"))
    assert spec["argv"][0] == sys.executable
    notebook = json.loads((ROOT / "notebooks" / "explore.ipynb").read_text(encoding="utf-8"))
    assert notebook["metadata"]["kernelspec"]["name"] == KERNEL_NAME
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, cwd=str(project),
                              env={**__import__("os").environ, "BAKHONG_HOME": str(project)})
    outputs: list[str] = []

    def run(code: str) -> None:
        reply = kc.execute_interactive(code, timeout=120, output_hook=lambda m: outputs.append(
            m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
        assert reply["content"]["status"] == "ok", reply["content"]

    try:
        run("import sys; print(sorted(m for m in ('polars', 'ipywidgets', "
            "'plotly.graph_objs._figurewidget', 'bakhong.views.charts') if m in sys.modules), "
            "'_p' in dir(), 'bakhong' in dir())")
        assert outputs.pop().strip() == ("['bakhong.views.charts', 'ipywidgets', "
                                         "'plotly.graph_objs._figurewidget', 'polars'] False "
                                         "False")
        run("import bakhong; ex = bakhong.explore(interactive=True); "
            "print(type(ex).__name__, ex.figure.data[0].type)")
        assert outputs.pop().strip() == "Explorer bar"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def commune_project(tmp_path_factory, commune_province) -> Path:
    """The real Thường Xuân table and the synthetic tables of its communes and of Triệu
    Sơn's (``bakhong synth --level commune``)."""
    import shutil

    from conftest import THUONG_XUAN

    root = tmp_path_factory.mktemp("communes")
    (root / "data" / "raw" / "tables").mkdir(parents=True)
    shutil.copy(THUONG_XUAN, root / "data" / "raw" / "tables" / THUONG_XUAN.name)
    synthetic = root / "data" / "raw" / "synthetic"
    synthetic.mkdir()
    for path in [*commune_province.glob("396-*"), *commune_province.glob("397-*")]:
        shutil.copy(path, synthetic / path.name)
    return root


def test_commune_level_data_opens_and_selecting_communes_narrows_every_view(commune_project):
    ex = bakhong.explore(root=commune_project, indicator="TC09", interactive=True,
                         synthetic=True)
    assert isinstance(ex, Explorer)
    options = dict(ex.controls.units.options)  # label -> code
    communes = {label: code for label, code in options.items() if "xã/phường" in label}
    assert len(communes) > 20 and {c[:3] for c in communes.values()} == {"396", "397"}
    assert options["Thường Xuân"] == "396"  # the real district, first, unmarked
    assert next(iter(options)) == "Thường Xuân"
    label, code = sorted(communes.items())[0]
    assert label.endswith(f"(mô phỏng) — xã/phường [{code}]")
    bars = _bars(ex)
    assert len(bars) == len(options) and bars["Thường Xuân"] == pytest.approx(0.4575)

    everywhere = set(ex.findings()["unit_code"])
    picked = tuple(sorted(communes.values())[:2])
    names = set(ex.data.table.filter(pl.col("unit_code").is_in(picked))["unit_name"])
    ex.controls.units.value = picked
    shown = {name.rstrip(" *") for name in ex.traces("before_after")[1].x}
    assert shown == names and len(shown) == 2
    assert {name.rstrip(" *") for name in ex.traces("heatmap")[0].y} == names
    opacity = ex.traces("units")[0].marker.opacity
    assert sorted(opacity).count(1.0) == 2  # the two communes stand out among all units
    assert len(everywhere) > 5  # findings of many units before the selection
    assert set(ex.findings()["unit_code"]) == set(picked) < everywhere
