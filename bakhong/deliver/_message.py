"""The messages: a unit's (its verdict first, the things to do first, headline K1–K3,
problems, the report attached as PDF, HTML or both, zipped when large) and the
department's (the overview and the failures), in plain text and HTML."""

from __future__ import annotations

import hashlib
import html
import io
import re
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
from ._plan import addressee, in_sentence, report_files, unit_label

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
    attachment: str = ""            # the first attachment's name (the sent log's key)
    attachment_sha256: str = ""
    report_sha256: str = ""
    synthetic: bool = False
    attachments: tuple[tuple[str, str], ...] = ()   # every attachment: (name, sha256)
    note: str = ""                  # for the log: what was attached instead of what was asked

    @property
    def file_name(self) -> str:
        return f"{self.key}.eml" if self.key == DEPARTMENT_KEY else \
            f"{self.attachment.split('.')[0] or self.key}.eml"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: the attachments' types, and what the message says of each
MIME = {".pdf": "application/pdf", ".html": "text/html", ".zip": "application/zip"}
HOW_TO_OPEN = {".pdf": "bản PDF khổ A4, để đọc, in hoặc chuyển tiếp",
               ".html": "mở bằng trình duyệt, không cần mạng"}


def _attachments(reports: Sequence[Path], zip_above: int) -> list[tuple[str, bytes, str, str]]:
    """(file name, bytes, maintype/subtype, sha256 of the report) of each attachment: the
    reports as they are, or — when together larger than ``zip_above`` — one .zip of them,
    each inside under its own name."""
    files = [(path.name, path.read_bytes()) for path in reports]
    if sum(len(data) for _, data in files) <= zip_above:
        return [(name, data, MIME.get(Path(name).suffix, "application/octet-stream"),
                 sha256_bytes(data)) for name, data in files]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return [(f"{reports[0].stem}.zip", buffer.getvalue(), MIME[".zip"],
             sha256_bytes(files[0][1]))]


def _attached_text(reports: Sequence[Path], attached: Sequence[tuple[str, bytes, str, str]]
                   ) -> str:
    """"tệp đính kèm 396-thuong-xuan.pdf (bản PDF …)", or the .zip and what is inside."""
    if attached and attached[0][0].endswith(".zip"):
        inner = " và ".join(f"tệp {p.suffix}" for p in reports)
        return f"tệp đính kèm {attached[0][0]} (đã nén .zip; giải nén rồi mở {inner})"
    return "tệp đính kèm " + " và ".join(
        f"{name} ({HOW_TO_OPEN[Path(name).suffix]})" for name, *_ in attached)


def _plain(text: str) -> str:
    """A sentence for leadership: no file reference with its cell or line, no exception."""
    text = re.sub(r"\s*\(?[\w.-]+\.(?:xlsx|xls|ods|csv|docx|md|txt|parquet)"
                  r"(?:[!:][^\s,;)]*(?: \d+)?)?\)?", "", text)
    # "ValueError: …", "(BadZipFile: …)": a Python exception's name, CamelCase, and its text
    text = re.sub(r"\s*\(?\b(?:[A-Z]\w*(?:Error|Exception)\b:?|[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+:)"
                  r"[^.;)]*\)?", "", text)
    text = re.sub(r"\s+([,;:]|\.(?=\s|$))", r"\1", text).strip(" ;,:")
    return text[:1].upper() + text[1:]


def verdict_lines(entry: dict[str, Any]) -> tuple[str, list[str]]:
    """The verdict sentence that opens a unit's email, and the things to do first.

    ``entry`` is the manifest's (its ``verdict``: :func:`bakhong.indicators.verdict`); ("",
    []) for a manifest of an older batch without one.
    """
    who = in_sentence(entry)
    who = who[:1].upper() + who[1:]
    verdict = entry.get("verdict")
    if not isinstance(verdict, dict):
        if "verdict" not in entry:
            return "", []
        unreadable = entry.get("data") == "unreadable"
        return (f"{who} chưa đánh giá được: "
                + ("tệp số liệu đơn vị gửi không đọc được; đề nghị gửi lại tệp theo đúng mẫu."
                   if unreadable else "chưa có số liệu kết quả của đơn vị."), [])
    met, with_target = int(verdict.get("met") or 0), int(verdict.get("with_target") or 0)
    doubtful, errors = int(verdict.get("doubtful") or 0), int(verdict.get("errors") or 0)
    undetermined = int(verdict.get("undetermined") or 0)
    sentence = (f"{who} đạt {met}/{with_target} tiêu chí có chỉ tiêu" if with_target
                else f"{who} chưa có tiêu chí nào có chỉ tiêu để đánh giá")
    if doubtful:
        sentence += f" ({doubtful} trong số đó dựa trên số liệu chưa tin cậy)"
    if undetermined:
        sentence += f"; {undetermined} tiêu chí chưa xác định được là đạt hay chưa"
    sentence += (f"; {errors} lỗi số liệu cần sửa." if errors
                 else "; không có lỗi số liệu nào cần sửa.")
    first = [_plain(str(item.get("text") or "")) for item in verdict.get("first") or []
             if isinstance(item, dict)]
    return sentence, [text for text in first if text]


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


