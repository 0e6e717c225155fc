"""bakhong deliver against a real SMTP server (aiosmtpd) on 127.0.0.1, with STARTTLS or SSL on
a certificate made here, and login; the reports are fixtures made per the manifest contract.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import hashlib
import io
import ipaddress
import json
import os
import re
import socket
import subprocess
import sys
import threading
import tomllib
import zipfile
from email import policy
from email.utils import getaddresses
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import ROOT
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bakhong import cli
from bakhong.deliver import DEPARTMENT_KEY, SYNTHETIC_MARK, load_config
from bakhong.vocab.units import districts

USER = "baocao@so-tttt.test"
PASSWORD = "S3cret-pw-7f3a9c2e-QX"
PERIOD = "2024"
DOMAIN = "thanhhoa.test"

# --- the reports: fixtures made exactly per the manifest contract ------------------------

UNITS = [
    # code, name, slug, status, synthetic, headline, findings
    ("396", "Thường Xuân", "thuong-xuan", "ok", False,
     {"K1": {"before": 0.35, "after": 0.9, "after_qualifier": ">"},
      "K2": {"before": 0.227, "after": 0.965, "after_qualifier": ">"}},
     {"error": 2, "warning": 0, "info": 2}),
    ("386", "Bá Thước", "ba-thuoc", "ok", True,
     {"K1": {"before": 0.3, "after": 0.92}, "K2": {"before": 0.41, "after": 0.8},
      "K3": {"before": 0.25, "after": 0.875}},
     {"error": 0, "warning": 1, "info": 0}),
    ("381", "Bỉm Sơn", "bim-son", "failed", True, None, None),
    ("405", "Đông Sơn", "dong-son", "ok", True,
     {"K1": {"before": 0.5, "after": 0.75}}, {"error": 1, "warning": 3, "info": 5}),
]
OK_CODES = ["396", "386", "405"]


#: the verdict of Thường Xuân as bakhong.indicators.verdict gives it (one text of the
#: things to do carries a file reference and an exception: the email must drop them)
TX_VERDICT = {
    "met": 14, "with_target": 16, "missed": 2, "undetermined": 0, "doubtful": 3, "errors": 2,
    "first": [
        {"kind": "target", "indicator": "TC14", "anchor": "tc-TC14",
         "text": "Người dân dùng DVC trực tuyến có định danh (tiêu chí 14): 70%, chỉ tiêu 80% "
                 "trở lên — còn thiếu 10 điểm %."},
        {"kind": "error", "indicator": "TC09", "anchor": "vd-TC09",
         "text": "Sửa số liệu Người dân có chữ ký điện tử (tiêu chí 9): sửa thành "
                 "“33.216/72.599 = 45,75%” (tử số là số đạt, mẫu số là tổng số)."},
        {"kind": "error", "indicator": "", "anchor": "vd-load_error",
         "text": "Gửi lại tệp: tệp không đọc được (thuong-xuan-2024.md:line 47) "
                 "(BadZipFile: File is not a zip file)."}]}
VERDICTS = {"396": TX_VERDICT,
            "386": {"met": 16, "with_target": 16, "missed": 0, "undetermined": 0,
                    "doubtful": 0, "errors": 0, "first": []},
            "405": {"met": 9, "with_target": 14, "missed": 3, "undetermined": 2,
                    "doubtful": 0, "errors": 1, "first": []}}


def _pdf(path: Path, text: str) -> None:
    """A real one-page PDF (pypdf) standing for the batch's print of a report."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": text})
    with path.open("wb") as handle:
        writer.write(handle)


