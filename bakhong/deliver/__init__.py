"""Email each district's report to its leadership, and the overview to the department.

``deliver(period)`` reads ``reports/<period>/manifest.json`` (the batch's contract) and, for
every unit whose report succeeded, sends one message: a Vietnamese subject, a short body in
plain text and HTML (no script: mail clients run none) that opens with the unit's verdict
(criteria met of those with a target, how many rest on doubtful figures, the data errors to
correct) and the things to do first, then the headline figures K1–K3 before → after and the
number of data problems, and the report attached: its PDF, its HTML or both
(``[attachment] formats``, ``["pdf"]`` by default; where the PDF is missing — not printed,
or its print failed — the HTML goes instead and the run says so). A unit whose report failed
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

Reports together larger than ``zip_above_mb`` (5 MB by default: what most mail servers still
accept after base64's third more) are attached as one .zip, each file inside under its own
name.

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

The parts: ``_config`` (finding and reading the configuration, the password), ``_plan`` (the
manifest and the units chosen), ``_message`` (the messages), ``_smtp`` (sending), ``_sent``
(the sent log), ``_run`` (the run).
"""

from ._config import (
    DEPARTMENT_KEY,
    DeliverConfig,
    Recipients,
    SmtpSettings,
    find_config,
    load_config,
)
from ._message import SYNTHETIC_MARK, Outgoing, department_message, unit_message
from ._run import DeliverResult, deliver
from ._sent import SentLog
from ._smtp import Mailer, SendFailure

__all__ = [
    "DEPARTMENT_KEY", "SYNTHETIC_MARK", "DeliverConfig", "DeliverResult", "Mailer", "Outgoing",
    "Recipients", "SendFailure", "SentLog", "SmtpSettings", "deliver", "department_message",
    "find_config", "load_config", "unit_message",
]