def unit_message(cfg: DeliverConfig, period: str, entry: dict[str, Any],
                 reports: Path | Sequence[Path], note: str = "") -> Outgoing:
    """The message carrying one unit's report (the files ``reports``: its PDF, HTML or
    both) to its leadership; ``note`` is for the log (what was attached instead)."""
    code = str(entry["code"])
    reports = [reports] if isinstance(reports, Path) else list(reports)
    synthetic = bool(entry.get("synthetic"))
    label = unit_label(entry)
    mark = f"[{SYNTHETIC_MARK}] " if synthetic else ""
    subject = (f"{mark}Báo cáo đánh giá mô hình “3 KHÔNG” năm {period} — "
               f"{label.rsplit(' (', 1)[0]}")
    attached = _attachments(reports, cfg.zip_above_bytes)
    signature = cfg.signature or config.department(period).short
    intro = (f"{signature} gửi báo cáo đánh giá kết quả thực hiện mô hình “3 KHÔNG” năm "
             f"{period} của {in_sentence(entry)}: {_attached_text(reports, attached)}.")
    text, blocks = _unit_body(entry, intro, signature)
    message = _new_message(cfg, cfg.units[code], subject, code)
    message.set_content("\n".join(text))
    message.add_alternative(_html_page(subject, blocks), subtype="html")
    for name, data, mime, _ in attached:
        _attach(message, name, data, mime)
    message["X-Bakhong-Unit"] = code
    name, data, _, report_digest = attached[0]
    return Outgoing(key=code, label=label, recipients=cfg.units[code], message=message,
                    attachment=name, attachment_sha256=sha256_bytes(data),
                    report_sha256=report_digest, synthetic=synthetic,
                    attachments=tuple((n, sha256_bytes(d)) for n, d, *_ in attached),
                    note=note)


def _unit_body(entry: dict[str, Any], intro: str, signature: str
               ) -> tuple[list[str], list[str]]:
    """A unit's message in plain text (lines) and HTML (blocks): the verdict first, the
    things to do first, the attachment, K1–K3 before → after, the data problems."""
    rows = _headline_rows(entry.get("headline"))
    errors, warnings, infos = _problems(entry.get("findings"))
    problems = (f"{format_int(errors + warnings)} ({format_int(errors)} lỗi, "
                f"{format_int(warnings)} cần xem lại)")
    sentence, first = verdict_lines(entry)
    text = [f"Kính gửi: Lãnh đạo {addressee(entry)},", ""]
    blocks = [f"<p>Kính gửi: Lãnh đạo {html.escape(addressee(entry))},</p>"]
    if entry.get("synthetic"):
        text += [f"*** {SYNTHETIC_MARK}: báo cáo dựng từ dữ liệu mô phỏng, không phải số liệu "
                 "thật của đơn vị. ***", ""]
        blocks.append(_mark_html())
    if sentence:
        text += [sentence, ""]
        blocks.append(f"<p><b>{html.escape(sentence)}</b></p>")
    if first:
        text += ["Việc cần làm trước:", *(f"  {i}. {t}" for i, t in enumerate(first, 1)), ""]
        blocks.append("<p>Việc cần làm trước:</p><ol>" + "".join(
            f"<li>{html.escape(t)}</li>" for t in first) + "</ol>")
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
    blocks += [
        f"<p>{html.escape(intro)}</p>",
        "<p><b>Kết quả chính</b> (trước → sau triển khai):</p>",
        "<table style=\"border-collapse: collapse\"><tr><th style=\"text-align: left\">Trụ cột"
        "</th><th>Trước</th><th></th><th>Sau</th></tr>" + table + "</table>",
        f"<p>Số vấn đề dữ liệu cần rà soát: <b>{html.escape(problems)}</b>; "
        f"{format_int(infos)} ghi nhận khác (như chỉ tiêu chưa đạt). Chi tiết từng vấn đề, ô "
        "số liệu và cách sửa có trong báo cáo.</p>",
        f"<p>Trân trọng,<br>{html.escape(signature)}</p>"]
    return text, blocks


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
    attached: list[tuple[str, bytes, str, str]] = []
    overview_note = note = ""
    if overview.get("status") == "ok" and overview.get("html"):
        files, note = report_files(folder, overview, cfg.formats)
        if files:
            attached = _attachments(files, cfg.zip_above_bytes)
        else:
            overview_note = f"Không tìm thấy tệp báo cáo tổng hợp {overview['html']}."
    else:
        overview_note = ("Báo cáo tổng hợp không dựng được"
                         + (f": {overview.get('error')}" if overview.get("error") else "") + ".")
    lines = [f"Báo cáo đánh giá mô hình “3 KHÔNG” năm {period}: {ok}/{len(entries)} đơn vị "
             "có báo cáo."]
    names = ", ".join(name for name, *_ in attached)
    if attached:
        lines.append(f"Báo cáo tổng hợp đính kèm: {names}.")
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
    if attached:
        blocks.append(f"<p>Báo cáo tổng hợp đính kèm: {html.escape(names)}.</p>")
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
                        recipients=cfg.department, message=message, synthetic=synthetic,
                        note=note)
    for name, data, mime, _ in attached:
        _attach(message, name, data, mime)
    if attached:
        name, data, _, digest = attached[0]
        outgoing.attachment, outgoing.attachment_sha256 = name, sha256_bytes(data)
        outgoing.report_sha256 = digest
        outgoing.attachments = tuple((n, sha256_bytes(d)) for n, d, *_ in attached)
    return outgoing


def _attach(message: EmailMessage, name: str, data: bytes, mime: str) -> None:
    """Attach the bytes as they are (base64), so their sha256 is the report's."""
    maintype, subtype = mime.split("/")
    params = {"charset": "utf-8"} if maintype == "text" else None
    message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name,
                           params=params)