def make_reports(root: Path, pdf: bool = False) -> Path:
    """The reports and manifest of a batch. ``pdf``: as the batch writes them now, a PDF
    beside each HTML (Đông Sơn's print failed: none) and each unit's verdict; else as an
    older batch wrote them, HTML only."""
    folder = root / "reports" / PERIOD
    folder.mkdir(parents=True)
    entries = []
    for code, name, slug, status, synthetic, headline, findings in UNITS:
        html_name = f"{code}-{slug}.html" if status == "ok" else None
        if html_name:
            mark = f"<p>{SYNTHETIC_MARK}</p>" if synthetic else ""
            (folder / html_name).write_text(
                f"<!DOCTYPE html><html lang='vi'><body><h1>Báo cáo {name} {PERIOD}</h1>{mark}"
                f"<p>K1 trước 35%</p></body></html>", encoding="utf-8")
        printed = {}
        if pdf and html_name and code != "405":
            _pdf(folder / f"{code}-{slug}.pdf", f"Báo cáo {name}")
            printed = {"pdf": f"{code}-{slug}.pdf"}
        elif pdf:
            printed = {"pdf": None, **({"pdf_error": "biểu đồ chưa vẽ được sau 30 giây"}
                                       if html_name else {})}
        if pdf:
            printed["verdict"] = VERDICTS.get(code)
        entries.append({**printed,
            "code": code, "name": name, "slug": slug, "status": status, "html": html_name,
            "notebook": f"notebooks/{code}-{slug}.ipynb", "duration_s": 1.5,
            "bytes": (folder / html_name).stat().st_size if html_name else 0,
            "error": None if status == "ok" else "Kernel chết khi dựng biểu đồ",
            "synthetic": synthetic, "findings": findings or {"error": 0, "warning": 0, "info": 0},
            "headline": headline or {}})
    (folder / "overview.html").write_text("<html><body>Tổng hợp toàn tỉnh</body></html>",
                                          encoding="utf-8")
    overview = {"status": "ok", "html": "overview.html"}
    if pdf:
        _pdf(folder / "overview.pdf", "Tổng hợp toàn tỉnh")
        overview["pdf"] = "overview.pdf"
    (folder / "index.html").write_text("<html><body>Mục lục</body></html>", encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps(
        {"period": PERIOD, "generated_from": "data/raw", "units": entries,
         "overview": overview}, ensure_ascii=False, indent=2), encoding="utf-8")
    return folder


def unit_recipients(slug: str, name: str) -> dict[str, list[str]]:
    return {"to": [f"UBND huyện {name} <ubnd.{slug}@{DOMAIN}>"],
            "cc": [f"Phòng Văn hóa và Thông tin {name} <vhtt.{slug}@{DOMAIN}>"]}


def write_config(path: Path, port: int, security: str = "starttls", ca_file: Path | None = None,
                 recipients: dict[str, dict[str, list[str]]] | None = None, extra: str = "",
                 zip_above_mb: float = 5, formats: list[str] | None = None) -> Path:
    recipients = recipients or {code: unit_recipients(slug, name)
                                for code, name, slug, *_ in UNITS}
    lines = [
        "[smtp]", 'host = "127.0.0.1"', f"port = {port}", f'security = "{security}"',
        f'user = "{USER}"', "timeout_s = 5", "retries = 2", "retry_delay_s = 0.01",
        *([f'ca_file = "{ca_file}"'] if ca_file else []), extra, "",
        "[sender]", f'from = "Sở Thông tin và Truyền thông Thanh Hóa <{USER}>"', "",
        "[attachment]", f"zip_above_mb = {zip_above_mb}",
        *([f"formats = {json.dumps(formats)}"] if formats is not None else []), "",
        "[department]", 'to = ["Phòng Chuyển đổi số <cds@so-tttt.test>"]',
        'cc = ["Văn phòng Sở <vanphong@so-tttt.test>"]', ""]
    for code, r in recipients.items():
        lines += [f"[units.{code}]", f"to = {json.dumps(r['to'], ensure_ascii=False)}",
                  f"cc = {json.dumps(r['cc'], ensure_ascii=False)}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# --- a real SMTP server -------------------------------------------------------------------

@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 / localhost, made here: (cert.pem, key.pem)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bakhong test SMTP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """The server's handler: keeps every accepted message; can refuse some or stop taking."""

    def __init__(self, refuse: set[str] = frozenset(), take: int | None = None) -> None:
        self.refuse = {a.lower() for a in refuse}
        self.take = take          # accept this many messages, then answer 421 to DATA
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.logins: list[tuple[str, bool]] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.take is not None and len(self.messages) >= self.take:
                return "421 4.3.2 Service not available, closing channel"
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                                  envelope.original_content))
        return "250 2.0.0 Accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER
              and auth_data.password.decode() == PASSWORD)
        self.logins.append((mechanism, ok))
        return AuthResult(success=ok, handled=False)

    def parsed(self) -> dict[str, tuple[list[str], email.message.EmailMessage]]:
        """Messages by unit code (X-Bakhong-Unit) or DEPARTMENT_KEY."""
        found = {}
        for _, rcpts, raw in self.messages:
            msg = email.message_from_bytes(raw, policy=policy.default)
            found[msg["X-Bakhong-Unit"] or DEPARTMENT_KEY] = (rcpts, msg)
        return found


