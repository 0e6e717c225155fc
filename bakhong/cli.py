"""The ``bakhong`` command: argument parsing and wiring only.

Exit codes: 0 success (for ``check``: no error-severity finding), 1 an error-severity finding
or a failed unit, 2 a usage error or a file that cannot be read. Never a traceback: set
``BAKHONG_DEBUG=1`` to see one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from .contract import PHASE_VI, SEVERITY_VI, SYNTHETIC_TITLE
from .errors import BakhongError, UsageError

DESIGN_COLUMNS = [
    "unit_code", "unit_name", "unit_level", "period", "indicator", "phase", "value",
    "qualifier", "numerator", "denominator", "target", "target_qualifier", "raw", "source",
    "status", "evidence", "synthetic",
]

REVIEW_COLUMNS = ["phase", "value", "qualifier", "numerator", "denominator", "raw", "source"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 with usage; keep that
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def _cmd_show(args: argparse.Namespace) -> int:
    from .read import read_source

    if args.kind in (None, "survey") and _show_survey(args):
        return 0
    table = read_source(args.file, unit=args.unit, period=args.period, kind=args.kind)
    rows = table.observations.select([*DESIGN_COLUMNS, "confidence"]).to_dicts()
    claims = table.claims.select([*DESIGN_COLUMNS, "confidence"]).to_dicts() \
        if table.claims is not None else []
    review = table.review.select(REVIEW_COLUMNS).to_dicts() if table.review is not None else []
    if args.json:
        data: dict[str, Any] = {"unit": table.unit.as_dict() if table.unit else None,
                                "period": table.period, "synthetic": table.synthetic,
                                "kind": table.kind, "document": table.document.kind,
                                "document_reason": table.document.reason,
                                "observations": rows}
        if table.kind == "narrative":
            data |= {"claims": claims, "review": review}
        if table.plan is not None:
            data["plan"] = table.plan.as_dict()
        _print_json(data)
        return 0
    name = table.unit.full_name if table.unit else "(không rõ đơn vị)"
    print(f"{name} — {table.period or '?'}{' — ' + SYNTHETIC_TITLE if table.synthetic else ''}")
    from .read.kind import KIND_VI

    print(f"Loại văn bản: {KIND_VI[table.document.kind]} ({table.document.reason})")
    if table.plan is not None:
        _print_plan(table.plan)
    _print_rows(rows, claims, review)
    return 0


def _show_survey(args: argparse.Namespace) -> bool:
    from .survey import looks_like_survey

    path = Path(args.file)
    if not (args.kind == "survey" or looks_like_survey(path)):
        return False
    reason = "tiêu đề cột là các câu hỏi khảo sát (CCCD, tuổi, có/không)"
    if args.json:
        _print_json({"document": "survey", "document_reason": reason, "observations": []})
    else:
        print(f"Loại văn bản: dữ liệu khảo sát ({reason}); đọc bằng `bakhong check` "
              "hoặc `bakhong ingest`.")
    return True


def _print_plan(plan: Any) -> None:
    from .vocab.parse import format_date, format_percent

    for t in plan.targets:
        print(f"  Chỉ tiêu {t['indicator']:<5} "
              f"{format_percent(t['target'], qualifier=t['target_qualifier'])}  {t['source']}")
    if plan.window:
        print(f"  Thời gian triển khai: {format_date(plan.window['start']) or '…'} – "
              f"{format_date(plan.window['end'])}")
    for d in plan.deadlines:
        who = f" ({d['who']})" if d["who"] else ""
        print(f"  Hạn {format_date(d['due'])}: {d['what']}{who}")
    for u in plan.excluded_units:
        print(f"  Không triển khai: {u['name']} — {u['reason']}")
    if plan.min_online_services:
        print(f"  Tối thiểu {plan.min_online_services:02d} dịch vụ công trực tuyến toàn trình")
    for s in plan.online_services:
        print(f"  Dịch vụ: {s}")


def _print_rows(rows: list[dict], claims: list[dict], review: list[dict]) -> None:
    from .vocab.parse import format_percent

    def shown(row: dict) -> str:
        if row["value"] is None:
            return _STATUS_VI.get(row["status"], row["status"])
        return format_percent(row["value"], qualifier=row["qualifier"] or "=")

    for row in rows:
        print(f"  {row['indicator']:<5} {PHASE_VI[row['phase']]:<17} {shown(row):<14} "
              f"{row['source']}")
    if claims:
        print("Các số liệu khác của cùng chỉ tiêu (để đối chiếu):")
        for row in claims:
            print(f"  {row['indicator']:<5} {PHASE_VI[row['phase']]:<17} {shown(row):<14} "
                  f"{row['source']}")
    if review:
        print("Cần xem lại — số liệu chưa gắn được với chỉ tiêu nào:")
        for row in review:
            print(f"  {shown(row):<14} {row['source']}: “{row['raw']}”")


_STATUS_VI = {"missing": "(trống)", "unparseable": "(không đọc được)"}


def _findings_text(findings: pl.DataFrame) -> str:
    if findings.is_empty():
        return "Không phát hiện vấn đề nào."
    lines = []
    for (unit_name, unit_code), group in findings.group_by(
            ["unit_name", "unit_code"], maintain_order=True):
        title = f"{unit_name or '(không rõ đơn vị)'}" + (f" [{unit_code}]" if unit_code else "")
        lines.append(f"\n== {title} ==")
        for row in group.iter_rows(named=True):
            where = " ".join(x for x in (row["indicator"], PHASE_VI.get(row["phase"], ""))
                             if x)
            head = f"{SEVERITY_VI[row['severity']].upper():<11} {row['rule']:<24} {where}"
            lines.append(head.rstrip())
            lines.append(textwrap.fill(row["message"], width=96, initial_indent="    ",
                                       subsequent_indent="    "))
            if row["source"]:
                lines.append(f"    vị trí: {row['source']}")
    counts = {s: findings.filter(pl.col("severity") == s).height for s in SEVERITY_VI}
    lines.append("\nTổng: " + ", ".join(f"{n} {SEVERITY_VI[s].lower()}" for s, n in counts.items()))
    return "\n".join(lines).lstrip("\n")


def _summary_text(table: pl.DataFrame) -> str:
    from .vocab.parse import format_percent

    if table.is_empty():
        return "Tổng hợp toàn tỉnh: không đơn vị nào có phát hiện."
    lines = ["Tổng hợp toàn tỉnh (số đơn vị có phát hiện theo từng quy tắc):",
             f"{'quy tắc':<26}{'mức độ':<13}{'số đơn vị':>10}{'tỷ lệ':>9}  đơn vị"]
    for row in table.iter_rows(named=True):
        share = format_percent(row["share"], 1) if row["share"] is not None else "—"
        names = row["names"].split(", ")
        shown = ", ".join(names[:10]) + (f" … và {len(names) - 10} đơn vị khác"
                                         if len(names) > 10 else "")
        lines.append(f"{row['rule']:<26}{SEVERITY_VI[row['severity']]:<13}"
                     f"{row['units']:>4}/{row['total']:<5}{share:>9}  {shown}")
    return "\n".join(lines)


def _survey_summary(survey: Any) -> str:
    """One paragraph on the survey files read: counts only, never personal data."""
    from .vocab.parse import format_int

    quality = survey.quality
    lines = [f"Khảo sát người dân: {len(survey.files)} tệp, "
             f"{format_int(survey.people.height)} người từ 15 tuổi; "
             f"{format_int(int(quality['rejected'].sum()))} dòng không đọc được hoặc ngoài "
             f"phạm vi; {format_int(int(survey.people['duplicate'].sum()))} người bị đếm hai "
             "lần (cùng số CCCD, chỉ tính một lần)."]
    for row in survey.duplicates.head(20).iter_rows(named=True):
        parts = []
        if row["duplicates"]:
            parts.append(f"{format_int(row['duplicates'])} người bị đếm hai lần")
        if row["invalid_ids"]:
            parts.append(f"{format_int(row['invalid_ids'])} số CCCD không đủ 12 chữ số")
        lines.append(f"  xã {row['commune_name']} [{row['commune_code']}]: {', '.join(parts)}")
    if survey.duplicates.height > 20:
        lines.append(f"  … và {survey.duplicates.height - 20} xã khác")
    return "\n".join(lines)


def _cmd_check(args: argparse.Namespace) -> int:
    from .checks import check, load_paths, summary

    loaded = load_paths(args.paths, unit=args.unit, period=args.period,
                        survey_phase=args.survey_phase)
    observations, findings = loaded.observations, check(loaded.observations, loaded.problems)
    if loaded.survey is not None and not args.json:
        print(_survey_summary(loaded.survey) + "\n")
    if args.summary:
        table = summary(findings, observations)
        if args.json:
            _print_json(table.to_dicts())
        else:
            print(_summary_text(table))
    elif args.json:
        rows = findings.rename({"unit_name": "unit"}).select(
            ["unit", "unit_code", "period", "indicator", "phase", "rule", "severity", "message",
             "value", "expected", "source", "fix"]).to_dicts()
        _print_json(rows)
    else:
        print(_findings_text(findings))
    return 1 if findings.filter(pl.col("severity") == "error").height else 0


def _cmd_synth(args: argparse.Namespace) -> int:
    from .synth.province import synthesize

    out = Path(args.out) if args.out else None
    truth = synthesize(args.seed, out, level=args.level, period=args.period)
    where = args.out or "data/raw/synthetic"
    print(f"{SYNTHETIC_TITLE}: {len(truth['files'])} tệp, {len(truth['defects'])} lỗi cài sẵn "
          f"(seed {args.seed}, {_LEVEL_VI[truth['level']]}, kỳ {args.period}) → {where}/ "
          "(danh sách lỗi: ground_truth.json)")
    return 0


def _cmd_annotate(args: argparse.Namespace) -> int:
    from .views.annotate import annotate

    result = annotate(args.file, Path(args.out) if args.out else None, unit=args.unit,
                      period=args.period)
    print(f"Đã ghi {result.path} ({result.marked} ô được đánh dấu, {result.findings} phát hiện). "
          "Tệp gốc không bị sửa.")
    return 0


def _cmd_ingest(args: argparse.Namespace) -> int:
    from .ingest import ingest

    manifest = ingest(Path(args.dir) if args.dir else None, Path(args.out) if args.out else None,
                      survey_phase=args.survey_phase)
    found = manifest["findings"]
    bad = [f["path"] for f in manifest["files"] if f["status"] == "load_error"]
    print(f"Đã nạp {len(manifest['files'])} tệp, {manifest['observations']} quan sát; "
          f"{found['error']} lỗi, {found['warning']} cần xem lại, {found['info']} thông tin.")
    if bad:
        print("Không đọc được: " + ", ".join(bad))
    if "survey" in manifest:
        from .vocab.parse import format_int

        info = manifest["survey"]
        print(f"Khảo sát người dân: {format_int(info['people'])} người, "
              f"{format_int(info['rejected_rows'])} dòng không đọc được hoặc ngoài phạm vi, "
              f"{format_int(info['counted_twice'])} người bị đếm hai lần ở "
              f"{len(info['communes_with_duplicates'])} xã.")
    return 0


def _cmd_synth_survey(args: argparse.Namespace) -> int:
    from .synth.survey import PROVINCE_PEOPLE, synth_survey
    from .vocab.parse import format_percent

    source = Path(args.source)
    if not source.exists():
        raise UsageError(f"không tìm thấy {source}")
    written = synth_survey(source, Path(args.out), seed=args.seed,
                           people=args.people or PROVINCE_PEOPLE, fmt=args.format,
                           period=args.period, gap=not args.no_gap)
    total = sum(p.stat().st_size for p in written.paths)
    print(f"{SYNTHETIC_TITLE}: đã ghi {len(written.paths)} tệp khảo sát vào {args.out} "
          f"({total / 1e6:.1f} MB).")
    for gap in written.planted:
        print(f"Chênh lệch cài sẵn: {gap['unit_name']} báo cáo {gap['indicator']} "
              f"{format_percent(gap['reported'])}, khảo sát đo khoảng "
              f"{format_percent(gap['surveyed'])} — bước đối chiếu phải phát hiện "
              f"(ghi trong {written.truth.name}).")
    return 0


def _cmd_deliver(args: argparse.Namespace) -> int:
    from .deliver import deliver

    result = deliver(args.period, only=args.only, dry_run=args.dry_run, resend=args.resend,
                     config_path=args.config, reports=Path(args.reports) if args.reports else None,
                     echo=print, echo_error=lambda line: print(line, file=sys.stderr))
    for label, reason in result.report_failures:
        print(f"Báo cáo lỗi, không gửi: {label} — {reason}")
    outbox = result.written[0].parent if result.written else f"reports/{result.period}/outbox"
    done = (f"đã ghi {len(result.written)} thư vào {outbox}"
            if result.dry_run else f"đã gửi {len(result.sent)} thư")
    print(f"Kỳ {result.period}: {done}; bỏ qua {len(result.skipped)} thư đã gửi trước đó; "
          f"{len(result.failed)} đơn vị không gửi được.")
    return result.exit_code


def _parameter(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise UsageError(f"tham số phải có dạng TÊN=GIÁ_TRỊ: {text}")
    name, value = text.split("=", 1)
    return name.strip(), value


def _cmd_batch(args: argparse.Namespace) -> int:
    from .batch import run, summary

    outcome = run(period=args.period, only=args.only or None, workers=args.workers,
                  out=Path(args.out) if args.out else None,
                  data_dir=Path(args.data) if args.data else None,
                  parameters=dict(args.parameter or []), time_limit=args.time_limit,
                  overview=not args.no_overview, progress=not args.quiet, level=args.level,
                  pdf=not args.no_pdf)
    print(summary(outcome))
    return 0 if outcome.ok else 1


def _add_show(sub: Any) -> None:
    show = sub.add_parser("show", help="đọc một tệp và in các quan sát")
    show.add_argument("file")
    show.add_argument("--unit", help="tên đơn vị, khi tệp không ghi")
    show.add_argument("--period", help="kỳ báo cáo, khi tệp không ghi")
    show.add_argument("--json", action="store_true")
    show.add_argument("--kind", choices=("results", "plan", "blank_template", "progress",
                                         "survey"),
                      help="loại văn bản, khi bakhong đoán sai (mặc định: đoán từ nội dung)")
    show.set_defaults(func=_cmd_show)


def _add_check(sub: Any) -> None:
    chk = sub.add_parser("check", help="kiểm tra các tệp hoặc thư mục")
    chk.add_argument("paths", nargs="+")
    chk.add_argument("--unit")
    chk.add_argument("--period")
    chk.add_argument("--json", action="store_true")
    chk.add_argument("--summary", action="store_true",
                     help="bảng tổng hợp toàn tỉnh theo quy tắc (số và tỷ lệ đơn vị)")
    chk.add_argument("--survey-phase", choices=("after", "before"), default="after",
                     help="khảo sát được làm sau (mặc định) hay trước khi triển khai")
    chk.set_defaults(func=_cmd_check)


def _add_synth(sub: Any) -> None:
    syn = sub.add_parser("synth", help=f"tạo tỉnh mô phỏng ({SYNTHETIC_TITLE}) có lỗi cài sẵn")
    syn.add_argument("--seed", type=int, required=True)
    syn.add_argument("--out", help="thư mục ghi (mặc định data/raw/synthetic)")
    syn.add_argument("--level", choices=("district", "commune"), default="district")
    syn.add_argument("--period", default="2024")
    syn.set_defaults(func=_cmd_synth)


def _add_annotate(sub: Any) -> None:
    ann = sub.add_parser("annotate", help="ghi bản sao bảng tính có đánh dấu các phát hiện")
    ann.add_argument("file")
    ann.add_argument("--out", help="thư mục ghi bản sao (mặc định: cạnh tệp gốc… xem --help)")
    ann.add_argument("--unit")
    ann.add_argument("--period")
    ann.set_defaults(func=_cmd_annotate)


def _add_ingest(sub: Any) -> None:
    ing = sub.add_parser("ingest", help="dựng lại data/processed từ data/raw")
    ing.add_argument("dir", nargs="?")
    ing.add_argument("--out")
    ing.add_argument("--survey-phase", choices=("after", "before"), default="after",
                     help="khảo sát được làm sau (mặc định) hay trước khi triển khai")
    ing.set_defaults(func=_cmd_ingest)


def _add_deliver(sub: Any) -> None:
    dlv = sub.add_parser("deliver", help="gửi báo cáo qua thư điện tử cho từng đơn vị và Sở")
    dlv.add_argument("--period", help="kỳ báo cáo (mặc định: kỳ mới nhất trong reports/)")
    dlv.add_argument("--only", nargs="+", metavar="UNIT",
                     help="chỉ các đơn vị này (mã GSO, tên hoặc slug; “so” = thư của Sở)")
    dlv.add_argument("--dry-run", action="store_true",
                     help="chỉ ghi tệp .eml vào reports/<kỳ>/outbox/, không gửi")
    dlv.add_argument("--resend", action="store_true", help="gửi lại cả thư đã gửi")
    dlv.add_argument("--config", help="tệp cấu hình (mặc định: $BAKHONG_DELIVER_CONFIG, "
                     "config/deliver.toml, rồi config/deliver.example.toml)")
    dlv.add_argument("--reports", help="thư mục reports (mặc định: reports/ của dự án)")
    dlv.set_defaults(func=_cmd_deliver)


def _add_batch(sub: Any) -> None:
    bat = sub.add_parser("batch", help="lập báo cáo HTML và PDF của mọi huyện và báo cáo toàn tỉnh")
    bat.add_argument("--period", default="2024", help="kỳ báo cáo (mặc định 2024)")
    bat.add_argument("--only", nargs="+", metavar="UNIT", help="chỉ các đơn vị này (tên hoặc mã)")
    bat.add_argument("--workers", type=int, help="số tiến trình song song (mặc định: số nhân CPU)")
    bat.add_argument("--out", help="thư mục báo cáo (mặc định reports/)")
    bat.add_argument("--data", help="thư mục số liệu đã nạp (mặc định data/processed)")
    bat.add_argument("-p", "--parameter", action="append", type=_parameter, metavar="TÊN=GIÁ_TRỊ",
                     help="tham số thêm cho notebook báo cáo huyện")
    bat.add_argument("--time-limit", type=float, default=300.0,
                     help="giới hạn thời gian mỗi báo cáo, giây (mặc định 300)")
    bat.add_argument("--level", choices=("district", "commune"),
                     help="báo cáo từng huyện hay từng xã (mặc định: cấp của số liệu kỳ đó)")
    bat.add_argument("--no-overview", action="store_true", help="không lập báo cáo toàn tỉnh")
    bat.add_argument("--no-pdf", action="store_true",
                     help="không in bản PDF (A4, Chromium) cạnh mỗi báo cáo HTML")
    bat.add_argument("--quiet", action="store_true", help="không hiện thanh tiến độ")
    bat.set_defaults(func=_cmd_batch)


def _add_synth_survey(sub: Any) -> None:
    svy = sub.add_parser("synth-survey",
                         help="tạo khảo sát người dân mô phỏng khớp với bảng của các huyện")
    svy.add_argument("--seed", type=int, default=7)
    svy.add_argument("--from", dest="source", default="data/raw/synthetic",
                     help="thư mục bảng kết quả (hoặc observations.parquet) lấy tỷ lệ")
    svy.add_argument("--out", default="data/raw/survey")
    svy.add_argument("--people", type=int, help="số người từ 15 tuổi (mặc định 2.900.000)")
    svy.add_argument("--format", choices=("parquet", "csv", "xlsx"), default="parquet")
    svy.add_argument("--period")
    svy.add_argument("--no-gap", action="store_true",
                     help="không cài chênh lệch khảo sát – báo cáo (mặc định: cài một huyện "
                          "báo cáo cao gấp đôi thực tế, để bước đối chiếu phát hiện)")
    svy.set_defaults(func=_cmd_synth_survey)


def _cmd_units(args: argparse.Namespace) -> int:
    from .vocab import units as units_mod

    found = units_mod.lookup(args.query, period=args.period, level=args.level,
                             limit=args.limit)
    if args.json:
        _print_json([units_mod.as_record(u) for u in found])
        return 0
    if not found:
        print("Không tìm thấy đơn vị nào.")
        return 1
    for unit in found:
        record = units_mod.as_record(unit)
        line = f"{unit.code:<6} {unit.full_name:<32} {_LEVEL_VI[unit.level]:<9} {unit.lifetime}"
        if record["predecessors"]:
            line += "  ← " + ", ".join(p["name"] for p in record["predecessors"])
        if record["successors"]:
            line += "  → " + ", ".join(s["name"] for s in record["successors"])
        print(line)
    return 0


_LEVEL_VI = {"province": "tỉnh", "district": "cấp huyện", "commune": "cấp xã"}


def _add_units(sub: Any) -> None:
    uni = sub.add_parser("units", help="tra cứu đơn vị hành chính theo thời gian")
    uni.add_argument("query", nargs="?", help="tên hoặc mã đơn vị (bỏ trống: tất cả)")
    uni.add_argument("--period", help="kỳ (năm): đơn vị tồn tại trong kỳ đó")
    uni.add_argument("--level", choices=("province", "district", "commune"))
    uni.add_argument("--limit", type=int, default=20, help="số đơn vị tối đa (mặc định 20)")
    uni.add_argument("--json", action="store_true")
    uni.set_defaults(func=_cmd_units)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="bakhong",
                     description="Đánh giá mô hình “3 KHÔNG” — nạp, kiểm tra, báo cáo.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for add in (_add_show, _add_check, _add_synth, _add_annotate, _add_ingest, _add_deliver,
                _add_batch, _add_synth_survey, _add_units):  # the order of --help
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"bakhong: {exc}", file=sys.stderr)
        return 2
    except BakhongError as exc:
        print(f"bakhong: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `bakhong check … | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("bakhong: đã dừng.", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("BAKHONG_DEBUG"):
            raise
        print(f"bakhong: lỗi không mong đợi ({type(exc).__name__}: {exc}). "
              "Đặt BAKHONG_DEBUG=1 để xem chi tiết.", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
