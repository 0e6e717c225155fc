"""Email each district's report to its leadership, and the overview to the department.

``deliver(period)`` reads ``reports/<period>/manifest.json`` (the batch's contract) and, for
every unit whose report succeeded, sends one message: a Vietnamese subject, a short body in
plain text and HTML (no script: mail clients run none) with the headline figures K1–K3 before
→ after and the number of data problems, and the report attached. A unit whose report failed
gets no message; the department's own list gets one message with the overview report attached
and the summary of the failures instead.

Configuration (TOML, never under ``data/raw``), first found of:

1. ``--config FILE`` (``config_path=``);
2. ``$BAKHONG_DELIVER_CONFIG``;
3. ``config/deliver.toml`` in the project folder (gitignored: the user's own);
4. ``config/deliver.example.toml`` — the committed, documented example with example.org
   addresses for the 27 districts of 2024. A dry run may use it; a real send refuses to.

The password is read only from the environment variable the configuration names
(``password_env``, by default ``BAKHONG_SMTP_PASSWORD``) or, when the ``keyring`` package is
installed, from the system keyring (service ``bakhong-smtp``, the SMTP user name). A
``password`` key in the configuration file is refused. The password is never written
anywhere: not in the outbox, the sent log, a message or an error.

A report larger than ``zip_above_mb`` (5 MB by default: what most mail servers still accept
after base64's third more) is attached zipped, the HTML file inside under its own name.

``reports/<period>/sent.json`` logs every message a server accepted: unit, recipients,
Message-ID, attachment and report sha256, time. It is rewritten atomically after each
accepted message, so a run stopped half-way resumes where it stopped, and a re-run sends
nothing twice: a recipient who already got a unit's report is skipped unless ``resend``.
A message counts as sent only once the server accepted it (after DATA). When the server
refuses some recipients of a message, the others got it and are logged; the unit is reported
as failed, and a re-run (after fixing the address) sends to the missing recipients only.

``dry_run`` writes every message that would be sent to ``reports/<period>/outbox/*.eml`` and
sends nothing (no password needed).

Failures — server unreachable, TLS refused or not verified, login refused, a recipient
refused — are reported per unit in Vietnamese; transient ones (no connection, a dropped
connection, a 4xx reply) are retried ``retries`` times with a doubling delay from
``retry_delay_s``. A login or TLS failure stops the attempts at once (retrying a wrong
password can lock the account); the units left are reported with the same reason.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import smtplib
import socket
import ssl
import time
import tomllib
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path
from typing import Any

from .. import config
from ..errors import DeliveryError, UnknownUnitError
from ..vocab import units
from ..vocab.parse import fold_words, format_int, format_percent

CONFIG_ENV = "BAKHONG_DELIVER_CONFIG"
PASSWORD_ENV = "BAKHONG_SMTP_PASSWORD"
KEYRING_SERVICE = "bakhong-smtp"
USER_CONFIG = Path("config") / "deliver.toml"
EXAMPLE_CONFIG = Path("config") / "deliver.example.toml"
ZIP_ABOVE_MB = 5.0
SYNTHETIC_MARK = "DỮ LIỆU MÔ PHỎNG"
DEPARTMENT_KEY = "so-tttt"
#: words that select the department's message in ``only``
DEPARTMENT_WORDS = {"so", "so-tttt", "department", "sở"}
SECURITIES = ("starttls", "ssl", "none")
EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net")
PILLARS = ("K1", "K2", "K3")
#: the pillars' names as the body shows them (catalog.toml's [pillars])
PILLAR_VI = {"K1": "Không phải khai báo thông tin nhiều lần", "K2": "Không dùng tiền mặt",
             "K3": "Không cần tiếp xúc trực tiếp với chính quyền"}

SMTP_POLICY = policy.SMTP  # CRLF line ends, RFC 2047 headers, 78-column folding


# --- configuration ----------------------------------------------------------------------

@dataclass(frozen=True)
class Recipients:
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()

    @property
    def addresses(self) -> tuple[str, ...]:
        """The bare addresses of To and Cc, in order, without duplicates."""
        seen: dict[str, None] = {}
        for _, addr in getaddresses([*self.to, *self.cc]):
            seen.setdefault(addr.lower(), None)
        return tuple(seen)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str = "starttls"
    user: str = ""
    password_env: str = PASSWORD_ENV
    ca_file: str = ""
    timeout_s: float = 30.0
    retries: int = 3
    retry_delay_s: float = 2.0

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class DeliverConfig:
    path: Path
    example: bool
    smtp: SmtpSettings
    sender: str                       # "Tên <địa chỉ>"
    department: Recipients
    units: dict[str, Recipients]
    reply_to: str = ""
    signature: str = "Sở Thông tin và Truyền thông Thanh Hóa"
    zip_above_bytes: int = int(ZIP_ABOVE_MB * 1_000_000)

    @property
    def sender_address(self) -> str:
        return getaddresses([self.sender])[0][1]


def find_config(explicit: str | Path | None = None, root: Path | None = None) -> Path:
    """The configuration file to use (see the module docstring for the order)."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise DeliveryError("không tìm thấy tệp cấu hình gửi thư", str(path))
        return path
    env = os.environ.get(CONFIG_ENV)
    if env:
        path = Path(env)
        if not path.is_file():
            raise DeliveryError(f"không tìm thấy tệp cấu hình ({CONFIG_ENV})", str(path))
        return path
    root = root or config.project_root()
    for candidate in (root / USER_CONFIG, root / EXAMPLE_CONFIG,
                      Path(__file__).resolve().parents[2] / EXAMPLE_CONFIG):
        if candidate.is_file():
            return candidate
    raise DeliveryError(f"không có tệp cấu hình gửi thư: tạo {USER_CONFIG} theo mẫu "
                        f"{EXAMPLE_CONFIG}")