class Server:
    def __init__(self, certificate, security="starttls", **inbox) -> None:
        import ssl

        self.inbox = Inbox(**inbox)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*certificate)
        self.port = free_port()
        kwargs = dict(hostname="127.0.0.1", port=self.port, authenticator=self.inbox.authenticate,
                      auth_required=True)
        if security == "ssl":
            kwargs.update(ssl_context=context, auth_require_tls=False)
        else:
            kwargs.update(tls_context=context, require_starttls=True, auth_require_tls=True)
        self.controller = Controller(self.inbox, **kwargs)

    def __enter__(self) -> Server:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A tmp project with reports; the password in the environment, no user config."""
    root = tmp_path / "projekt"
    (root / "data" / "raw").mkdir(parents=True)
    make_reports(root)
    monkeypatch.setenv("BAKHONG_HOME", str(root))
    monkeypatch.setenv("BAKHONG_SMTP_PASSWORD", PASSWORD)
    monkeypatch.delenv("BAKHONG_DELIVER_CONFIG", raising=False)
    return root


@pytest.fixture
def printed(tmp_path, monkeypatch):
    """A tmp project whose batch printed the PDFs (and wrote each unit's verdict)."""
    root = tmp_path / "projekt"
    (root / "data" / "raw").mkdir(parents=True)
    make_reports(root, pdf=True)
    monkeypatch.setenv("BAKHONG_HOME", str(root))
    monkeypatch.setenv("BAKHONG_SMTP_PASSWORD", PASSWORD)
    monkeypatch.delenv("BAKHONG_DELIVER_CONFIG", raising=False)
    return root


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["deliver", *args])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, out.out, out.err


def run_process(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    full = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    full.pop("BAKHONG_DEBUG", None)
    out = subprocess.run([sys.executable, "-m", "bakhong.cli", "deliver", *args],
                         capture_output=True, text=True, cwd=cwd, env=full, timeout=120)
    assert "Traceback" not in out.stdout + out.stderr
    return out


def sent_log(root: Path) -> list[dict]:
    path = root / "reports" / PERIOD / "sent.json"
    return json.loads(path.read_text(encoding="utf-8"))["messages"] if path.exists() else []


def names(raw: bytes, header: str) -> list[str]:
    """A header's "Name <address>" entries, decoded per RFC 2047 (§6.2: the space between two
    adjacent encoded-words is dropped). Python's policy.default address parser keeps it, a
    known decoder bug, so names are decoded here with email.header."""
    from email.header import decode_header, make_header

    value = email.message_from_bytes(raw, policy=policy.compat32)[header]
    return [f"{name} <{addr}>" for name, addr in
            getaddresses([str(make_header(decode_header(value)))])]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def attachment_of(msg: email.message.EmailMessage) -> tuple[str, bytes]:
    (part,) = list(msg.iter_attachments())
    return part.get_filename(), part.get_payload(decode=True)


def assert_password_nowhere(root: Path, *texts: str) -> None:
    plain = PASSWORD.encode()
    encoded = {base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()),
               base64.b64encode(plain)}
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert plain not in data and not any(e in data for e in encoded), path
    for text in texts:
        assert PASSWORD not in text


# --- the example configuration -----------------------------------------------------------

def test_the_example_config_names_every_district_of_2024():
    cfg = load_config(ROOT / "config" / "deliver.example.toml")
    assert cfg.example
    assert set(cfg.units) == {u.code for u in districts()} and len(cfg.units) == 27
    for recipients in [*cfg.units.values(), cfg.department]:
        assert recipients.to and all(a.endswith("@example.org") for a in recipients.addresses)
    raw = tomllib.loads((ROOT / "config" / "deliver.example.toml").read_text(encoding="utf-8"))
    assert raw["smtp"]["security"] in {"starttls", "ssl", "none"} and "password" not in raw["smtp"]
    assert "config/deliver.toml" in (ROOT / ".gitignore").read_text()


# --- dry run ------------------------------------------------------------------------------

