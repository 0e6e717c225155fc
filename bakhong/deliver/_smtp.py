"""Sending over SMTP: TLS, login, retries of transient failures, refused recipients."""

from __future__ import annotations

import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from email.utils import getaddresses

from ._config import SmtpSettings
from ._message import SMTP_POLICY, Outgoing


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
