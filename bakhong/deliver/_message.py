"""The messages: a unit's (headline K1–K3, problems, the report attached, zipped when
large) and the department's (the overview and the failures), in plain text and HTML."""

from __future__ import annotations

import hashlib
import html
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from .. import config
from ..contract import SYNTHETIC_TITLE
from ..vocab.parse import format_int, format_percent
from ._config import DEPARTMENT_KEY, DeliverConfig, Recipients
from ._plan import addressee, in_sentence, unit_label

SMTP_POLICY = policy.SMTP  # CRLF line ends, RFC 2047 headers, 78-column folding
#: The mark of a message built from synthetic data (:data:`bakhong.contract.SYNTHETIC_TITLE`).
SYNTHETIC_MARK = SYNTHETIC_TITLE


PILLARS = ("K1", "K2", "K3")

#: the pillars' names as the body shows them (catalog.toml's [pillars])
PILLAR_VI = {"K1": "Không phải khai báo thông tin nhiều lần", "K2": "Không dùng tiền mặt",
             "K3": "Không cần tiếp xúc trực tiếp với chính quyền"}


@dataclass
class Outgoing:
    """One message to send, with what the sent log records of it."""

    key: str                        # unit code, or DEPARTMENT_KEY
    label: str                      # "Huyện Thường Xuân (396)"
    recipients: Recipients
    message: EmailMessage
    attachment: str = ""
    attachment_sha256: str = ""
    report_sha256: str = ""
    synthetic: bool = False

    @property
    def file_name(self) -> str:
        return f"{self.key}.eml" if self.key == DEPARTMENT_KEY else \
            f"{self.attachment.split('.')[0] or self.key}.eml"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _attachment(report: Path, zip_above: int) -> tuple[str, bytes, str, str]:
    """(file name, bytes, maintype/subtype, sha256 of the report) of what to attach."""
    data = report.read_bytes()
    digest = sha256_bytes(data)
    if len(data) <= zip_above:
        return report.name, data, "text/html", digest
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(report.name, date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, data)
    return f"{report.stem}.zip", buffer.getvalue(), "application/zip", digest


def _headline_rows(headline: Any) -> list[tuple[str, str, str, str]]:
    """(code, pillar, before, after) for K1–K3 as the report shows them: the manifest's
    texts (:func:`bakhong.indicators.headline`, "hơn 96,5%" as the source says it); a manifest
    of an older batch without them is formatted from its values; "—" where unknown."""
    headline = headline if isinstance(headline, dict) else {}
    rows = []
    for code in PILLARS:
        item = headline.get(code) or {}

        def shown(phase: str, item: dict = item) -> str:
            text = item.get(f"{phase}_text")
            if isinstance(text, str) and text:
                return text
            value = item.get(phase)
            if not isinstance(value, int | float):
                return "—"
            return format_percent(float(value), qualifier=item.get(f"{phase}_qualifier") or "=")

        after = shown("after")
        if item.get("doubtful"):  # an error was found in this figure: it says so
            after = f"{after} (số liệu chưa tin cậy)"
        rows.append((code, PILLAR_VI[code], shown("before"), after))
    return rows


def _problems(findings: Any) -> tuple[int, int, int]:
    findings = findings if isinstance(findings, dict) else {}
    error, warning, info = (int(findings.get(k) or 0) for k in ("error", "warning", "info"))
    return error, warning, info