def test_dry_run_on_the_example_writes_an_eml_per_report_that_parses_back(project):
    # a real process, no user config: the committed example is used
    out = run_process("--dry-run", env={"BAKHONG_HOME": str(project)}, cwd=project)
    assert out.returncode == 0, out.stderr
    folder = project / "reports" / PERIOD
    outbox = folder / "outbox"
    assert sorted(p.name for p in outbox.iterdir()) == [
        "386-ba-thuoc.eml", "396-thuong-xuan.eml", "405-dong-son.eml", f"{DEPARTMENT_KEY}.eml"]
    assert not (folder / "sent.json").exists()
    assert "Bỉm Sơn" in out.stdout  # the failed unit is named, and gets no message

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    by_code = {u["code"]: u for u in manifest["units"]}
    for path in outbox.glob("*.eml"):
        raw = path.read_bytes()
        head = raw.split(b"\r\n\r\n", 1)[0]
        head.decode("ascii")  # RFC 2047: no raw 8-bit text in the header
        assert b"=?utf-8?" in head
        msg = email.message_from_bytes(raw, policy=policy.default)
        plain = msg.get_body(("plain",)).get_content()
        page = msg.get_body(("html",)).get_content()
        assert "<script" not in page.lower() and "javascript:" not in page.lower()
        assert msg["Message-ID"] and msg["Date"]
        assert names(raw, "From") == [
            "Sở Thông tin và Truyền thông Thanh Hóa <baocao.3khong@example.org>"]
        name, data = attachment_of(msg)
        if path.stem == DEPARTMENT_KEY:
            assert name == "overview.html" and sha(data) == sha((folder / name).read_bytes())
            assert "Bỉm Sơn" in plain and "Kernel chết khi dựng biểu đồ" in plain
            assert "Bỉm Sơn" in page
            assert [a.addr_spec for a in msg["To"].addresses] == ["chuyendoiso@example.org"]
            assert SYNTHETIC_MARK in msg["Subject"]
            continue
        unit = by_code[path.stem.split("-")[0]]
        assert name == unit["html"] and sha(data) == sha((folder / unit["html"]).read_bytes())
        assert unit["name"] in msg["Subject"] and str(PERIOD) in msg["Subject"]
        assert [a.addr_spec for a in msg["To"].addresses] == [
            f"ubnd.{unit['slug']}@example.org"]
        assert [a.addr_spec for a in msg["Cc"].addresses] == [
            f"vhtt.{unit['slug']}@example.org"]
        (to,) = names(raw, "To")
        assert to.startswith("UBND ") and to.endswith(f" {unit['name']} <ubnd.{unit['slug']}"
                                                      "@example.org>")
        marked = SYNTHETIC_MARK in msg["Subject"]
        assert marked == unit["synthetic"] == (SYNTHETIC_MARK in plain) == (SYNTHETIC_MARK in page)
    thuong_xuan = email.message_from_bytes((outbox / "396-thuong-xuan.eml").read_bytes(),
                                           policy=policy.default)
    assert thuong_xuan["Subject"] == \
        "Báo cáo đánh giá mô hình “3 KHÔNG” năm 2024 — Huyện Thường Xuân"
    plain = thuong_xuan.get_body(("plain",)).get_content()
    assert "35% → trên 90%" in plain and "22,7% → trên 96,5%" in plain
    assert "K3 Không cần tiếp xúc trực tiếp với chính quyền: — → —" in plain
    assert "Số vấn đề dữ liệu cần rà soát: 2 (2 lỗi, 0 cần xem lại)" in plain
    assert "22,7%" in thuong_xuan.get_body(("html",)).get_content()
    assert "năm 2024 của huyện Thường Xuân" in plain
    assert_password_nowhere(project.parent, out.stdout, out.stderr)


def test_dry_run_writes_one_eml_per_district_of_2024(tmp_path, monkeypatch, capsys):
    # what `make reports` gives: every district of 2024 reported; the example config
    folder = tmp_path / "reports" / PERIOD
    folder.mkdir(parents=True)
    entries = []
    for unit in districts():
        html_name = f"{unit.code}-{unit.slug}.html"
        (folder / html_name).write_text(f"<html><body>{unit.full_name}</body></html>",
                                        encoding="utf-8")
        entries.append({"code": unit.code, "name": unit.name, "slug": unit.slug,
                        "status": "ok", "html": html_name, "error": None, "synthetic": True,
                        "findings": {"error": 0, "warning": 0, "info": 0},
                        "headline": {"K2": {"before": 0.1, "after": 0.5,
                                            "after_qualifier": "="}}})
    (folder / "manifest.json").write_text(json.dumps(
        {"period": PERIOD, "units": entries, "overview": {"status": "failed", "html": None,
                                                          "error": "hết giờ"}}),
        encoding="utf-8")
    monkeypatch.delenv("BAKHONG_DELIVER_CONFIG", raising=False)
    code, _, err = run_cli(capsys, "--dry-run", "--reports", str(tmp_path / "reports"),
                           "--config", str(ROOT / "config" / "deliver.example.toml"))
    assert code == 0, err
    written = sorted(p.name for p in (folder / "outbox").glob("*.eml"))
    assert written == sorted([f"{u.code}-{u.slug}.eml" for u in districts()]
                             + [f"{DEPARTMENT_KEY}.eml"])
    for unit in districts():
        raw = (folder / "outbox" / f"{unit.code}-{unit.slug}.eml").read_bytes()
        msg = email.message_from_bytes(raw, policy=policy.default)
        assert msg["Subject"].startswith(f"[{SYNTHETIC_MARK}]")
        assert msg["Subject"].endswith(unit.full_name)
        assert names(raw, "To") == [f"UBND {unit.kind} {unit.name} <ubnd.{unit.slug}"
                                    "@example.org>"]
        assert "10% → 50%" in msg.get_body(("plain",)).get_content()
    department = email.message_from_bytes((folder / "outbox" / f"{DEPARTMENT_KEY}.eml")
                                          .read_bytes(), policy=policy.default)
    assert list(department.iter_attachments()) == []
    assert "hết giờ" in department.get_body(("plain",)).get_content()


