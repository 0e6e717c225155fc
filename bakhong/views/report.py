"""The sections of the district and province reports, and their export to one HTML file.

Notebooks call one method per section; each method displays its output (HTML and plotly
figures) and returns nothing. With ``interactive=False`` (the batch) figures are displayed as
``text/html`` without plotly.js, which :func:`export_html` embeds once per page; with
``interactive=True`` (JupyterLab) they use plotly's own renderer.

In a notebook::

    report = bakhong.views.report.district("396", "2024", data_dir="data/processed")
    report.headline()
"""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from .. import config, indicators
from ..config import PACKAGE_DATA
from ..contract import SYNTHETIC_TITLE
from ..errors import BakhongError
from ..vocab import units as units_mod
from ..vocab.catalog import load_catalog
from . import charts, summary, tables
from .pdf import OPEN_FOR_PRINT

PLOTLY_JS = PACKAGE_DATA.parent / "_vendor" / "plotly-cartesian.min.js"
#: scatter and bar only: a unit's report has no heatmap, and is 0,3 MB lighter with this
PLOTLY_JS_BASIC = PACKAGE_DATA.parent / "_vendor" / "plotly-basic.min.js"


class NoDataError(BakhongError, LookupError):
    """A unit or period without observations."""


def _display_html(fragment: str) -> None:
    from IPython.display import HTML, display

    display(HTML(fragment))


