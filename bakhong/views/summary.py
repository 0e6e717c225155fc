"""What a leader reads: the verdict block that opens a report, the compact list of the 16
criteria, the data problems in plain words (the technical detail behind ``<details>``), and
the overview's ranking of units by criteria met. HTML text, every source value escaped.

Plain words (:func:`plain_words`): a reader never sees an exception's text, a file-and-line
reference, a method's name or a criterion code ("TC08") where the tables say "8."; those stay
for the analyst in the detail.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from ..contract import SEVERITY_VI
from ..indicators import change_text, criterion_label, value_text
from ..vocab.catalog import load_catalog
from ..vocab.parse import format_int, format_percent
from .tables import _FLAG_TEXT, _status, esc, where

__all__ = [
    "attainment_list",
    "criteria_compact",
    "plain_words",
    "problems",
    "unit_ranking",
    "verdict_block",
]

#: what a reader must not see, and what they read instead
_TECHNICAL = (
    # a quoted echo of the narrative with its file and line: the detail keeps it
    (re.compile(r"\s*Văn bản báo cáo nhắc lại số liệu này:.*$", re.S),
     " Văn bản báo cáo của đơn vị cũng nhắc lại số liệu này."),
    (re.compile(r"\s*\((?:[^()]*?\.(?:md|txt|docx?|pdf)):(?:line|dòng) \d+\)"), ""),
    (re.compile(r"\b[\w.\-]+\.(?:md|txt|docx?|pdf):(?:line|dòng) \d+"), "văn bản báo cáo"),
    (re.compile(r"\b[\w.\-]+\.(?:xlsx?|xlsm|csv|ods)(?:![^!]+)?!([A-Z]{1,3}\d+)\b"),
     r"ô \1 của bảng số liệu"),
    (re.compile(r",?\s*điểm z hiệu chỉnh [\d.,\-]+"), ""),
    (re.compile(r"\s*\(?(?:đối chiếu với nguồn bên ngoài )?theo WHO DQR\)?"), ""),
    (re.compile(r"\b\w*(?:Error|Exception)\b:?.*?(?=$|\.\s)", re.S), "tệp hỏng hoặc không đúng "
     "định dạng"),
    (re.compile(r"\S+\.parquet\b"), "dữ liệu đã xử lý"),
)
_CODE_ALONE = re.compile(r"\((?:chỉ tiêu |tiêu chí )?TC0?(\d{1,2})\)")
#: "Chỉ tiêu TC09 (Người dân …)" or a bare "TC09" — never eating a figure "(72.599)"
_CRITERION = re.compile(r"(?:[Cc]hỉ tiêu |[Tt]iêu chí )?\bTC0?(\d{1,2})\b"
                        r"(?: \((?![\d.,]+\))[^()]*\))?")


def plain_words(text: str) -> str:
    """A finding's message as a leader reads it: what is wrong, without file references,
    exception text or method names; criteria named as the tables name them.

    >>> plain_words("Chỉ tiêu TC09 (Người dân có chữ ký điện tử): tử số và mẫu số bị đảo. "
    ...             "Văn bản báo cáo nhắc lại số liệu này: a.md:line 48 (“…”)")[:65]
    'Người dân có chữ ký điện tử (tiêu chí 9): tử số và mẫu số bị đảo.'
    >>> plain_words("Lệch với tệp a.xlsx!Bao cao!E26 (b.md:line 47), điểm z hiệu chỉnh 4,2")
    'Lệch với tệp ô E26 của bảng số liệu'
    """
    out = text or ""
    for pattern, instead in _TECHNICAL:
        out = pattern.sub(instead, out)
    catalog = load_catalog()
    out = _CODE_ALONE.sub(lambda m: f"(tiêu chí {int(m[1])})", out)
    out = _CRITERION.sub(lambda m: criterion_label(f"TC{int(m[1]):02d}", catalog), out)
    return _shortened(re.sub(r"\s{2,}", " ", out).strip())


#: the longest message a leader reads in full; the rest is in the analyst's detail
PLAIN_MAX = 220


def _shortened(text: str) -> str:
    """At most :data:`PLAIN_MAX` characters, cut where a sentence or a clause ends."""
    if len(text) <= PLAIN_MAX:
        return text
    cut = max(text.rfind(mark, 0, PLAIN_MAX) for mark in (". ", " — ", "; ", ", "))
    return (text[:cut] if cut > 60 else text[:PLAIN_MAX].rsplit(" ", 1)[0]).rstrip(" ,;—") + " …"


def _pillars(headline: dict[str, dict[str, Any]]) -> str:
    catalog = load_catalog()
    items = []
    for code, fact in headline.items():
        doubt = (' <span class="flag">số liệu chưa tin cậy</span>'
                 if fact.get("doubtful") else "")
        change = fact["change_text"]
        items.append(
            f'<li><span class="pillar">{esc(catalog.pillars.get(code, code))}</span> '
            f'<span class="fig"><span class="before">{esc(fact["before_text"])}</span> → '
            f'<strong>{esc(fact["after_text"])}</strong>'
            + (f' <span class="change">({esc(change)})</span>' if change != "—" else "")
            + f"</span>{doubt}</li>")
    return f'<ul class="pillars">{"".join(items)}</ul>' if items else ""


def verdict_block(verdict: dict[str, Any], headline: dict[str, dict[str, Any]],
                  synthetic: bool) -> str:
    """The first screen: criteria met of those with a target, the three pillars before →
    after, the errors to correct and the first things to do, each linking to its row."""
    met, total = verdict["met"], verdict["with_target"]
    doubt = (f' — <span class="flag">{verdict["doubtful"]} trong số đó dựa trên số liệu chưa '
             "tin cậy</span>" if verdict["doubtful"] else "")
    rest = [f"chưa đạt {verdict['missed']}"] if verdict["missed"] else []
    if verdict["undetermined"]:
        rest.append(f"{verdict['undetermined']} không xác định được")
    errors = verdict["errors"]
    fix = (f'<p class="verdict-errors"><strong>{errors} lỗi số liệu</strong> đơn vị cần sửa '
           'và gửi lại (<a href="#van-de">xem mục Những vấn đề trong số liệu</a>).</p>'
           if errors else '<p class="verdict-errors ok">Không có lỗi số liệu phải sửa.</p>')
    todo = "".join(
        f'<li class="{esc(item["kind"])}"><a href="#{esc(item["anchor"])}">'
        f"{esc(item['text'])}</a></li>" for item in verdict["first"])
    todo_html = (f'<p class="verdict-todo-title">Việc cần làm trước</p><ol class="todo">{todo}'
                 "</ol>" if todo else "")
    mark = ("" if not synthetic else
            '<p class="verdict-synthetic">Số liệu mô phỏng, không phải của đơn vị.</p>')
    return (
        '<section class="verdict" id="tom-tat" aria-label="Tóm tắt kết quả">'
        f'{mark}<p class="verdict-main">Đạt <strong>{met}/{total}</strong> tiêu chí có chỉ tiêu'
        f"{doubt}" + (f"; {esc('; '.join(rest))}" if rest else "") + ".</p>"
        f"{_pillars(headline)}{fix}{todo_html}</section>")


#: a target's qualifier as a sign, short enough for a phone's column ("≥ 80%")
_SIGN = {"≥": "≥ ", ">": "> ", "≤": "≤ ", "<": "< ", "=": ""}


def criteria_compact(crit: pl.DataFrame, flagged: dict[str, str]) -> str:
    """The 16 criteria as one dense table per group — criterion, result, target, verdict; the
    value before and the change beneath the result only where the unit gave them. Each row
    carries the anchor ``tc-<code>`` the verdict links to."""
    catalog = load_catalog()
    parts = []
    for group in ("government", "people"):
        rows = []
        for r in crit.filter(pl.col("group") == group).iter_rows(named=True):
            code = r["indicator"]
            after = esc(value_text(r["after"], r["after_qualifier"], r["after_raw"]))
            before = ""
            if r["before"] is not None:  # the change is left out on a phone, not on a desktop
                was = value_text(r["before"], r["before_qualifier"], r["before_raw"])
                before = (f'<span class="was">trước {esc(was)}<span class="chg"> · '
                          f'{esc(change_text(r["change"], r["after_qualifier"]))}</span></span>')
            flag = ""
            if code in flagged:
                flag = _FLAG_TEXT[flagged[code]]
                flag = f'<span class="flag">{flag}</span>'
            target = ("—" if r["target"] is None else
                      f"{_SIGN.get(r['target_qualifier'] or '≥', '')}{format_percent(r['target'])}")
            rows.append(
                f'<tr id="tc-{esc(code)}"><th scope="row"><span class="stt">'
                f'{catalog[code].number}.</span> {esc(r["short"])}{flag}</th>'
                f'<td class="num">{after}{before}</td><td class="num">{esc(target)}</td>'
                f"<td>{_status(r['attained'], r['target'], doubtful=code in flagged)}</td></tr>")
        if rows:
            parts.append(
                f'<div class="table-wrap"><table class="bk-table compact criteria">'
                f"<caption>{esc(catalog.groups[group])}</caption><thead><tr>"
                '<th scope="col">Tiêu chí</th><th scope="col" class="num">Kết quả</th>'
                '<th scope="col" class="num">Chỉ tiêu</th><th scope="col">Đánh giá</th>'
                f'</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')
    return "".join(parts)


#: the problems listed in full before the rest fold behind "Xem thêm" (errors come first)
SHOWN_PROBLEMS = 3


def problems(findings: pl.DataFrame) -> str:
    """The data problems as a list: the criterion, what is wrong in plain words and what to
    send instead; the full message, the cell and the rule behind "Chi tiết"."""
    if findings.is_empty():
        return '<p class="note ok">Không phát hiện vấn đề nào trong số liệu của đơn vị.</p>'
    catalog = load_catalog()
    order = {"error": 0, "warning": 1, "info": 2}
    items, anchored = [], set()
    for r in sorted(findings.iter_rows(named=True), key=lambda r: order.get(r["severity"], 3)):
        code = r["indicator"] or ""
        anchor = code or r["rule"]
        ident = f' id="vd-{esc(anchor)}"' if anchor not in anchored else ""
        anchored.add(anchor)
        name = criterion_label(code, catalog) if code in catalog else "Tệp đơn vị gửi"
        detail = " · ".join(filter(None, [esc(r["message"]), esc(where(r["source"])),
                                          f"quy tắc {esc(r['rule'])}"]))
        items.append(
            f'<li class="problem {esc(r["severity"])}"{ident}>'
            f'<span class="sev {esc(r["severity"])}">{esc(SEVERITY_VI.get(r["severity"], ""))}'
            f'</span> <strong>{esc(name)}</strong><p>{esc(plain_words(r["message"]))}</p>'
            + (f'<p class="fix">Cần làm: {esc(r["fix"])}</p>' if r["fix"] else "")
            + '<details class="tech"><summary>Chi tiết cho cán bộ số liệu</summary>'
            f"<p>{detail}</p></details></li>")
    if len(items) <= SHOWN_PROBLEMS:
        return f'<ol class="problems">{"".join(items)}</ol>'
    return (f'<ol class="problems">{"".join(items[:SHOWN_PROBLEMS])}</ol>'
            '<details class="more print-open">'
            f'<summary>Xem thêm {len(items) - SHOWN_PROBLEMS} vấn đề</summary>'
            f'<ol class="problems" start="{SHOWN_PROBLEMS + 1}">'
            f'{"".join(items[SHOWN_PROBLEMS:])}</ol></details>')


def unit_ranking(counts: pl.DataFrame, links: dict[str, str], show_synthetic: bool) -> str:
    """The overview's first screen: units ranked by criteria met (real units only unless
    asked; a made-up one then says so on its row)."""
    rows = counts if show_synthetic else counts.filter(~pl.col("synthetic"))
    if rows.is_empty():
        return ('<p class="note">Chưa có đơn vị nào có số liệu thật trong kỳ này; các đơn vị '
                "mô phỏng không được xếp hạng.</p>")
    items = []
    for i, r in enumerate(rows.iter_rows(named=True), start=1):
        name = esc(r["unit_name"]) + (" (DỮ LIỆU MÔ PHỎNG)" if r["synthetic"] else "")
        link = links.get(r["unit_code"])
        label = f'<a href="{esc(link)}">{name}</a>' if link else name
        items.append(f"<li><span class=\"rank\">{i}.</span> {label}: đạt "
                     f"<strong>{format_int(r['attained'])}/{format_int(r['criteria'])}</strong>"
                     f" tiêu chí</li>")
    return f'<ol class="unit-ranking">{"".join(items)}</ol>'


def attainment_list(table: pl.DataFrame,
                    doubted: set[tuple[str, str]] = frozenset()) -> str:
    """The heatmap as a phone reads it: per unit, criteria met (how many of them on figures
    a finding doubts: ``doubted``, (unit, indicator)) and the numbers of those missed (shown
    only on a narrow screen, where the heatmap's cells cannot be read)."""
    catalog = load_catalog()
    crit = table.filter(pl.col("target").is_not_null() & (pl.col("group") != "pillar"))
    items = []
    for (code, name), rows in sorted(crit.group_by(["unit_code", "unit_name"]),
                                    key=lambda g: str(g[0][1])):
        met_rows = rows.filter(pl.col("attained") == True)  # noqa: E712
        met = met_rows.height
        doubt = sum((code, i) in doubted for i in met_rows["indicator"].to_list())
        missed = sorted(catalog[c].number for c in rows.filter(
            pl.col("attained") == False)["indicator"].to_list() if c in catalog)  # noqa: E712
        made_up = (" (DỮ LIỆU MÔ PHỎNG)" if "synthetic" in rows.columns
                   and rows["synthetic"].any() else "")
        items.append(f"<li><strong>{esc(name)}</strong>{made_up}: đạt {met}/{rows.height}"
                     + (f" ({doubt} trên số liệu chưa tin cậy)" if doubt else "")
                     + (f"; chưa đạt tiêu chí {', '.join(map(str, missed))}" if missed else "")
                     + "</li>")
    return f'<ul class="phone-only attainment-list">{"".join(items)}</ul>'


def standing_line(ranks: pl.DataFrame, unit_code: str) -> str:
    """Where the unit stands, in one sentence: its best and its worst rank."""
    catalog = load_catalog()
    mine = ranks.filter((pl.col("unit_code") == unit_code)
                        & pl.col("indicator").is_in([i.code for i in catalog.criteria]))
    if mine.is_empty():
        return ""
    best = mine.sort(["rank", "indicator"]).row(0, named=True)
    worst = mine.sort(["rank", "indicator"], descending=[True, False]).row(0, named=True)

    def said(r: dict) -> str:
        return f"{criterion_label(r['indicator'], catalog)}, hạng {r['rank']}/{r['units']}"

    return (f'<p class="standing-line">Cao nhất: {esc(said(best))}; thấp nhất: '
            f"{esc(said(worst))}.</p>")