def _new_message(cfg: DeliverConfig, recipients: Recipients, subject: str, key: str
                 ) -> EmailMessage:
    message = EmailMessage(policy=SMTP_POLICY)
    message["Subject"] = subject
    message["From"] = cfg.sender
    message["To"] = ", ".join(recipients.to)
    if recipients.cc:
        message["Cc"] = ", ".join(recipients.cc)
    if cfg.reply_to:
        message["Reply-To"] = cfg.reply_to
    message["Date"] = format_datetime(datetime.now(UTC).astimezone())
    domain = cfg.sender_address.rsplit("@", 1)[-1] or "bakhong.local"
    message["Message-ID"] = make_msgid(idstring=f"bakhong.{key}", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    return message


def _html_page(title: str, blocks: Iterable[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title></head>\n"
            "<body style=\"font-family: Arial, sans-serif; font-size: 14px; color: #222\">\n"
            + "\n".join(blocks) + "\n</body></html>\n")


def _mark_html() -> str:
    return ("<p style=\"border: 2px solid #b00; color: #b00; padding: 6px; font-weight: bold\">"
            f"{SYNTHETIC_MARK}: báo cáo dựng từ dữ liệu mô phỏng, không phải số liệu thật của "
            "đơn vị.</p>")


def unit_message(cfg: DeliverConfig, period: str, entry: dict[str, Any], report: Path
                 ) -> Outgoing:
    """The message carrying one unit's report to its leadership."""
    code = str(entry["code"])
    recipients = cfg.units[code]
    synthetic = bool(entry.get("synthetic"))
    label = unit_label(entry)
    unit_name = label.rsplit(" (", 1)[0]
    mark = f"[{SYNTHETIC_MARK}] " if synthetic else ""
    subject = f"{mark}Báo cáo đánh giá mô hình “3 KHÔNG” năm {period} — {unit_name}"
    name, data, mime, report_digest = _attachment(report, cfg.zip_above_bytes)
    rows = _headline_rows(entry.get("headline"))
    errors, warnings, infos = _problems(entry.get("findings"))
    problems = (f"{format_int(errors + warnings)} ({format_int(errors)} lỗi, "
                f"{format_int(warnings)} cần xem lại)")
    zipped = " (đã nén .zip; giải nén rồi mở tệp .html)" if name.endswith(".zip") else ""
    signature = cfg.signature or config.department(period).short
    intro = (f"{signature} gửi báo cáo đánh giá kết quả thực hiện mô hình “3 KHÔNG” năm "
             f"{period} của {in_sentence(entry)}: tệp đính kèm {name}{zipped}, mở bằng trình "
             "duyệt, không cần mạng.")
    text = [f"Kính gửi: Lãnh đạo {addressee(entry)},", ""]
    if synthetic:
        text += [f"*** {SYNTHETIC_MARK}: báo cáo dựng từ dữ liệu mô phỏng, không phải số liệu "
                 "thật của đơn vị. ***", ""]
    text += [intro, "", "Kết quả chính (trước → sau triển khai):"]
    text += [f"  - {c} {pillar}: {before} → {after}" for c, pillar, before, after in rows]
    text += ["", f"Số vấn đề dữ liệu cần rà soát: {problems}; "
                 f"{format_int(infos)} ghi nhận khác (như chỉ tiêu chưa đạt).",
             "Chi tiết từng vấn đề, ô số liệu và cách sửa có trong báo cáo.", "",
             "Trân trọng,", signature, ""]
    table = "".join(
        f"<tr><td style=\"padding: 4px 8px\"><b>{c}</b> {html.escape(p)}</td>"
        f"<td style=\"padding: 4px 8px; text-align: right\">{html.escape(b)}</td>"
        f"<td style=\"padding: 4px 8px\">→</td>"
        f"<td style=\"padding: 4px 8px; text-align: right\"><b>{html.escape(a)}</b></td></tr>"
        for c, p, b, a in rows)
    blocks = [f"<p>Kính gửi: Lãnh đạo {html.escape(addressee(entry))},</p>"]
    if synthetic:
        blocks.append(_mark_html())
    blocks += [
        f"<p>{html.escape(intro)}</p>",
        "<p><b>Kết quả chính</b> (trước → sau triển khai):</p>",
        "<table style=\"border-collapse: collapse\"><tr><th style=\"text-align: left\">Trụ cột"
        "</th><th>Trước</th><th></th><th>Sau</th></tr>" + table + "</table>",
        f"<p>Số vấn đề dữ liệu cần rà soát: <b>{html.escape(problems)}</b>; "
        f"{format_int(infos)} ghi nhận khác (như chỉ tiêu chưa đạt). Chi tiết từng vấn đề, ô "
        "số liệu và cách sửa có trong báo cáo.</p>",
        f"<p>Trân trọng,<br>{html.escape(signature)}</p>"]
    message = _new_message(cfg, recipients, subject, code)
    message.set_content("\n".join(text))
    message.add_alternative(_html_page(subject, blocks), subtype="html")
    _attach(message, name, data, mime)
    message["X-Bakhong-Unit"] = code
    return Outgoing(key=code, label=label, recipients=recipients, message=message,
                    attachment=name, attachment_sha256=sha256_bytes(data),
                    report_sha256=report_digest, synthetic=synthetic)


def department_message(cfg: DeliverConfig, period: str, manifest: dict[str, Any],
                       folder: Path, failures: Sequence[tuple[str, str]]) -> Outgoing:
    """The department's message: the overview attached, and every failure listed.

    ``failures`` are (unit label, reason) pairs: the manifest's failed reports and the units
    this run could not deliver to.
    """
    entries = manifest["units"]
    ok = sum(1 for u in entries if u.get("status") == "ok")
    synthetic = any(u.get("synthetic") for u in entries)
    mark = f"[{SYNTHETIC_MARK}] " if synthetic else ""
    subject = (f"{mark}Báo cáo tổng hợp mô hình “3 KHÔNG” năm {period}: "
               f"{ok}/{len(entries)} đơn vị có báo cáo")
    overview = manifest.get("overview") or {}
    attach: tuple[str, bytes, str, str] | None = None
    overview_note = ""
    if overview.get("status") == "ok" and overview.get("html"):
        path = inside(folder, str(overview["html"]))
        if path is not None and path.is_file():
            attach = _attachment(path, cfg.zip_above_bytes)
        else:
            overview_note = f"Không tìm thấy tệp báo cáo tổng hợp {overview['html']}."
    else:
        overview_note = ("Báo cáo tổng hợp không dựng được"
                         + (f": {overview.get('error')}" if overview.get("error") else "") + ".")
    lines = [f"Báo cáo đánh giá mô hình “3 KHÔNG” năm {period}: {ok}/{len(entries)} đơn vị "
             "có báo cáo."]
    if attach:
        lines.append(f"Báo cáo tổng hợp đính kèm: {attach[0]}.")
    if overview_note:
        lines.append(overview_note)
    if synthetic:
        lines.append(f"*** {SYNTHETIC_MARK}: một số báo cáo dựng từ dữ liệu mô phỏng. ***")
    if failures:
        lines += ["", f"Không gửi được cho {len(failures)} đơn vị:"]
        lines += [f"  - {label}: {reason}" for label, reason in failures]
    else:
        lines += ["", "Mọi đơn vị đều đã có báo cáo."]
    lines += ["", "(Thư tự động từ bakhong.)", ""]
    blocks = [f"<p>{html.escape(lines[0])}</p>"]
    if attach:
        blocks.append(f"<p>Báo cáo tổng hợp đính kèm: {html.escape(attach[0])}.</p>")
    if overview_note:
        blocks.append(f"<p>{html.escape(overview_note)}</p>")
    if synthetic:
        blocks.append(_mark_html())
    if failures:
        blocks.append(f"<p><b>Không gửi được cho {len(failures)} đơn vị:</b></p><ul>"
                      + "".join(f"<li>{html.escape(label)}: {html.escape(reason)}</li>"
                                for label, reason in failures) + "</ul>")
    else:
        blocks.append("<p>Mọi đơn vị đều đã có báo cáo.</p>")
    message = _new_message(cfg, cfg.department, subject, DEPARTMENT_KEY)
    message.set_content("\n".join(lines))
    message.add_alternative(_html_page(subject, blocks), subtype="html")
    outgoing = Outgoing(key=DEPARTMENT_KEY, label="Sở TTTT (báo cáo tổng hợp)",
                        recipients=cfg.department, message=message, synthetic=synthetic)
    if attach:
        name, data, mime, digest = attach
        _attach(message, name, data, mime)
        outgoing.attachment, outgoing.attachment_sha256 = name, sha256_bytes(data)
        outgoing.report_sha256 = digest
    return outgoing


def _attach(message: EmailMessage, name: str, data: bytes, mime: str) -> None:
    """Attach the bytes as they are (base64), so their sha256 is the report's."""
    maintype, subtype = mime.split("/")
    params = {"charset": "utf-8"} if maintype == "text" else None
    message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name,
                           params=params)


def inside(folder: Path, name: str) -> Path | None:
    """``folder/name`` when it stays inside ``folder`` (a manifest names files, not paths)."""
    path = (folder / name).resolve()
    return path if path.is_relative_to(folder.resolve()) else None
