"""The delivery configuration: where it is found, its recipients and SMTP settings, what
is attached (the PDF, the HTML or both), the password (environment or keyring, never the
file), the example's refusal."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from .. import config
from ..errors import DeliveryError

CONFIG_ENV = "BAKHONG_DELIVER_CONFIG"
PASSWORD_ENV = "BAKHONG_SMTP_PASSWORD"
KEYRING_SERVICE = "bakhong-smtp"
USER_CONFIG = Path("config") / "deliver.toml"
EXAMPLE_CONFIG = Path("config") / "deliver.example.toml"
ZIP_ABOVE_MB = 5.0
#: what a message may attach of a report, and what it attaches unless configured
FORMATS = ("pdf", "html")
DEFAULT_FORMATS = ("pdf",)

DEPARTMENT_KEY = "so-tttt"

#: words that select the department's message in ``only``
DEPARTMENT_WORDS = {"so", "so-tttt", "department", "sở"}
SECURITIES = ("starttls", "ssl", "none")
EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net")


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
    signature: str = ""               # default: the department of the period (config)
    zip_above_bytes: int = int(ZIP_ABOVE_MB * 1_000_000)
    formats: tuple[str, ...] = DEFAULT_FORMATS   # [attachment] formats: "pdf", "html"

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
    formats = _formats(data.get("attachment", {}).get("formats", list(DEFAULT_FORMATS)), path)
    return DeliverConfig(
        path=path, example=bool(data.get("example", False)) or path.name == EXAMPLE_CONFIG.name,
        smtp=settings, sender=sender[0],
        reply_to=(_addresses(sender_table.get("reply_to"), path, "sender.reply_to") or ("",))[0],
        signature=str(sender_table.get("signature", DeliverConfig.signature)),
        department=_recipients(data.get("department"), path, "department"),
        units=unit_recipients, zip_above_bytes=zip_bytes, formats=formats)


def _formats(value: Any, path: Path) -> tuple[str, ...]:
    """``[attachment] formats``: "pdf", "html" or both, in the order they are attached."""
    if isinstance(value, str):
        value = [value]
    chosen = [str(v).lower() for v in value] if isinstance(value, list) else []
    if not chosen or any(v not in FORMATS for v in chosen):
        raise DeliveryError('[attachment] formats phải là danh sách gồm "pdf", "html" hoặc '
                            'cả hai, ví dụ formats = ["pdf"]', str(path))
    return tuple(dict.fromkeys(chosen))


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


def refuse_example(cfg: DeliverConfig) -> None:
    examples = [a for a in (*cfg.department.addresses,
                            *(a for r in cfg.units.values() for a in r.addresses))
                if a.rsplit("@", 1)[-1].lower() in EXAMPLE_DOMAINS]
    if cfg.example or examples:
        raise DeliveryError(
            "đây là cấu hình mẫu (example = true hoặc địa chỉ example.org): không gửi thư thật. "
            f"Sao chép {EXAMPLE_CONFIG} thành {USER_CONFIG} (hoặc đặt {CONFIG_ENV}), ghi địa "
            "chỉ thật, bỏ dòng example = true; hoặc dùng --dry-run để chỉ ghi tệp .eml",
            str(cfg.path))


def password_or_refuse(cfg: DeliverConfig) -> str:
    if not cfg.smtp.user:
        return ""
    password = smtp_password(cfg.smtp)
    if not password:
        raise DeliveryError(f"chưa có mật khẩu SMTP cho “{cfg.smtp.user}”: đặt biến môi "
                            f"trường {cfg.smtp.password_env} (hoặc lưu trong keyring, dịch vụ "
                            f"“{KEYRING_SERVICE}”)")
    return password
