"""Formatted tables for readers: Vietnamese headers, Vietnamese numbers, HTML. No I/O.

The reports' fragments (``headline``, ``criteria``, ``standing``, ``findings``,
``findings_by_rule``, ``sources``, ``province``, ``units_index``) return HTML text; the
explorer's helpers (``findings_table``, ``sort_findings``, ``wide_table``, ``to_html``) return
frames of display strings or HTML. Every value from a source file — unit names, raw cell text,
evidence, messages — is escaped with :func:`html.escape`, so a cell holding ``<script>`` shows
as text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

import polars as pl

from .. import indicators
from ..contract import PHASE_VI, SEVERITIES, SEVERITY_VI, Source
from ..indicators import attained_text, change_text, value_text
from ..vocab.catalog import load_catalog
from ..vocab.parse import fold_words, format_date, format_int, format_percent, format_points
from ..vocab.rules import RULE_NAMES, rules

#: Short Vietnamese names of the rules, for summaries.
RULE_VI = {
    "load_error": "Không đọc được tệp", "unparseable": "Không đọc được số liệu",
    "missing": "Thiếu số liệu", "unknown_unit": "Không rõ đơn vị",
    "unknown_indicator": "Dòng không khớp mẫu", "duplicate": "Báo cáo trùng",
    "ratio_over_100": "Tỷ lệ vượt 100%", "stated_mismatch": "Tỷ lệ ghi không khớp tử/mẫu số",
    "swapped_ratio": "Đảo tử số và mẫu số", "denominator_implausible": "Mẫu số không hợp lý",
    "denominator_inconsistent": "Mẫu số không thống nhất", "regression": "Giảm sau triển khai",
    "below_target": "Chưa đạt chỉ tiêu", "target_mismatch": "Chỉ tiêu giao ghi khác",
    "outlier": "Giá trị bất thường", "related_inconsistent": "Số liệu liên quan không khớp",
    "incomplete_unit": "Báo cáo chưa đủ",
}
_CELL = re.compile(r"^(?P<file>[^!]+)(?:!(?P<sheet>[^!]+))?!(?P<cell>[A-Z]{1,3}\d+)$")


def esc(text: object) -> str:
    return html.escape("" if text is None else str(text))


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "",
           caption: str = "", numeric: Sequence[int] = ()) -> str:
    """Cells are HTML already escaped by the caller."""
    ths = "".join(f'<th scope="col"{" class=num" if i in numeric else ""}>{esc(h)}</th>'
                  for i, h in enumerate(head))
    body = []
    for row in rows:
        tds = "".join(f'<td{" class=num" if i in numeric else ""} data-label="{esc(head[i])}">'
                      f"{cell}</td>" for i, cell in enumerate(row))
        body.append(f"<tr>{tds}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (f'<div class="table-wrap"><table class="bk-table {cls}">{cap}<thead><tr>{ths}'
            f'</tr></thead><tbody>{"".join(body)}</tbody></table></div>')


def where(source: str | None) -> str:
    """``file.xlsx!Sheet!E20`` → "tệp file.xlsx, trang “Sheet”, ô E20" (plain text)."""
    if not source:
        return ""
    at = Source.parse(source)
    if at.kind:
        return f"tệp {at.render()}"
    if not at.cell:
        return f"tệp {at.file}" + (f", {at.sheet.replace('!', ' ')}" if at.sheet else "")
    sheet = f", trang “{at.sheet}”" if at.sheet else ""
    return f"tệp {at.file}{sheet}, ô {at.cell}"


def _status(attained: bool | None, target: float | None, doubtful: bool = False) -> str:
    """The verdict; on a figure found wrong it carries its doubt ("Đạt — số liệu chưa tin
    cậy"), never a plain "Đạt"."""
    text = attained_text(attained, target)
    cls = {"Đạt": "ok", "Chưa đạt": "missed"}.get(text, "unknown")
    if doubtful and attained is not None:
        return f'<span class="badge unknown">{esc(text)} — số liệu chưa tin cậy</span>'
    return f'<span class="badge {cls}">{esc(text)}</span>'


def headline(table: pl.DataFrame) -> str:
    """K1–K3 before → after, with the change in points, as cards."""
    catalog = load_catalog()
    facts = indicators.headline(table)
    cards = []
    for row in table.filter(pl.col("group") == "pillar").iter_rows(named=True):
        pillar = catalog.pillars.get(row["indicator"], "")
        fact = facts[row["indicator"]]
        cards.append(
            '<div class="card">'
            f'<div class="card-pillar">{esc(pillar)}</div>'
            f'<div class="card-label">{esc(row["short"])}</div>'
            f'<div class="card-figures"><span class="before">{esc(fact["before_text"])}</span>'
            f'<span class="arrow" aria-label="thành">→</span>'
            f'<span class="after">{esc(fact["after_text"])}</span></div>'
            f'<div class="card-change">{esc(fact["change_text"])}'
            "</div></div>")
    if not cards:
        return '<p class="note">Đơn vị không báo cáo kết quả chung của ba nội dung.</p>'
    return f'<div class="cards">{"".join(cards)}</div>'


_FLAG_TEXT = {"error": "Số liệu có lỗi", "warning": "Số liệu cần xem lại"}


def standing(ranks: pl.DataFrame, unit_code: str) -> str:
    """The unit's rank per criterion among all units with a value."""
    catalog = load_catalog()
    mine = ranks.filter(pl.col("unit_code") == unit_code)
    stats = ranks.group_by("indicator").agg(
        pl.col("value").max().alias("best"), pl.col("value").median().alias("median"))
    rows = []
    for r in mine.join(stats, on="indicator", how="left").iter_rows(named=True):
        if r["indicator"] not in catalog or catalog[r["indicator"]].number is None:
            continue
        rows.append([esc(f"{catalog[r['indicator']].number}. {catalog[r['indicator']].short}"),
                     esc(value_text(r["value"], r["qualifier"])),
                     esc(f"{r['rank']}/{r['units']}"),
                     esc(format_percent(r["median"])), esc(format_percent(r["best"]))])
    if not rows:
        return '<p class="note">Chưa có số liệu để so sánh với các đơn vị khác.</p>'
    return _table(["Tiêu chí", "Sau triển khai", "Xếp hạng", "Trung vị các đơn vị",
                   "Cao nhất"], rows, "standing", numeric=(1, 2, 3, 4))


def findings_by_rule(frame: pl.DataFrame) -> str:
    """Per rule: how many findings, in how many units, its severity."""
    if frame.is_empty():
        return '<p class="note ok">Không phát hiện vấn đề nào.</p>'
    known = rules()
    known_unit = pl.col("unit_code").fill_null("") != ""
    # a file whose unit nobody could tell is a finding, never a unit with a name of its own
    summary = frame.group_by("rule").agg(
        pl.len().alias("n"), pl.col("unit_code").filter(known_unit).n_unique().alias("units"),
        pl.col("unit_name").filter(known_unit).unique().sort().alias("names"),
        (~known_unit).sum().alias("unknown"))
    order = {name: i for i, name in enumerate(RULE_NAMES)}
    rows = []
    for r in sorted(summary.iter_rows(named=True), key=lambda r: order.get(r["rule"], 99)):
        rule = known.get(r["rule"])
        names = ", ".join(n for n in r["names"] if n)
        if r["unknown"]:
            names = ", ".join(filter(None, [names, f"{r['unknown']} tệp không rõ đơn vị"]))
        rows.append([esc(RULE_VI.get(r["rule"], r["rule"])),
                     f'<span class="sev {esc(rule.severity if rule else "")}">'
                     f'{esc(SEVERITY_VI.get(rule.severity, "") if rule else "")}</span>',
                     esc(format_int(r["n"])), esc(format_int(r["units"])), esc(names)])
    return _table(["Loại vấn đề", "Mức độ", "Số lượt", "Số đơn vị", "Đơn vị"], rows,
                  "by-rule", numeric=(2, 3))


def _named(code: str) -> str:
    """A criterion as the tables number it ("tiêu chí 8"), a pillar by its short name."""
    catalog = load_catalog()
    if code not in catalog:
        return code
    number = catalog[code].number
    return f"tiêu chí {number}" if number else catalog[code].short


def sources(table: pl.DataFrame, extra: Sequence[tuple[str, str]] = ()) -> str:
    """Where every figure came from: per file and sheet, the cells read."""
    rows = []
    cells: dict[tuple[str, str], list[str]] = {}
    for r in table.iter_rows(named=True):
        for phase in ("before", "after"):
            m = _CELL.match(r[f"{phase}_source"] or "")
            if m:
                cells.setdefault((m["file"], m["sheet"] or ""), []).append(
                    f"{_named(r['indicator'])} {'trước' if phase == 'before' else 'sau'}: "
                    f"{m['cell']}")
    for (file, sheet), listed in cells.items():
        rows.append([esc(file), esc(sheet or "—"), esc("; ".join(listed))])
    for what, source in extra:
        rows.append([esc(what), "—", esc(source)])
    return _table(["Tệp", "Trang tính", "Ô số liệu"], rows, "sources")


def province(table: pl.DataFrame) -> str:
    """The province's before/after per indicator, with the method of each figure."""
    catalog = load_catalog()
    rows = []
    for r in table.iter_rows(named=True):
        code = r["indicator"]
        name = (f"{catalog[code].number}. " if catalog[code].number else f"{code}. ") + \
            catalog[code].short if code in catalog else code
        lb = "từ " if r["after_lower_bound"] else ""
        rows.append([esc(name), esc(format_percent(r["target"], qualifier="≥")
                                    if r["target"] is not None else "—"),
                     esc(format_percent(r["before"])), esc(lb + format_percent(r["after"])),
                     esc(change_text(r["change"])),
                     esc(r["after_method"] or r["before_method"] or "")])
    return _table(["Tiêu chí", "Chỉ tiêu giao", "Trước triển khai", "Sau triển khai",
                   "Thay đổi", "Cách tính (sau triển khai)"], rows, "province",
                  numeric=(1, 2, 3, 4))


_INDEX_STATUS = {
    ("ok", "ok"): '<span class="badge ok">Đã lập</span>',
    ("ok", "none"): '<span class="badge unknown">Đã lập — chưa có số liệu</span>',
    ("ok", "unreadable"): '<span class="badge missed">Đã lập — không đọc được tệp</span>',
    ("failed", "ok"): '<span class="badge missed">Lỗi khi lập báo cáo</span>',
    ("absent", "ok"): '<span class="badge unknown">Chưa có số liệu</span>',
}


def units_index(rows: Iterable[dict]) -> str:
    """The index of a batch: one row per unit with its link, status and finding counts.
    ``rows`` are the manifest's unit entries."""
    out = []
    for u in rows:
        link = (f'<a href="{esc(u["html"])}">{esc(u["name"])}</a>' if u.get("html")
                else esc(u["name"]))
        status = _INDEX_STATUS.get((u["status"], u.get("data", "ok")),
                                   _INDEX_STATUS[("failed", "ok")])
        f = u.get("findings") or {}
        synth = (' <span class="badge unknown">mô phỏng</span>' if u.get("synthetic") else
                 ' <span class="badge ok">thật</span>' if u.get("data") == "ok" else "")
        out.append([esc(u["code"]), link + synth, status, esc(format_int(f.get("error", 0))),
                    esc(format_int(f.get("warning", 0))), esc(format_int(f.get("info", 0)))])
    return _table(["Mã", "Đơn vị", "Trạng thái", "Lỗi", "Cần xem lại", "Thông tin"], out,
                  "index", numeric=(3, 4, 5))


# --- the explorer's tables ------------------------------------------------------------

SYNTHETIC_VI = {True: "MÔ PHỎNG", False: "thật"}

#: Column of :func:`findings_table` → the finding field it sorts by.
FINDING_COLUMNS = {
    "Mức độ": "severity", "Đơn vị": "unit_name", "Chỉ tiêu": "indicator",
    "Giai đoạn": "phase", "Quy tắc": "rule", "Nội dung": "message", "Giá trị": "value",
    "Ô nguồn": "source", "Dữ liệu": "synthetic",
}


def sort_findings(findings: pl.DataFrame, by: str = "severity",
                  descending: bool = False) -> pl.DataFrame:
    """Findings sorted by one field; severity sorts error → warning → info, not by name.

    Ties keep a stable, readable order (unit, indicator, phase, rule).
    """
    order = {s: i for i, s in enumerate(SEVERITIES)}
    key = pl.col("severity").replace_strict(order, default=9) if by == "severity" \
        else pl.col(by)
    return findings.with_columns(key.alias("_key")).sort(
        ["_key", "unit_name", "indicator", "phase", "rule"],
        descending=[descending, False, False, False, False], nulls_last=True,
        maintain_order=True).drop("_key")


def findings_table(findings: pl.DataFrame, synthetic_column: bool = True) -> pl.DataFrame:
    """Findings as reader-facing strings, one column per :data:`FINDING_COLUMNS` entry."""
    columns = [c for c in FINDING_COLUMNS if synthetic_column or c != "Dữ liệu"]
    if findings.is_empty():
        return pl.DataFrame(schema={c: pl.String for c in columns})
    rows = []
    for r in findings.iter_rows(named=True):
        row = {
            "Mức độ": SEVERITY_VI.get(r["severity"], r["severity"]),
            "Đơn vị": r["unit_name"] or r["unit_code"] or "—",
            "Chỉ tiêu": r["indicator"] or "—",
            "Giai đoạn": PHASE_VI.get(r["phase"] or "", r["phase"]) or "—",
            "Quy tắc": r["rule"],
            "Nội dung": r["message"],
            "Giá trị": format_percent(r["value"]) if r["value"] is not None else "—",
            "Ô nguồn": r["source"] or "—",
            "Dữ liệu": SYNTHETIC_VI[bool(r.get("synthetic"))],
        }
        rows.append({c: row[c] for c in columns})
    return pl.DataFrame(rows, schema={c: pl.String for c in columns})


def wide_table(rows: pl.DataFrame, phase: str = "after") -> pl.DataFrame:
    """:func:`indicators.wide` rows (with ``attained_<phase>``) as reader-facing strings."""
    from .charts import ATTAINMENT_LABEL  # labels live with the figures

    out = []
    for r in rows.iter_rows(named=True):
        attained = r.get(f"attained_{phase}")
        out.append({
            "Mã đơn vị": r["unit_code"], "Đơn vị": r["unit_name"], "Kỳ": r["period"],
            "Mã chỉ tiêu": r["indicator"], "Chỉ tiêu": r["short"],
            "Chỉ tiêu giao": format_percent(r["target"], qualifier=r["target_qualifier"] or "="),
            "Trước triển khai": format_percent(r["before"], qualifier=r["before_qualifier"] or "="),
            "Sau triển khai": format_percent(r["after"], qualifier=r["after_qualifier"] or "="),
            "Thay đổi": format_points(r["change"]),
            "Đạt chỉ tiêu": ATTAINMENT_LABEL[attained] if r["target"] is not None else "—",
            "Ô nguồn (trước)": r["before_source"] or "—",
            "Ô nguồn (sau)": r["after_source"] or "—",
            "Dữ liệu": SYNTHETIC_VI[bool(r["synthetic"])],
        })
    columns = ["Mã đơn vị", "Đơn vị", "Kỳ", "Mã chỉ tiêu", "Chỉ tiêu", "Chỉ tiêu giao",
               "Trước triển khai", "Sau triển khai", "Thay đổi", "Đạt chỉ tiêu",
               "Ô nguồn (trước)", "Ô nguồn (sau)", "Dữ liệu"]
    return pl.DataFrame(out, schema={c: pl.String for c in columns})


def to_html(frame: pl.DataFrame, caption: str = "", empty: str = "Không có dòng nào.",
            classes: Sequence[str] = ("bakhong-table",), max_rows: int | None = None) -> str:
    """An escaped HTML table of a frame of strings; ``max_rows`` cuts long tables with a note."""
    esc = html.escape
    head = "".join(f"<th>{esc(str(c))}</th>" for c in frame.columns)
    shown = frame if max_rows is None else frame.head(max_rows)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc('' if v is None else str(v))}</td>" for v in row) + "</tr>"
        for row in shown.iter_rows())
    if frame.is_empty():
        body = f'<tr><td colspan="{max(1, frame.width)}">{esc(empty)}</td></tr>'
    note = ""
    if max_rows is not None and frame.height > max_rows:
        note = f"<p>… và {frame.height - max_rows} dòng nữa (xuất tệp để xem đủ).</p>"
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (f'<table class="{" ".join(classes)}">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>{note}")


_DOCUMENT_VI = {"plan": "Kế hoạch", "blank_template": "Văn bản hướng dẫn (mẫu trống)"}


def _window_text(window: dict | None) -> str:
    if not window:
        return "—"
    start = format_date(window.get("start")) or "…"
    return f"{start} – {format_date(window.get('end'))}"


def plan_section(plans: Sequence[dict], findings: pl.DataFrame) -> str:
    """A unit's "Kế hoạch" section: per plan binding it, the window, the deadlines (missed
    where a ``late_report`` finding says so), the targets that differ from the province's
    template, the units left out."""
    if not plans:
        return ('<p class="note">Sở chưa nhận kế hoạch của đơn vị cho kỳ này: kết quả được '
                "so với chỉ tiêu giao của mẫu báo cáo.</p>")
    catalog = load_catalog()
    late = set(findings.filter(pl.col("rule") == "late_report")["unit_code"].to_list()) \
        if not findings.is_empty() else set()
    parts = []
    for p in plans:
        head = (f"<h3>{esc(_DOCUMENT_VI.get(p['document'], 'Văn bản'))} "
                f"{esc(p['unit_name'])} {esc(p['period'])}</h3>"
                f'<p class="note">Tệp {esc(p["file"])}; thời gian triển khai: '
                f"{esc(_window_text(p.get('window')))}.</p>")
        rows = []
        for d in p.get("deadlines", []):
            state = "Quá hạn" if late and "ket qua" in fold_words(d["what"]) else "—"
            rows.append([esc(format_date(d["due"])), esc(d["what"]), esc(d["who"] or "—"),
                         esc(state)])
        deadlines = _table(["Hạn", "Việc", "Đơn vị thực hiện", "Tình trạng"], rows,
                           "deadlines") if rows else ""
        differ = []
        for t in p.get("targets", []):
            code = t["indicator"]
            template = catalog[code].target if code in catalog else None
            if template is None or abs(template - t["target"]) > 1e-9:
                differ.append([esc(code), esc(catalog[code].short if code in catalog else ""),
                               esc(format_percent(t["target"], qualifier=t["target_qualifier"])),
                               esc(format_percent(template, qualifier="≥")),
                               esc(where(t["source"]))])
        targets = _table(["Mã", "Chỉ tiêu", "Kế hoạch", "Mẫu của tỉnh", "Vị trí"], differ,
                         "plan-targets") if differ else ""
        excluded = "".join(f"<li>{esc(u['name'])}: {esc(u['reason'])}</li>"
                           for u in p.get("excluded_units", []))
        parts.append(head + deadlines + targets + (
            f"<p>Không triển khai tại:</p><ul>{excluded}</ul>" if excluded else ""))
    return "".join(parts)


def plans_overview(plans: Sequence[dict]) -> str:
    """The province's plans: per unit its kind of document, window, deadlines, targets of
    its own and excluded units."""
    if not plans:
        return '<p class="note">Chưa có kế hoạch nào trong dữ liệu của kỳ này.</p>'
    rows = [[esc(p["unit_name"] or "—"), esc(_DOCUMENT_VI.get(p["document"], p["document"])),
             esc(_window_text(p.get("window"))),
             esc("; ".join(format_date(d["due"]) for d in p.get("deadlines", [])) or "—"),
             esc(str(len(p.get("targets", [])))),
             esc(", ".join(u["name"] for u in p.get("excluded_units", [])) or "—")]
            for p in plans]
    return _table(["Đơn vị", "Văn bản", "Thời gian triển khai", "Các hạn", "Số chỉ tiêu nêu",
                   "Không triển khai tại"], rows, "plans")


def communes(table: pl.DataFrame, links: dict[str, str]) -> str:
    """A district's communes: per commune the criteria attained of those with a target, and
    its report when the batch wrote one. ``table`` is :func:`indicators.wide` of them."""
    counts = indicators.attainment_counts(table)
    rows = []
    for r in counts.sort("unit_name").iter_rows(named=True):
        name = esc(r["unit_name"])
        link = f'<a href="{esc(links[r["unit_code"]])}">{name}</a>' if r["unit_code"] in links \
            else name
        rows.append([esc(r["unit_code"]), link, esc(f"{r['attained']}/{r['criteria']}"),
                     esc(str(r["missed"])), esc(str(r["unknown"]))])
    return _table(["Mã", "Xã, phường, thị trấn", "Tiêu chí đạt", "Chưa đạt", "Không xác định"],
                  rows, "communes", numeric=(2, 3, 4))