def test_a_large_report_is_attached_zipped(project, capsys):
    cfg = write_config(project / "deliver.toml", port=1, zip_above_mb=0.0001)
    code, _, err = run_cli(capsys, "--dry-run", "--config", str(cfg), "--only", "396")
    assert code == 0, err
    outbox = project / "reports" / PERIOD / "outbox"
    assert [p.name for p in outbox.iterdir()] == ["396-thuong-xuan.eml"]  # --only: no Sở
    msg = email.message_from_bytes((outbox / "396-thuong-xuan.eml").read_bytes(),
                                   policy=policy.default)
    name, data = attachment_of(msg)
    assert name == "396-thuong-xuan.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        inner = archive.read("396-thuong-xuan.html")
    report = project / "reports" / PERIOD / "396-thuong-xuan.html"
    assert sha(inner) == sha(report.read_bytes())


def test_a_real_send_refuses_the_example(project, capsys):
    code, _out, err = run_cli(capsys)
    assert code == 2
    assert "cấu hình mẫu" in err and "deliver.example.toml" in err
    assert not (project / "reports" / PERIOD / "sent.json").exists()


def test_a_password_in_the_config_file_is_refused(project, capsys):
    cfg = write_config(project / "deliver.toml", port=1, extra='password = "hunter2"')
    code, _, err = run_cli(capsys, "--dry-run", "--config", str(cfg))
    assert code == 2 and "mật khẩu" in err and str(cfg) in err and "hunter2" not in err


# --- sending to the real server -----------------------------------------------------------

@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # SSL is TLS
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_send_over_tls_with_login(project, certificate, capsys, security):
    with Server(certificate, security=security) as server:
        cfg = write_config(project / "deliver.toml", server.port, security, certificate[0])
        code, out, err = run_cli(capsys, "--config", str(cfg))
    assert code == 0, err
    assert server.inbox.logins and all(ok for _, ok in server.inbox.logins)
    got = server.inbox.parsed()
    assert set(got) == {*OK_CODES, DEPARTMENT_KEY}  # the failed Bỉm Sơn gets nothing
    folder = project / "reports" / PERIOD
    log = {e["key"]: e for e in sent_log(project)}
    for code_, name, slug, status, synthetic, *_ in UNITS:
        if status != "ok":
            continue
        rcpts, msg = got[code_]
        assert sorted(rcpts) == sorted([f"ubnd.{slug}@{DOMAIN}", f"vhtt.{slug}@{DOMAIN}"])
        raw = msg.as_bytes()
        assert names(raw, "To") == [f"UBND huyện {name} <ubnd.{slug}@{DOMAIN}>"]
        assert names(raw, "Cc") == [f"Phòng Văn hóa và Thông tin {name} <vhtt.{slug}@{DOMAIN}>"]
        assert name in msg["Subject"] and (SYNTHETIC_MARK in msg["Subject"]) == synthetic
        _attached, data = attachment_of(msg)
        assert sha(data) == sha((folder / f"{code_}-{slug}.html").read_bytes())
        assert log[code_]["attachment_sha256"] == sha(data)
        assert log[code_]["message_id"] == msg["Message-ID"]
        assert sorted(log[code_]["accepted"]) == sorted(rcpts)
    rcpts, msg = got[DEPARTMENT_KEY]
    assert sorted(rcpts) == ["cds@so-tttt.test", "vanphong@so-tttt.test"]
    assert "Bỉm Sơn" in msg.get_body(("plain",)).get_content()
    assert_password_nowhere(project.parent, out, err)