def _addresses(value: Any, path: Path, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DeliveryError(f"“{key}” phải là một danh sách địa chỉ thư", str(path))
    for text in value:
        parsed = getaddresses([text])
        if len(parsed) != 1 or "@" not in parsed[0][1] or " " in parsed[0][1]:
            raise DeliveryError(f"“{key}”: địa chỉ thư không hợp lệ “{text}”", str(path))
    return tuple(value)


def _recipients(table: Any, path: Path, key: str) -> Recipients:
    if not isinstance(table, dict):
        raise DeliveryError(f"thiếu bảng [{key}] (to, cc)", str(path))
    to = _addresses(table.get("to"), path, f"{key}.to")
    if not to:
        raise DeliveryError(f"[{key}] chưa có người nhận (to)", str(path))
    return Recipients(to=to, cc=_addresses(table.get("cc"), path, f"{key}.cc"))


def _has_password_key(data: Any) -> bool:
    if isinstance(data, dict):
        return any(str(k).lower() in {"password", "pass", "mat_khau"} or _has_password_key(v)
                   for k, v in data.items())
    if isinstance(data, list):
        return any(_has_password_key(v) for v in data)
    return False


def load_config(path: str | Path) -> DeliverConfig:
    """Read and check a configuration file; a clear message names the file and key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DeliveryError(f"không đọc được tệp cấu hình ({exc})", str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise DeliveryError(f"tệp cấu hình sai cú pháp TOML ({exc})", str(path)) from None
    if _has_password_key(data):
        raise DeliveryError(
            "không ghi mật khẩu trong tệp cấu hình: xóa khóa “password” và đặt mật khẩu "
            f"trong biến môi trường {PASSWORD_ENV} (hoặc keyring)", str(path))
    smtp = data.get("smtp")
    if not isinstance(smtp, dict) or not smtp.get("host"):
        raise DeliveryError("thiếu [smtp] host", str(path))
    security = str(smtp.get("security", "starttls")).lower()
    if security not in SECURITIES:
        raise DeliveryError(f"[smtp] security phải là một trong {', '.join(SECURITIES)}",
                            str(path))
    try:
        port = int(smtp.get("port", {"ssl": 465, "starttls": 587, "none": 25}[security]))
        settings = SmtpSettings(
            host=str(smtp["host"]), port=port, security=security,
            user=str(smtp.get("user", "")), password_env=str(smtp.get("password_env",
                                                                       PASSWORD_ENV)),
            ca_file=str(smtp.get("ca_file", "")), timeout_s=float(smtp.get("timeout_s", 30)),
            retries=max(1, int(smtp.get("retries", 3))),
            retry_delay_s=max(0.0, float(smtp.get("retry_delay_s", 2.0))))
    except (TypeError, ValueError) as exc:
        raise DeliveryError(f"[smtp]: giá trị không hợp lệ ({exc})", str(path)) from None
    if settings.ca_file and not Path(settings.ca_file).is_absolute():
        settings = SmtpSettings(**{**settings.__dict__,
                                   "ca_file": str(path.parent / settings.ca_file)})
    if settings.security == "none" and settings.user:
        raise DeliveryError("không đăng nhập qua kết nối không mã hóa: đặt [smtp] security "
                            "= \"starttls\" hoặc \"ssl\", hoặc bỏ user", str(path))
    sender_table = data.get("sender", {})
    sender = _addresses(sender_table.get("from"), path, "sender.from")
    if not sender:
        raise DeliveryError("thiếu [sender] from (tên và địa chỉ người gửi)", str(path))
    unit_tables = data.get("units", {})
    if not isinstance(unit_tables, dict):
        raise DeliveryError("[units] phải là các bảng [units.<mã GSO>]", str(path))
    unit_recipients = {str(code): _recipients(table, path, f"units.{code}")
                       for code, table in unit_tables.items()}
    zip_mb = data.get("attachment", {}).get("zip_above_mb", ZIP_ABOVE_MB)
    try:
        zip_bytes = int(float(zip_mb) * 1_000_000)
    except (TypeError, ValueError):
        raise DeliveryError("[attachment] zip_above_mb phải là một số", str(path)) from None
    return DeliverConfig(
        path=path, example=bool(data.get("example", False)) or path.name == EXAMPLE_CONFIG.name,
        smtp=settings, sender=sender[0],
        reply_to=(_addresses(sender_table.get("reply_to"), path, "sender.reply_to") or ("",))[0],
        signature=str(sender_table.get("signature", DeliverConfig.signature)),
        department=_recipients(data.get("department"), path, "department"),
        units=unit_recipients, zip_above_bytes=zip_bytes)


def smtp_password(settings: SmtpSettings) -> str:
    """The SMTP password: the environment variable, else the system keyring, else ""."""
    value = os.environ.get(settings.password_env, "")
    if value:
        return value
    try:
        import keyring  # optional: not a dependency
    except ImportError:
        return ""
    try:
        return keyring.get_password(KEYRING_SERVICE, settings.user) or ""
    except Exception:  # a keyring without a backend
        return ""


# --- the manifest and the plan ----------------------------------------------------------

def latest_period(reports: Path) -> str:
    periods = sorted(p.parent.name for p in reports.glob("*/manifest.json"))
    if not periods:
        raise DeliveryError(f"không có báo cáo nào trong {reports}: chạy `make reports` trước")
    return periods[-1]


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeliveryError("không có manifest: chạy `make reports` trước", str(path)) from None
    except (OSError, ValueError) as exc:
        raise DeliveryError(f"manifest không đọc được ({exc})", str(path)) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("units"), list):
        raise DeliveryError("manifest thiếu danh sách “units”", str(path))
    for entry in manifest["units"]:
        if not isinstance(entry, dict) or not entry.get("code"):
            raise DeliveryError("manifest: một đơn vị thiếu “code”", str(path))
    return manifest


def _unit_label(entry: dict[str, Any]) -> str:
    """"Huyện Thường Xuân (396)" — the reference name when the code is known."""
    code = str(entry["code"])
    try:
        name = units.by_code(code).full_name
    except UnknownUnitError:
        name = str(entry.get("name") or code)
    return f"{name} ({code})"


def _in_sentence(entry: dict[str, Any]) -> str:
    """"huyện Thường Xuân", "thành phố Thanh Hóa": the unit's name inside a sentence."""
    try:
        unit = units.by_code(str(entry["code"]))
    except UnknownUnitError:
        return str(entry.get("name") or entry["code"])
    return f"{unit.kind} {unit.name}"


def _addressee(entry: dict[str, Any]) -> str:
    """"UBND huyện Thường Xuân"."""
    return f"UBND {_in_sentence(entry)}"


def _select(manifest: dict[str, Any], only: Sequence[str] | None) -> tuple[set[str], bool]:
    """The unit codes ``only`` designates, and whether the department's message is wanted."""
    codes = [str(u["code"]) for u in manifest["units"]]
    if not only:
        return set(codes), True
    chosen: set[str] = set()
    department = False
    by_key = {}
    for u in manifest["units"]:
        for key in (u["code"], u.get("slug"), u.get("name")):
            if key:
                by_key[fold_words(str(key))] = str(u["code"])
    for token in only:
        folded = fold_words(token)
        if token.lower() in DEPARTMENT_WORDS or folded in DEPARTMENT_WORDS:
            department = True
            continue
        code = by_key.get(folded)
        if code is None:
            try:
                code = units.match(token, level="district").code
            except UnknownUnitError as exc:
                raise DeliveryError(f"--only: {exc}") from None
        if code not in codes:
            raise DeliveryError(f"--only: đơn vị {token} ({code}) không có trong manifest kỳ "
                                f"{manifest.get('period', '')}")
        chosen.add(code)
    return chosen, department


# --- messages ---------------------------------------------------------------------------

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
    """(code, pillar, before, after) for K1–K3, Vietnamese formatted; "—" where unknown."""
    headline = headline if isinstance(headline, dict) else {}
    rows = []
    for code in PILLARS:
        item = headline.get(code) or {}

        def shown(phase: str, item: dict = item) -> str:
            value = item.get(phase)
            if not isinstance(value, int | float):
                return "—"
            return format_percent(float(value), qualifier=item.get(f"{phase}_qualifier") or "=")

        rows.append((code, PILLAR_VI[code], shown("before"), shown("after")))
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
    label = _unit_label(entry)
    unit_name = label.rsplit(" (", 1)[0]
    mark = f"[{SYNTHETIC_MARK}] " if synthetic else ""
    subject = f"{mark}Báo cáo đánh giá mô hình “3 KHÔNG” năm {period} — {unit_name}"
    name, data, mime, report_digest = _attachment(report, cfg.zip_above_bytes)
    rows = _headline_rows(entry.get("headline"))
    errors, warnings, infos = _problems(entry.get("findings"))
    problems = (f"{format_int(errors + warnings)} ({format_int(errors)} lỗi, "
                f"{format_int(warnings)} cần xem lại)")
    zipped = " (đã nén .zip; giải nén rồi mở tệp .html)" if name.endswith(".zip") else ""
    intro = (f"{cfg.signature} gửi báo cáo đánh giá kết quả thực hiện mô hình “3 KHÔNG” năm "
             f"{period} của {_in_sentence(entry)}: tệp đính kèm {name}{zipped}, mở bằng trình "
             "duyệt, không cần mạng.")
    text = [f"Kính gửi: Lãnh đạo {_addressee(entry)},", ""]
    if synthetic:
        text += [f"*** {SYNTHETIC_MARK}: báo cáo dựng từ dữ liệu mô phỏng, không phải số liệu "
                 "thật của đơn vị. ***", ""]
    text += [intro, "", "Kết quả chính (trước → sau triển khai):"]
    text += [f"  - {c} {pillar}: {before} → {after}" for c, pillar, before, after in rows]
    text += ["", f"Số vấn đề dữ liệu cần rà soát: {problems}; "
                 f"{format_int(infos)} ghi nhận khác (như chỉ tiêu chưa đạt).",
             "Chi tiết từng vấn đề, ô số liệu và cách sửa có trong báo cáo.", "",
             "Trân trọng,", cfg.signature, ""]
    table = "".join(
        f"<tr><td style=\"padding: 4px 8px\"><b>{c}</b> {html.escape(p)}</td>"
        f"<td style=\"padding: 4px 8px; text-align: right\">{html.escape(b)}</td>"
        f"<td style=\"padding: 4px 8px\">→</td>"
        f"<td style=\"padding: 4px 8px; text-align: right\"><b>{html.escape(a)}</b></td></tr>"
        for c, p, b, a in rows)
    blocks = [f"<p>Kính gửi: Lãnh đạo {html.escape(_addressee(entry))},</p>"]
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
        f"<p>Trân trọng,<br>{html.escape(cfg.signature)}</p>"]
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
        path = _inside(folder, str(overview["html"]))
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