@dataclass
class _Report:
    period: str
    data_dir: str | Path | None = None
    interactive: bool = False
    _ids: Any = field(default_factory=lambda: itertools.count(1), repr=False)

    def _load(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        return indicators.read_processed(self.data_dir)

    def _figure(self, fig: Any, name: str, collapsed: str = "") -> None:
        """A chart, its title above it and its notes beneath it in the page's own text (they
        wrap on a phone and can never run over the axes or the legend)."""
        if not isinstance(fig, dict):  # a plotly figure; the batch's charts are plain dicts
            fig = fig.to_plotly_json()
        layout = fig["layout"]
        meta = layout.pop("meta", None)
        notes = "".join(f'<p class="chart-note">{html.escape(n)}</p>'
                        for n in (meta if isinstance(meta, dict) else {}).get("notes", []))
        if self.interactive:
            import plotly.graph_objects as go

            go.Figure(fig).show(config=charts.CONFIG)
            if notes:
                _display_html(notes)
            return
        import plotly.io as pio

        if isinstance(layout.get("template"), str):  # a template's name, as plotly.js takes it
            layout["template"] = pio.templates[layout["template"]].to_plotly_json()
        title = (layout.pop("title", None) or {}).get("text") or ""
        if title:
            margin = layout.setdefault("margin", {})
            margin["t"] = max(20, (margin.get("t") or 56) - 36)
        div = pio.to_html(fig, full_html=False, include_plotlyjs=False, config=charts.CONFIG,
                          div_id=f"{name}-{next(self._ids)}", default_width="100%",
                          validate=False)
        traces = ",".join(sorted({trace.get("type", "scatter") for trace in fig["data"]}))
        # the title is plotly's markup over source text charts.plain already escaped
        caption = (f'<figcaption>{title.replace("<sup>", "<small>").replace("</sup>", "</small>")}'
                   "</figcaption>" if title else "")
        figure = (f'<figure class="chart" data-traces="{traces}">{caption}{div}{notes}'
                  "</figure>")
        _display_html(_collapsed(collapsed, figure) if collapsed else figure)

    def _heading(self, text: str) -> None:
        _display_html(f"<h2>{html.escape(text)}</h2>")


def _kicker(period: str) -> str:
    """The line above a report's title: the issuing department of the period."""
    return f"{html.escape(config.department(period).name)} — Đánh giá mô hình “3 KHÔNG”"


DOUBTING_WARNINGS = indicators.DOUBTING_WARNINGS

#: fewer real units than this are not ranked: a rank among two says nothing
MIN_PEERS = 3


def _trusted(observations: pl.DataFrame, findings: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """The observations a comparison may use: without the figures an error finding says
    cannot be true (a swapped ratio stays: its stated rate is the corrected reading), and
    how many were left out."""
    bad = findings.filter((pl.col("severity") == "error") & (pl.col("rule") != "swapped_ratio")
                          & (pl.col("indicator") != "")).select(
        "unit_code", "period", "indicator", "phase").unique()
    if bad.is_empty():
        return observations, 0
    kept = observations.join(bad, on=["unit_code", "period", "indicator", "phase"],
                             how="anti")
    return kept, observations.height - kept.height


#: rankings already made in this process: (period, level, peers, parent, real) → (the
#: processed observations they were made from, ranks, figures left out)
_RANKS: dict[tuple[Any, ...], tuple[pl.DataFrame, pl.DataFrame, int]] = {}

#: who a unit's report compares it with
_PEERS = {"district": "các huyện, thị xã, thành phố", "commune": "các xã, thị trấn cùng huyện",
          "new": "các xã, phường trong tỉnh"}

_LEVEL_PLURAL = {"district": "huyện, thị xã, thành phố", "commune": "xã, phường, thị trấn"}


def _collapsed(label: str, fragment: str, open_: bool = False) -> str:
    """A long table behind ``<details>``: the point first, the detail a tap away."""
    return (f'<details class="more"{" open" if open_ else ""}><summary>{html.escape(label)}'
            f"</summary>{fragment}</details>")


def synthetic_banner() -> str:
    return (f'<div class="synthetic-banner" role="note"><strong>{SYNTHETIC_TITLE}</strong> — '
            "báo cáo này được lập từ số liệu giả lập để thử nghiệm, không phải số liệu thật "
            "của đơn vị.</div>")


@dataclass
class District(_Report):
    """The report of one district for one period."""

    unit: str = ""

    def __post_init__(self) -> None:
        self.unit_ref = units_mod.match(self.unit, period=self.period)
        observations, findings = self._load()
        self.observations = observations.filter(
            (pl.col("unit_code") == self.unit_ref.code) & (pl.col("period") == self.period))
        # a file that could not be read has a finding without a period
        self.findings = findings.filter((pl.col("unit_code") == self.unit_ref.code)
                                        & pl.col("period").is_in([self.period, ""]))
        self.period_findings = findings.filter(pl.col("period") == self.period)
        self.all_observations = observations.filter(pl.col("period") == self.period)
        self.commune_rows = indicators.communes_of(self.all_observations, self.unit_ref.code,
                                                   self.period)
        if self.observations.is_empty() and self.findings.is_empty() and \
                self.commune_rows.is_empty():
            raise NoDataError(f"Không có số liệu của {self.unit_ref.full_name} kỳ {self.period} "
                              f"trong {self.data_dir or 'data/processed'}")
        self.table = indicators.wide(self.observations)
        self.synthetic = bool(self.observations["synthetic"].any()) or bool(
            self.findings["synthetic"].any()) or bool(self.commune_rows["synthetic"].any())

    def _no_data(self) -> bool:
        if self.observations.is_empty():
            _display_html('<p class="note">Chưa có số liệu đọc được của đơn vị cho kỳ này — '
                          "xem mục “Những vấn đề trong số liệu” về tệp đơn vị đã gửi.</p>")
            return True
        return False

    # --- sections -----------------------------------------------------------------------
    def title(self) -> None:
        """The title block, and the synthetic-data banner when the data are synthetic."""
        unit = self.unit_ref
        banner = synthetic_banner() if self.synthetic else ""
        real = ("" if self.synthetic else '<span class="real-mark" title="Số liệu do đơn vị '
                'báo cáo">Số liệu thật</span> ')
        _display_html(
            f'{banner}<header class="report-head"><p class="kicker">{_kicker(self.period)}</p>'
            f"<h1>{html.escape(unit.full_name)}</h1>"
            f'<p class="subtitle">{real}Kết quả mô hình “3 KHÔNG” năm '
            f"{html.escape(self.period)}</p></header>")

    def verdict(self) -> None:
        """The first screen: criteria met, the pillars before → after, the errors to correct
        and the things to do first (:func:`bakhong.indicators.verdict`)."""
        if self._no_data():
            return
        facts = indicators.headline(self.table)
        flagged = self._flagged()
        facts = {k: {**v, "doubtful": flagged.get(k) == "error"} for k, v in facts.items()}
        _display_html(summary.verdict_block(indicators.verdict(self.table, self.findings),
                                            facts, self.synthetic))

    def headline(self) -> None:
        """K1–K3: before → after with the change in percentage points."""
        if self._no_data():
            return
        _display_html(tables.headline(self.table))

    def criteria(self) -> None:
        """The 16 criteria: target, before, after, change, attained."""
        if self._no_data():
            return
        crit = self.table.filter(pl.col("group") != "pillar")
        said = indicators.verdict(self.table, self.findings)  # the counts the verdict gives
        doubt = (f" ({said['doubtful']} trong số đó dựa trên số liệu có lỗi hoặc cần xem lại, "
                 "chưa tin cậy)" if said["doubtful"] else "")
        _display_html(
            f'<p class="summary">Đạt <strong>{said["met"]}/{said["with_target"]}</strong> tiêu '
            f'chí{doubt}; chưa đạt <strong>{said["missed"]}</strong>; {said["undetermined"]} '
            "tiêu chí không xác định được (thiếu số liệu hoặc số liệu chỉ ghi “trên …”).</p>"
            + summary.criteria_compact(crit, self._flagged()))

    def _flagged(self) -> dict[str, str]:
        """The criteria whose figure a finding doubts, and how: "error" (cannot be true) or
        "warning" (contradicted by another source, far from every other unit, …)."""
        return indicators.doubted(self.findings)

    def charts(self) -> None:
        """Before/after dumbbell charts with the target, one per group of criteria."""
        for group in ("government", "people"):
            if self.table.filter(pl.col("group") == group).height:
                self._figure(charts.before_after_spec(self.table, group), f"ba-{group}")

    def standing(self) -> None:
        """Where the unit stands among all districts, per criterion."""
        if self._no_data():
            return
        unit, peers, title = self.unit_ref, self.all_observations, _PEERS["district"]
        if unit.level == "commune" and not unit.new and unit.parent_code:
            # a 2023–2024 commune against the other communes of its district, not 558
            peers = indicators.communes_of(peers, unit.parent_code, self.period)
            title = _PEERS["commune"]
        elif unit.level == "commune":
            title = _PEERS["new"]
        real = not bool(self.observations["synthetic"].any())
        # one ranking serves every unit of a batch kernel that has the same peers
        data = self._load()[0]
        key = (self.period, unit.level, title, unit.parent_code, real)
        if key not in _RANKS or _RANKS[key][0] is not data:
            if real:  # a real unit is ranked among real units only, never made-up ones
                peers = peers.filter(~pl.col("synthetic"))
            peers, left_out = _trusted(peers, self.period_findings)
            if len(_RANKS) > 64:
                _RANKS.clear()
            _RANKS[key] = (data, indicators.ranking(peers, self.period, level=unit.level),
                           left_out)
        _, ranks, left_out = _RANKS[key]
        n = ranks["unit_code"].n_unique()
        kind = "đơn vị thật" if real else "đơn vị"
        if n < MIN_PEERS:
            _display_html(f'<p class="note">Chỉ có {n} {kind} ({title}) có số liệu kỳ '
                          f"{html.escape(self.period)}: chưa đủ để so sánh và xếp hạng (cần từ "
                          f"{MIN_PEERS}).</p>")
            return
        dropped = (f" {left_out} số liệu có lỗi không được dùng để so sánh (xem mục “Những "
                   "vấn đề trong số liệu”)." if left_out else "")
        _display_html(f'<p class="summary">So sánh với {n} {kind} ({title}) có số liệu kỳ '
                      f"{html.escape(self.period)} (hạng 1 = cao nhất).{dropped}</p>")
        _display_html(summary.standing_line(ranks, unit.code))
        self._figure(charts.standing_spec(ranks, unit.code,
                                          title=f"Vị trí của đơn vị so với {title}"),
                     "standing", collapsed="Biểu đồ vị trí từng tiêu chí")
        _display_html(_collapsed("Bảng xếp hạng từng tiêu chí",
                                 tables.standing(ranks, self.unit_ref.code)))

    def problems(self) -> None:
        """The data problems found in the unit's files: what, which cell, what to fix. A
        target missed is a result, not a data problem: it is named here only by its number
        (the criteria and the verdict show it)."""
        missed = self.findings.filter(pl.col("rule") == "below_target")
        problems = self.findings.filter(pl.col("rule") != "below_target")
        counts = {s: problems.filter(pl.col("severity") == s).height
                  for s in ("error", "warning", "info")}
        info = (f', <strong>{counts["info"]}</strong> thông tin' if counts["info"] else "")
        numbers = sorted({load_catalog()[c].number for c in missed["indicator"].to_list()
                          if c in load_catalog() and load_catalog()[c].number})
        results = (f'<p class="note">Chỉ tiêu chưa đạt (kết quả, không phải lỗi số liệu): '
                   f'tiêu chí {", ".join(map(str, numbers))} — xem mục 1.</p>'
                   if numbers else "")
        _display_html(
            f'<p class="summary" id="van-de"><strong>{counts["error"]}</strong> lỗi, '
            f'<strong>{counts["warning"]}</strong> điểm cần xem lại{info}.</p>'
            + summary.problems(problems) + results)

    def communes(self) -> None:
        """The district's communes with data: each one's attainment (and its report), and
        their results rolled up into the district, the method said."""
        rows = self.commune_rows
        if rows.is_empty():
            _display_html('<p class="note">Không có số liệu cấp xã của đơn vị trong kỳ này.</p>')
            return
        table = indicators.wide(rows)
        links = {c: f"{c}-{units_mod.by_code(c, self.period).slug}.html"
                 for c in rows["unit_code"].unique().to_list()}
        n = len(links)
        # Σ numerators / Σ denominators where every commune gives both, else the mean
        rolled = indicators.province_wide(rows, self.findings)
        _display_html(
            f'<p class="summary">{n} xã, phường, thị trấn có số liệu kỳ '
            f"{html.escape(self.period)}.</p>"
            + _collapsed(f"Mức đạt của từng xã ({n})", tables.communes(table, links), n <= 8)
            + _collapsed(f"Tổng hợp từ {n} xã, phường, thị trấn lên đơn vị",
                         tables.province(rolled)))

    def _plans(self) -> list[dict]:
        return indicators.plans_for(indicators.read_plans(self.data_dir), self.unit_ref.code,
                                    self.unit_ref.parent_code, self.period)

    def plan(self) -> None:
        """The plans binding the unit: window, deadlines met or missed, targets that differ
        from the province's template, units left out."""
        _display_html(tables.plan_section(self._plans(), self.findings))

    def progress(self) -> None:
        """The unit's progress reports as a dated series per indicator, against its targets
        and the plan's rollout window."""
        series = indicators.progress_series(self.observations, self.unit_ref.code,
                                            self.period)
        if series.is_empty():
            _display_html('<p class="note">Đơn vị không gửi báo cáo tiến độ định kỳ trong kỳ '
                          "này.</p>")
            return
        window = next((p["window"] for p in self._plans() if p.get("window")), None)
        self._figure(charts.progress(series, window), "progress")

    def sources(self) -> None:
        """The files and sheets every figure came from."""
        if self._no_data():
            return
        catalog = load_catalog()
        target_source = catalog.target("TC01").source if catalog.target("TC01") else ""
        extra = [("Chỉ tiêu giao", target_source)] if target_source else []
        _display_html(_collapsed("Các tệp, trang tính và ô số liệu",
                                 tables.sources(self.table, extra)))


@dataclass
class Province(_Report):
    """The province overview for one period: every district."""

    level: str = "district"
    show_synthetic: bool = False

    def __post_init__(self) -> None:
        observations, findings = self._load()
        self.observations = observations.filter(
            (pl.col("period") == self.period) & (pl.col("unit_level") == self.level))
        if self.observations.is_empty():
            raise NoDataError(f"Không có số liệu kỳ {self.period} trong "
                              f"{self.data_dir or 'data/processed'}")
        self.findings = findings.filter(pl.col("period") == self.period)
        # a file that could not be read has no period: its unit is still this period's
        self.unreadable = set(findings.filter((pl.col("rule") == "load_error")
                                              & pl.col("period").is_in([self.period, ""]))
                              ["unit_code"].to_list())
        self.table = indicators.wide(self.observations)
        self.synthetic = bool(self.observations["synthetic"].any())

    def title(self) -> None:
        n = self.observations["unit_code"].n_unique()
        real = self.observations.filter(~pl.col("synthetic"))["unit_name"].unique().sort()
        note = ""
        if self.synthetic:
            note = synthetic_banner()
            if real.len():
                note += (f'<p class="note">Số liệu thật: {html.escape(", ".join(real))}; '
                         "các đơn vị còn lại là số liệu mô phỏng.</p>")
        note += self._missing_units()
        _display_html(
            f'{note}<header class="report-head"><p class="kicker">{_kicker(self.period)}</p>'
            f"<h1>Toàn tỉnh Thanh Hóa</h1>"
            f'<p class="subtitle">Tổng hợp {n} {_LEVEL_PLURAL[self.level]} — năm '
            f"{html.escape(self.period)}</p></header>")

    def verdict(self) -> None:
        """The first screen: the units ranked by criteria met — real units only unless
        ``show_synthetic`` (then each made-up one says so) — and the data errors to correct."""
        counts = indicators.attainment_counts(self.table)
        links = {c: f"{c}-{units_mod.by_code(c, self.period).slug}.html"
                 for c in counts["unit_code"].to_list()}
        errors = self.findings.filter(pl.col("severity") == "error")
        hidden = counts.filter(pl.col("synthetic")).height if not self.show_synthetic else 0
        said = (f'<p class="note">{hidden} đơn vị có số liệu mô phỏng không được xếp hạng.</p>'
                if hidden else "")
        _display_html(
            '<section class="verdict" id="tom-tat" aria-label="Tóm tắt kết quả toàn tỉnh">'
            '<p class="verdict-main">Xếp hạng theo số tiêu chí đạt chỉ tiêu</p>'
            + summary.unit_ranking(counts, links, self.show_synthetic) + said
            + f'<p class="verdict-errors"><strong>{errors.height} lỗi số liệu</strong> ở '
            f'{errors.filter(pl.col("unit_code") != "")["unit_code"].n_unique()} đơn vị cần '
            "sửa (xem mục Tổng hợp vấn đề trong số liệu).</p></section>")

    def _missing_units(self) -> str:
        """The districts expected for the period that are not in the figures, with why."""
        if self.level != "district":
            return ""
        from ..checks import expected_units

        have = set(self.observations["unit_code"].to_list())
        unreadable = self.unreadable
        missing = [u for u in expected_units(self.period) if u.code not in have]
        if not missing:
            return ""
        why = {True: "không đọc được tệp", False: "chưa có số liệu"}
        said = "; ".join(f"{u.full_name} ({why[u.code in unreadable]})" for u in missing)
        return f'<p class="note">Không có trong số liệu tổng hợp: {html.escape(said)}.</p>'

    def heatmap(self) -> None:
        """The units × criteria heatmap; on a phone, a list in its place (per unit, the
        criteria met and those missed)."""
        doubted = indicators.doubted_cells(self.findings)
        self._figure(charts.heatmap(self.table, doubted=doubted), "heatmap")
        _display_html(summary.attainment_list(self.table, doubted))

    def before_after(self) -> None:
        """The province's before/after per indicator, weighted where denominators allow."""
        trusted, left_out = _trusted(self.observations, self.findings)
        prov = indicators.province_wide(trusted, self.findings)
        weighted = prov.filter(pl.col("after_method").str.starts_with("bình quân")).height
        dropped = (f"{left_out} số liệu có lỗi (không thể đúng) không được tính vào số liệu "
                   "toàn tỉnh; " if left_out else "")
        _display_html(
            f'<p class="summary">{dropped}Số liệu toàn tỉnh: {weighted} chỉ tiêu tính bình quân '
            "gia quyền theo mẫu số (tổng tử số / tổng mẫu số); các chỉ tiêu còn lại tính trung "
            "bình cộng không trọng số của các đơn vị, vì có đơn vị không ghi mẫu số hoặc mẫu "
            "số bị phát hiện lỗi. Giá trị ghi “trên x%” được tính bằng x%.</p>"
            + tables.province(prov))
        for group in ("government", "people"):
            self._figure(charts.province_before_after(prov, group), f"prov-{group}")

    def ranking(self) -> None:
        counts = indicators.attainment_counts(self.table)
        self._figure(charts.attainment_ranking(counts), "ranking")

    def findings_summary(self) -> None:
        _display_html(tables.findings_by_rule(self.findings))

    def plans(self) -> None:
        """Every plan and instruction of the period: window, deadlines, exclusions."""
        plans = [p for p in indicators.read_plans(self.data_dir) if p["period"] == self.period]
        _display_html(tables.plans_overview(plans))


def district(unit: str, period: str, data_dir: str | Path | None = None,
             interactive: bool = False) -> District:
    """The report of ``unit`` (name or GSO code) for ``period``."""
    return District(period=str(period), data_dir=data_dir, interactive=interactive,
                    unit=str(unit))


def province(period: str, data_dir: str | Path | None = None,
             interactive: bool = False, level: str = "district",
             show_synthetic: bool = False) -> Province:
    """The province overview for ``period``, over its districts or its communes."""
    return Province(period=str(period), data_dir=data_dir, interactive=interactive,
                    level=level, show_synthetic=show_synthetic)


# --- export -------------------------------------------------------------------------------------

#: the reports' style sheet: screen, phone (≤ 640 px) and print
CSS = (PACKAGE_DATA / "report.css").read_text(encoding="utf-8")


@cache
def plotly_js(heatmap: bool = True) -> str:
    """The vendored partial plotly.js bundle: cartesian (bar, scatter, heatmap) when a page
    draws a heatmap, else basic (bar, scatter)."""
    return (PLOTLY_JS if heatmap else PLOTLY_JS_BASIC).read_text(encoding="utf-8")


@cache
@cache
def _markdown() -> Any:
    import mistune

    return mistune.create_markdown(escape=True)


def _slug(text: str) -> str:
    """A heading's anchor: "## 3. Những vấn đề…" → "3-nhung-van-de…"."""
    from ..vocab.parse import fold

    return re.sub(r"[^a-z0-9]+", "-", fold(re.sub(r"<[^>]+>", "", text))).strip("-")


def _cell_html(cell: Any) -> str:
    """One executed cell as the page shows it: a markdown cell rendered (its headings given
    anchors), a code cell's HTML outputs (and plain text when a cell gives no HTML); no code,
    prompts or stderr."""
    if cell.get("cell_type") == "markdown":
        rendered = _markdown()(cell.get("source", ""))
        rendered = re.sub(r"<(h[1-6])>(.*?)</\1>",
                          lambda m: f'<{m.group(1)} id="{_slug(m.group(2))}">{m.group(2)}'
                                    f"</{m.group(1)}>", rendered)
        return f'<div class="md">{rendered}</div>'
    parts = []
    for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
        kind = output.get("output_type")
        data = output.get("data", {})
        if kind in ("display_data", "execute_result") and "text/html" in data:
            parts.append(_joined(data["text/html"]))
        elif kind in ("display_data", "execute_result") and "text/plain" in data:
            parts.append(f"<pre>{html.escape(_joined(data['text/plain']))}</pre>")
        elif kind == "stream" and output.get("name") == "stdout":
            parts.append(f"<pre>{html.escape(_joined(output.get('text', '')))}</pre>")
    return "".join(f'<div class="output">{part}</div>' for part in parts)


def _joined(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


#: a chart's JSON escapes every Vietnamese letter ("\\u1ea1", 6 bytes for 3 in UTF-8); the
#: page is UTF-8, so letters are written as such — never "<", ">", "&" or line separators
_LETTER_ESCAPE = re.compile(r"\\u(00[c-f][0-9a-f]|0[1-9a-f][0-9a-f]{2}|1[0-9a-f]{3}|"
                            r"20[01][0-9a-f]|202[a-f]|20[3-9a-f][0-9a-f]|2[1-9a-f][0-9a-f]{2})")


#: drawn after the first paint: plotly.js is read only once the page's text is on screen (the
#: browser has recorded its first paint), or after a second at most
_DRAW = """<script>(function(){
var t0=Date.now();
function painted(){return performance.getEntriesByType("paint").length>0;}
function wait(){if(painted()||Date.now()-t0>1000){draw();}else{setTimeout(wait,16);}}
function draw(){window.__bakhongPaintedBeforeCharts=painted();
var js=document.getElementById("plotly-js");if(js){(0,eval)(js.textContent);}
document.querySelectorAll('script[type="text/x-bakhong-chart"]').forEach(function(c){
try{(0,eval)(c.textContent);}catch(e){console.error(e);}});
document.querySelectorAll("details").forEach(function(d){d.addEventListener("toggle",
function(){d.querySelectorAll(".js-plotly-plot").forEach(function(p){Plotly.Plots.resize(p);});});});
document.documentElement.setAttribute("data-charts","drawn");}
requestAnimationFrame(function(){setTimeout(wait,0);});})();</script>"""


#: printed (by the browser, or by pdf.py), every problem is listed: the folded rest opens
_PRINT = f'<script>addEventListener("beforeprint",function(){{{OPEN_FOR_PRINT};}});</script>'


def page(title: str, body: str, charts_present: bool = True, footer: str = "") -> str:
    """A whole, offline HTML page: inline CSS, plotly.js inlined once (when charts exist),
    the lighter bundle when no chart is a heatmap. The text paints first: plotly.js and the
    charts' scripts are inert text until the first frame is drawn (:data:`_DRAW`)."""
    heatmap = bool(re.search(r'data-traces="[^"]*heatmap', body))
    script = ""
    if charts_present:
        body = re.sub(r'<script(?: type="text/javascript")?>',
                      '<script type="text/x-bakhong-chart">', body)
        script = (f'<script type="text/x-plotly-js" id="plotly-js">{plotly_js(heatmap)}'
                  f"</script>\n{_DRAW}")
    body = _LETTER_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), body)
    return (
        '<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n{footer}</main>\n{_PRINT}\n{script}\n</body>\n</html>\n")


def export_html(notebook: Any, title: str, footer: str = "") -> str:
    """An executed notebook as one offline page: its markdown and its outputs, in order;
    code, prompts and stderr hidden. Written here rather than by nbconvert's exporter, which
    parsed every output again (a third of a commune report's time in the batch)."""
    body = "\n".join(filter(None, (_cell_html(cell) for cell in notebook["cells"])))
    return page(title, body, charts_present="plotly-graph-div" in body, footer=footer)