def test_a_rerun_sends_nothing_twice_and_resend_sends_again(project, certificate, capsys):
    with Server(certificate) as server:
        cfg = write_config(project / "deliver.toml", server.port, ca_file=certificate[0])
        assert run_cli(capsys, "--config", str(cfg))[0] == 0
        assert len(server.inbox.messages) == 4
        code, out, _ = run_cli(capsys, "--config", str(cfg))
        assert code == 0 and len(server.inbox.messages) == 4
        assert "bỏ qua 4 thư" in out
        code, _, _ = run_cli(capsys, "--config", str(cfg), "--resend", "--only", "396")
        assert code == 0 and len(server.inbox.messages) == 5
        assert server.inbox.parsed()["396"][1]["X-Bakhong-Unit"] == "396"
    assert [e["key"] for e in sent_log(project)].count("396") == 2


def test_server_down_names_every_unit_and_marks_nothing_sent(project, certificate):
    cfg = write_config(project / "deliver.toml", free_port(), ca_file=certificate[0])
    out = run_process("--config", str(cfg), env={"BAKHONG_HOME": str(project),
                                                 "BAKHONG_SMTP_PASSWORD": PASSWORD},
                      cwd=project)
    assert out.returncode == 1
    for name in ("Thường Xuân", "Bá Thước", "Đông Sơn"):
        line = next(x for x in out.stderr.splitlines() if name in x)
        assert "không kết nối được máy chủ thư 127.0.0.1" in line
    assert "sau 2 lần thử" in out.stderr
    assert sent_log(project) == []
    assert_password_nowhere(project.parent, out.stdout, out.stderr)


def test_wrong_password_is_a_clear_error(project, certificate, capsys, monkeypatch):
    monkeypatch.setenv("BAKHONG_SMTP_PASSWORD", "wrong-password")
    with Server(certificate) as server:
        cfg = write_config(project / "deliver.toml", server.port, ca_file=certificate[0])
        code, out, err = run_cli(capsys, "--config", str(cfg))
    assert code == 1
    # one login (smtplib tries each mechanism once), no retry after a 535: it may lock the user
    mechanisms = [m for m, _ in server.inbox.logins]
    assert server.inbox.messages == [] and mechanisms and len(mechanisms) == len(set(mechanisms))
    assert "từ chối đăng nhập" in err and USER in err and "Thường Xuân" in err
    assert sent_log(project) == []
    assert "wrong-password" not in out + err


def test_no_password_refuses_to_start(project, certificate, capsys, monkeypatch):
    monkeypatch.delenv("BAKHONG_SMTP_PASSWORD")
    cfg = write_config(project / "deliver.toml", free_port(), ca_file=certificate[0])
    code, _, err = run_cli(capsys, "--config", str(cfg))
    assert code == 2 and "BAKHONG_SMTP_PASSWORD" in err


def test_an_untrusted_certificate_is_a_tls_error(project, certificate, capsys):
    with Server(certificate) as server:
        cfg = write_config(project / "deliver.toml", server.port)  # the system's CAs only
        code, _, err = run_cli(capsys, "--config", str(cfg))
    assert code == 1 and server.inbox.messages == [] and server.inbox.logins == []
    assert "chứng chỉ của máy chủ không được xác thực" in err and "Thường Xuân" in err
    assert sent_log(project) == []


def test_one_recipient_refused_reports_that_unit_and_sends_the_others(project, certificate,
                                                                       capsys):
    bad = f"vhtt.thuong-xuan@{DOMAIN}"
    with Server(certificate, refuse={bad}) as server:
        cfg = write_config(project / "deliver.toml", server.port, ca_file=certificate[0])
        code, _, err = run_cli(capsys, "--config", str(cfg))
        assert code == 1
        assert any("Thường Xuân" in x and bad in x for x in err.splitlines())
        assert "Bá Thước" not in err
        got = server.inbox.parsed()
        assert set(got) == {*OK_CODES, DEPARTMENT_KEY}
        assert got["396"][0] == [f"ubnd.thuong-xuan@{DOMAIN}"]
        # the address is fixed: a re-run sends to it only, nothing else twice
        recipients = {c: unit_recipients(s, n) for c, n, s, *_ in UNITS}
        recipients["396"]["cc"] = [f"Phòng VH-TT Thường Xuân <vanhoa.thuong-xuan@{DOMAIN}>"]
        write_config(cfg, server.port, ca_file=certificate[0], recipients=recipients)
        code, _out, err = run_cli(capsys, "--config", str(cfg))
        assert code == 0, err
        assert len(server.inbox.messages) == 5
        assert server.inbox.messages[-1][1] == [f"vanhoa.thuong-xuan@{DOMAIN}"]