def _inside(folder: Path, name: str) -> Path | None:
    """``folder/name`` when it stays inside ``folder`` (a manifest names files, not paths)."""
    path = (folder / name).resolve()
    return path if path.is_relative_to(folder.resolve()) else None


# --- the sent log -----------------------------------------------------------------------

class SentLog:
    """``reports/<period>/sent.json``: every message a server accepted, rewritten atomically."""

    def __init__(self, path: Path, period: str) -> None:
        self.path = path
        self.period = period
        self.messages: list[dict[str, Any]] = []
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                self.messages = list(data["messages"])
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise DeliveryError(f"nhật ký gửi thư hỏng, không ghi đè ({exc}); sửa hoặc "
                                    "chuyển tệp đi rồi chạy lại", str(path)) from None

    def accepted(self, key: str) -> set[str]:
        """Addresses that already got the message ``key``."""
        return {addr.lower() for m in self.messages if m.get("key") == key
                for addr in m.get("accepted", [])}

    def record(self, entry: dict[str, Any]) -> None:
        self.messages.append(entry)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"period": self.period, "messages": self.messages},
                                  ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)


# --- sending ----------------------------------------------------------------------------

class SendFailure(Exception):
    """One message could not be sent; ``fatal`` when no later message can be either."""

    def __init__(self, reason: str, fatal: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fatal = fatal


def _reply_text(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) \
        else str(exc.smtp_error)
    return f"{exc.smtp_code} {text}".strip()


class Mailer:
    """One SMTP connection reused for every message, reopened when dropped."""

    def __init__(self, settings: SmtpSettings, password: str,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self._password = password
        self._sleep = sleep
        self._smtp: smtplib.SMTP | None = None

    def _context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(cafile=self.settings.ca_file or None)
        except (OSError, ssl.SSLError) as exc:
            raise SendFailure(f"không đọc được chứng chỉ CA {self.settings.ca_file} ({exc})",
                              fatal=True) from None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_s,
                                                 context=self._context())
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
        try:
            smtp.ehlo()
            if s.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise SendFailure(f"máy chủ thư {s.where} không hỗ trợ STARTTLS: không gửi "
                                      "mật khẩu và báo cáo qua kết nối không mã hóa", fatal=True)
                smtp.starttls(context=self._context())
                smtp.ehlo()
            if s.user:
                smtp.login(s.user, self._password)
        except BaseException:
            _close(smtp)
            raise
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                _close(self._smtp)
            self._smtp = None

    def send(self, outgoing: Outgoing, rcpts: Sequence[str]) -> dict[str, str]:
        """Send to ``rcpts``; the refused recipients with the server's reply.

        Raises :class:`SendFailure` when the server accepted the message for nobody.
        """
        s = self.settings
        payload = outgoing.message.as_bytes(policy=SMTP_POLICY)
        sender = getaddresses([outgoing.message["From"]])[0][1]
        last = ""
        for attempt in range(s.retries):
            if attempt:
                self._sleep(s.retry_delay_s * 2 ** (attempt - 1))
            connecting = self._smtp is None
            try:
                if self._smtp is None:
                    self._smtp = self._connect()
                connecting = False
                refused = self._smtp.sendmail(sender, list(rcpts), payload)
                return {addr: _reply_text(smtplib.SMTPResponseException(*reply))
                        for addr, reply in refused.items()}
            except SendFailure:
                self._smtp = None
                raise
            except smtplib.SMTPAuthenticationError as exc:
                self._drop()
                raise SendFailure(f"máy chủ thư {s.where} từ chối đăng nhập của “{s.user}” "
                                  f"({_reply_text(exc)}): kiểm tra tên đăng nhập và mật khẩu "
                                  f"(biến môi trường {s.password_env})", fatal=True) from None
            except smtplib.SMTPNotSupportedError as exc:
                self._drop()
                raise SendFailure(f"máy chủ thư {s.where} không hỗ trợ thao tác cần thiết "
                                  f"({exc})", fatal=True) from None
            except smtplib.SMTPRecipientsRefused as exc:
                replies = "; ".join(f"{addr}: {_reply_text(smtplib.SMTPResponseException(*r))}"
                                    for addr, r in exc.recipients.items())
                raise SendFailure(f"máy chủ thư từ chối mọi người nhận ({replies})") from None
            except ssl.SSLError as exc:  # before OSError: SSLError is one
                self._drop()
                verify = isinstance(exc, ssl.SSLCertVerificationError)
                what = "chứng chỉ của máy chủ không được xác thực" if verify else "lỗi TLS"
                raise SendFailure(f"{what} khi kết nối máy chủ thư {s.where} "
                                  f"({getattr(exc, 'verify_message', '') or exc.reason or exc})"
                                  , fatal=True) from None
            except smtplib.SMTPServerDisconnected as exc:
                self._drop()
                last = f"máy chủ thư {s.where} ngắt kết nối ({exc or 'không rõ lý do'})"
            except smtplib.SMTPResponseException as exc:
                self._drop()
                reply = _reply_text(exc)
                if 400 <= exc.smtp_code < 500:
                    last = f"máy chủ thư {s.where} tạm thời từ chối ({reply})"
                    continue
                if isinstance(exc, smtplib.SMTPSenderRefused):
                    raise SendFailure(f"máy chủ thư từ chối người gửi {exc.sender} ({reply})",
                                      fatal=True) from None
                raise SendFailure(f"máy chủ thư {s.where} từ chối thư ({reply})") from None
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else \
                    str(exc) or type(exc).__name__
                if isinstance(exc, socket.timeout | TimeoutError):
                    reason = f"quá {s.timeout_s:g} giây không trả lời"
                if connecting:
                    last = f"không kết nối được máy chủ thư {s.where} ({reason})"
                else:
                    last = f"lỗi khi gửi tới máy chủ thư {s.where} ({reason})"
        # a server never reached cannot take any later message either
        fatal = last.startswith("không kết nối được")
        raise SendFailure(f"{last}, sau {s.retries} lần thử", fatal=fatal)

    def _drop(self) -> None:
        if self._smtp is not None:
            _close(self._smtp)
        self._smtp = None


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.close()
    except OSError:
        pass


# --- the run ----------------------------------------------------------------------------

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
        _refuse_example(cfg)
    period = period or latest_period(reports)
    folder = reports / period
    manifest = read_manifest(folder)
    wanted, department = _select(manifest, only)
    result = DeliverResult(period=period, dry_run=dry_run)

    plan: list[Outgoing] = []
    undeliverable: list[tuple[str, str]] = []
    for entry in manifest["units"]:
        code = str(entry["code"])
        label = _unit_label(entry)
        if entry.get("status") != "ok":
            reason = f"báo cáo không dựng được: {entry.get('error') or 'không rõ lỗi'}"
            result.report_failures.append((label, reason))
            if code in wanted:
                echo(f"Không gửi {label}: {reason}")
            continue
        if code not in wanted:
            continue
        report = _inside(folder, str(entry.get("html") or ""))
        if not entry.get("html") or report is None or not report.is_file():
            undeliverable.append((label, f"không tìm thấy tệp báo cáo {entry.get('html')} "
                                         f"trong {folder}"))
            continue
        if code not in cfg.units:
            undeliverable.append((label, f"chưa có người nhận trong {cfg.path} "
                                         f"([units.{code}])"))
            continue
        plan.append(unit_message(cfg, period, entry, report))

    for label, reason in undeliverable:
        result.failed.append((label, reason))
        echo_error(f"LỖI {label}: {reason}")

    if dry_run:
        outbox = folder / "outbox"
        outbox.mkdir(exist_ok=True)
        for stale in outbox.glob("*.eml"):
            stale.unlink()
    log = SentLog(folder / "sent.json", period)
    mailer = None if dry_run else Mailer(cfg.smtp, _password_or_refuse(cfg), sleep=sleep)
    fatal: str = ""
    try:
        for outgoing in plan:
            fatal = _deliver_one(outgoing, log, mailer, resend, fatal, result, folder, echo,
                                 echo_error)
        if department:
            failures = result.report_failures + result.failed
            outgoing = department_message(cfg, period, manifest, folder, failures)
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


def _refuse_example(cfg: DeliverConfig) -> None:
    examples = [a for a in (*cfg.department.addresses,
                            *(a for r in cfg.units.values() for a in r.addresses))
                if a.rsplit("@", 1)[-1].lower() in EXAMPLE_DOMAINS]
    if cfg.example or examples:
        raise DeliveryError(
            "đây là cấu hình mẫu (example = true hoặc địa chỉ example.org): không gửi thư thật. "
            f"Sao chép {EXAMPLE_CONFIG} thành {USER_CONFIG} (hoặc đặt {CONFIG_ENV}), ghi địa "
            "chỉ thật, bỏ dòng example = true; hoặc dùng --dry-run để chỉ ghi tệp .eml",
            str(cfg.path))


def _password_or_refuse(cfg: DeliverConfig) -> str:
    if not cfg.smtp.user:
        return ""
    password = smtp_password(cfg.smtp)
    if not password:
        raise DeliveryError(f"chưa có mật khẩu SMTP cho “{cfg.smtp.user}”: đặt biến môi "
                            f"trường {cfg.smtp.password_env} (hoặc lưu trong keyring, dịch vụ "
                            f"“{KEYRING_SERVICE}”)")
    return password
