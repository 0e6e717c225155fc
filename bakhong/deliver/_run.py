"""The delivery run: every message of a period built, dry-run to the outbox or sent,
logged, and each unit's outcome reported."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .. import config
from ._config import find_config, load_config, password_or_refuse, refuse_example
from ._message import SMTP_POLICY, Outgoing, department_message, unit_message
from ._plan import latest_period, read_manifest, report_files, select, unit_label
from ._sent import SentLog
from ._smtp import Mailer, SendFailure


@dataclass
class DeliverResult:
    period: str
    dry_run: bool
    sent: list[str] = field(default_factory=list)          # keys
    written: list[Path] = field(default_factory=list)      # .eml files (dry run)
    skipped: list[str] = field(default_factory=list)       # keys already sent
    failed: list[tuple[str, str]] = field(default_factory=list)   # (label, reason)
    report_failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """1 when a message could not be sent or a unit could not be delivered to, else 0."""
        return 1 if self.failed else 0


def deliver(period: str | None = None, *, only: Sequence[str] | None = None,
            dry_run: bool = False, resend: bool = False, config_path: str | Path | None = None,
            reports: Path | None = None, echo: Callable[[str], None] = lambda _: None,
            echo_error: Callable[[str], None] = lambda _: None,
            sleep: Callable[[float], None] = time.sleep) -> DeliverResult:
    """Send (or, ``dry_run``, write) the period's messages. See the module docstring."""
    reports = reports or config.reports_dir()
    cfg_path = find_config(config_path)
    cfg = load_config(cfg_path)
    if not dry_run:
        refuse_example(cfg)
    period = period or latest_period(reports)
    folder = reports / period
    manifest = read_manifest(folder)
    wanted, department = select(manifest, only)
    result = DeliverResult(period=period, dry_run=dry_run)

    plan: list[Outgoing] = []
    undeliverable: list[tuple[str, str]] = []
    for entry in manifest["units"]:
        code = str(entry["code"])
        label = unit_label(entry)
        if entry.get("status") != "ok":
            reason = f"báo cáo không dựng được: {entry.get('error') or 'không rõ lỗi'}"
            result.report_failures.append((label, reason))
            if code in wanted:
                echo(f"Không gửi {label}: {reason}")
            continue
        if code not in wanted:
            continue
        files, note = report_files(folder, entry, cfg.formats)
        if not files:
            wanted_files = " hay ".join(str(entry.get(kind) or f"bản {kind.upper()}")
                                        for kind in dict.fromkeys([*cfg.formats, "html"]))
            undeliverable.append((label, f"không tìm thấy tệp báo cáo {wanted_files} "
                                         f"trong {folder}"))
            continue
        if code not in cfg.units:
            undeliverable.append((label, f"chưa có người nhận trong {cfg.path} "
                                         f"([units.{code}])"))
            continue
        plan.append(unit_message(cfg, period, entry, files, note))

    for label, reason in undeliverable:
        result.failed.append((label, reason))
        echo_error(f"LỖI {label}: {reason}")
    for outgoing in plan:
        if outgoing.note:
            echo(f"{outgoing.label}: {outgoing.note}")

    if dry_run:
        outbox = folder / "outbox"
        outbox.mkdir(exist_ok=True)
        for stale in outbox.glob("*.eml"):
            stale.unlink()
    log = SentLog(folder / "sent.json", period)
    mailer = None if dry_run else Mailer(cfg.smtp, password_or_refuse(cfg), sleep=sleep)
    fatal: str = ""
    try:
        for outgoing in plan:
            fatal = _deliver_one(outgoing, log, mailer, resend, fatal, result, folder, echo,
                                 echo_error)
        if department:
            failures = result.report_failures + result.failed
            outgoing = department_message(cfg, period, manifest, folder, failures)
            if outgoing.note:
                echo(f"{outgoing.label}: {outgoing.note}")
            _deliver_one(outgoing, log, mailer, resend, fatal, result, folder, echo, echo_error)
    finally:
        if mailer is not None:
            mailer.close()
    return result


def _deliver_one(outgoing: Outgoing, log: SentLog, mailer: Mailer | None, resend: bool,
                 fatal: str, result: DeliverResult, folder: Path,
                 echo: Callable[[str], None], echo_error: Callable[[str], None]) -> str:
    """Send or write one message; the run-fatal reason after it ("" when none)."""
    everyone = list(outgoing.recipients.addresses)
    done = set() if resend else log.accepted(outgoing.key)
    pending = [addr for addr in everyone if addr not in done]
    if not pending:
        result.skipped.append(outgoing.key)
        echo(f"Đã gửi trước đó, bỏ qua: {outgoing.label} (dùng --resend để gửi lại)")
        return fatal
    if mailer is None:
        path = folder / "outbox" / outgoing.file_name
        path.write_bytes(outgoing.message.as_bytes(policy=SMTP_POLICY))
        result.written.append(path)
        echo(f"Đã ghi {path.name}: {outgoing.label} → {', '.join(pending)}")
        return fatal
    if fatal:
        result.failed.append((outgoing.label, f"chưa gửi — {fatal}"))
        echo_error(f"LỖI {outgoing.label}: chưa gửi — {fatal}")
        return fatal
    try:
        refused = mailer.send(outgoing, pending)
    except SendFailure as failure:
        result.failed.append((outgoing.label, failure.reason))
        echo_error(f"LỖI {outgoing.label}: {failure.reason}")
        return failure.reason if failure.fatal else fatal
    accepted = [addr for addr in pending if addr not in {r.lower() for r in refused}]
    log.record({
        "key": outgoing.key, "unit": outgoing.key, "label": outgoing.label,
        "to": list(outgoing.recipients.to), "cc": list(outgoing.recipients.cc),
        "accepted": accepted, "refused": refused,
        "message_id": outgoing.message["Message-ID"], "attachment": outgoing.attachment,
        "attachment_sha256": outgoing.attachment_sha256,
        "attachments": [{"name": n, "sha256": h} for n, h in outgoing.attachments],
        "report_sha256": outgoing.report_sha256, "synthetic": outgoing.synthetic,
        "sent_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "server": mailer.settings.where,
    })
    result.sent.append(outgoing.key)
    echo(f"Đã gửi: {outgoing.label} → {', '.join(accepted)}")
    if refused:
        reason = "máy chủ thư từ chối người nhận " + "; ".join(
            f"{addr} ({reply})" for addr, reply in refused.items())
        result.failed.append((outgoing.label, reason + " — những người nhận khác đã nhận thư"))
        echo_error(f"LỖI {outgoing.label}: {reason}")
    return fatal