def test_a_run_stopped_half_way_resumes_where_it_stopped(project, certificate, capsys):
    with Server(certificate, take=2) as server:
        cfg = write_config(project / "deliver.toml", server.port, ca_file=certificate[0])
        code, _, err = run_cli(capsys, "--config", str(cfg))
        first = list(server.inbox.parsed())
    assert code == 1 and len(first) == 2 and "421" in err
    assert [e["key"] for e in sent_log(project)] == first
    with Server(certificate) as server:
        cfg = write_config(cfg, server.port, ca_file=certificate[0])
        code, _, err = run_cli(capsys, "--config", str(cfg))
        second = list(server.inbox.parsed())
    assert code == 0, err
    assert sorted(first + second) == sorted([*OK_CODES, DEPARTMENT_KEY])  # each exactly once
    assert len(sent_log(project)) == 4


def test_a_doubtful_headline_figure_says_so_in_the_email():
    from bakhong.deliver._message import _headline_rows

    rows = _headline_rows({"K2": {"before_text": "22,7%", "after_text": "120%",
                                  "doubtful": True},
                           "K1": {"before_text": "35%", "after_text": "trên 90%"}})
    shown = {code: after for code, _, _, after in rows}
    assert shown["K2"] == "120% (số liệu chưa tin cậy)"
    assert shown["K1"] == "trên 90%"


# --- what is attached: the PDF, the HTML or both; the verdict first --------------------

def attachments_of(msg: email.message.EmailMessage) -> list[tuple[str, str, bytes]]:
    return [(part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
            for part in msg.iter_attachments()]


def _send(printed, certificate, capsys, **config) -> tuple[dict, str, list[dict]]:
    with Server(certificate) as server:
        cfg = write_config(printed / "deliver.toml", server.port, ca_file=certificate[0],
                           **config)
        code, out, err = run_cli(capsys, "--config", str(cfg))
    assert code == 0, err
    return server.inbox.parsed(), out, sent_log(printed)


def test_the_pdf_is_attached_by_default_and_the_html_when_it_is_missing(printed, certificate,
                                                                         capsys):
    got, out, log = _send(printed, certificate, capsys)
    folder = printed / "reports" / PERIOD
    assert set(got) == {*OK_CODES, DEPARTMENT_KEY}
    for code, slug in (("396", "thuong-xuan"), ("386", "ba-thuoc")):
        ((name, mime, data),) = attachments_of(got[code][1])
        assert (name, mime) == (f"{code}-{slug}.pdf", "application/pdf")
        assert data[:5] == b"%PDF-" and sha(data) == sha((folder / name).read_bytes())
        plain = got[code][1].get_body(("plain",)).get_content()
        assert f"tệp đính kèm {name} (bản PDF" in plain
    # Đông Sơn's print failed: its HTML goes instead, and the log says so
    ((name, mime, data),) = attachments_of(got["405"][1])
    assert (name, mime) == ("405-dong-son.html", "text/html")
    assert sha(data) == sha((folder / name).read_bytes())
    line = next(x for x in out.splitlines() if "Đông Sơn" in x and "PDF" in x)
    assert "chưa có bản PDF" in line and "gửi kèm bản HTML 405-dong-son.html" in line
    ((name, mime, _),) = attachments_of(got[DEPARTMENT_KEY][1])
    assert (name, mime) == ("overview.pdf", "application/pdf")
    entry = next(e for e in log if e["key"] == "396")
    assert entry["attachment"] == "396-thuong-xuan.pdf"
    assert entry["attachments"] == [{"name": "396-thuong-xuan.pdf", "sha256": sha(
        (folder / "396-thuong-xuan.pdf").read_bytes())}]


def test_the_html_when_configured(printed, certificate, capsys):
    got, out, _ = _send(printed, certificate, capsys, formats=["html"])
    for code in OK_CODES:
        ((name, mime, _),) = attachments_of(got[code][1])
        assert name.endswith(".html") and mime == "text/html"
        assert "mở bằng trình duyệt, không cần mạng" in got[code][1].get_body(
            ("plain",)).get_content()
    assert attachments_of(got[DEPARTMENT_KEY][1])[0][0] == "overview.html"
    assert "chưa có bản PDF" not in out


def test_both_when_configured(printed, certificate, capsys):
    got, _, log = _send(printed, certificate, capsys, formats=["pdf", "html"])
    folder = printed / "reports" / PERIOD
    attached = attachments_of(got["396"][1])
    assert [(n, m) for n, m, _ in attached] == [("396-thuong-xuan.pdf", "application/pdf"),
                                                ("396-thuong-xuan.html", "text/html")]
    for name, _, data in attached:
        assert sha(data) == sha((folder / name).read_bytes())
    plain = got["396"][1].get_body(("plain",)).get_content()
    assert "396-thuong-xuan.pdf (bản PDF" in plain and " và 396-thuong-xuan.html (" in plain
    assert [n for n, *_ in attachments_of(got["405"][1])] == ["405-dong-son.html"]
    entry = next(e for e in log if e["key"] == "396")
    assert [a["name"] for a in entry["attachments"]] == [n for n, *_ in attached]


def test_both_together_too_large_go_as_one_zip(printed, capsys):
    cfg = write_config(printed / "deliver.toml", port=1, zip_above_mb=0.0001,
                       formats=["pdf", "html"])
    code, _, err = run_cli(capsys, "--dry-run", "--config", str(cfg), "--only", "396")
    assert code == 0, err
    folder = printed / "reports" / PERIOD
    msg = email.message_from_bytes((folder / "outbox" / "396-thuong-xuan.eml").read_bytes(),
                                   policy=policy.default)
    name, data = attachment_of(msg)
    assert name == "396-thuong-xuan.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["396-thuong-xuan.pdf", "396-thuong-xuan.html"]
        for inner in archive.namelist():
            assert sha(archive.read(inner)) == sha((folder / inner).read_bytes())
    assert "giải nén rồi mở tệp .pdf và tệp .html" in msg.get_body(("plain",)).get_content()


@pytest.mark.parametrize("formats", [[], ["docx"], "pdf, html"])
def test_unknown_formats_are_a_configuration_error(printed, capsys, formats):
    cfg = write_config(printed / "deliver.toml", port=1, formats=formats)
    code, _, err = run_cli(capsys, "--dry-run", "--config", str(cfg))
    assert code == 2 and "[attachment] formats" in err and str(cfg) in err


def _paragraphs(text: str) -> list[str]:
    return [p.strip("\n") for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


def test_the_first_paragraph_is_the_verdict(printed, certificate, capsys):
    got, _, _ = _send(printed, certificate, capsys)
    msg = got["396"][1]
    plain = msg.get_body(("plain",)).get_content()
    salutation, verdict, first, *rest = _paragraphs(plain)
    assert salutation == "Kính gửi: Lãnh đạo UBND huyện Thường Xuân,"
    assert verdict == ("Huyện Thường Xuân đạt 14/16 tiêu chí có chỉ tiêu (3 trong số đó dựa "
                       "trên số liệu chưa tin cậy); 2 lỗi số liệu cần sửa.")
    assert first.splitlines() == [
        "Việc cần làm trước:",
        "  1. Người dân dùng DVC trực tuyến có định danh (tiêu chí 14): 70%, chỉ tiêu 80% trở "
        "lên — còn thiếu 10 điểm %.",
        "  2. Sửa số liệu Người dân có chữ ký điện tử (tiêu chí 9): sửa thành "
        "“33.216/72.599 = 45,75%” (tử số là số đạt, mẫu số là tổng số).",
        "  3. Gửi lại tệp: tệp không đọc được."]
    assert rest[0].startswith("Sở Thông tin và Truyền thông Thanh Hóa gửi báo cáo")
    assert "K2 Không dùng tiền mặt" in rest[1]  # then the headline lines, as before
    for technical in (":line", ".md", "BadZipFile", "Error", "Traceback"):
        assert technical not in plain, technical
    page = msg.get_body(("html",)).get_content()
    blocks = re.findall(r"<p>(.*?)</p>", page)
    assert blocks[1] == f"<b>{verdict}</b>"
    assert "<ol><li>Người dân dùng DVC" in page and "BadZipFile" not in page
    # a synthetic unit: the mark, then its verdict; no error to correct said so
    plain = got["386"][1].get_body(("plain",)).get_content()
    _, mark, verdict, *_ = _paragraphs(plain)
    assert SYNTHETIC_MARK in mark
    assert verdict == ("Huyện Bá Thước đạt 16/16 tiêu chí có chỉ tiêu; không có lỗi số liệu "
                       "nào cần sửa.")
    plain = got["405"][1].get_body(("plain",)).get_content()
    assert ("Huyện Đông Sơn đạt 9/14 tiêu chí có chỉ tiêu; 2 tiêu chí chưa xác định được là "
            "đạt hay chưa; 1 lỗi số liệu cần sửa.") in plain
