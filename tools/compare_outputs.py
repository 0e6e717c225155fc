"""Snapshot what a run of bakhong produced, and compare two snapshots.

Used to show that a change of structure changed no behaviour: take a snapshot before the
change, rebuild (``make reports``, ``bakhong deliver --dry-run``), take one after, compare.

    python tools/compare_outputs.py snapshot /tmp/before     # from the project root
    python tools/compare_outputs.py snapshot /tmp/after
    python tools/compare_outputs.py compare /tmp/before /tmp/after

A snapshot holds ``data/processed`` byte for byte, the visible text of every report of
``reports/<period>/`` (what a reader sees: the HTML without its scripts and styles), the
charts' data (the ``Plotly.newPlot`` calls), and every dry-run email's subject and bodies
(without the headers that change from run to run: Date, Message-ID). ``compare`` prints
each difference and exits 1 when there is one.
"""

from __future__ import annotations

import difflib
import email
import hashlib
import re
import shutil
import sys
from email import policy
from email.header import decode_header, make_header
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_PLOT = re.compile(r"Plotly\.newPlot\((.*?)\)\s*};?\s*</script>", re.S)


class _Visible(HTMLParser):
    """The text of a page a reader sees: no script, style or template content."""

    _HIDDEN = frozenset({"script", "style", "template", "head"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self.depth += 1
        elif tag in {"p", "div", "tr", "li", "h1", "h2", "h3", "h4", "br", "section"}:
            self.parts.append("\n")
        elif tag in {"td", "th"}:
            self.parts.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The page's visible text, one block a line, spaces collapsed."""
    parser = _Visible()
    parser.feed(html)
    lines = (re.sub(r"\s+", " ", line).strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line) + "\n"


def chart_data(html: str) -> str:
    """Every chart's data and layout as the page passes them to plotly.js."""
    return "\n".join(m.group(1).strip() for m in _PLOT.finditer(html)) + "\n"


def email_text(path: Path) -> str:
    """A dry-run message's subject, recipients, bodies and attachment names."""
    data = path.read_bytes()
    message = email.message_from_bytes(data, policy=policy.default)
    # headers decoded as RFC 2047 says (adjacent encoded words join): the default policy's
    # parser leaves a space where a long name was folded ("Thư ờng")
    raw = email.message_from_bytes(data, policy=policy.compat32)
    out = [f"{name}: {make_header(decode_header(raw[name] or ''))}"
           for name in ("Subject", "To", "Cc")]
    for part in message.walk():
        if part.get_content_maintype() == "multipart":
            continue
        name = part.get_filename()
        if name:
            out.append(f"attachment: {name}")
        elif part.get_content_maintype() == "text":
            out.append(f"--- {part.get_content_type()}\n{part.get_content()}")
    return "\n".join(out) + "\n"


def snapshot(out: Path, root: Path = ROOT) -> None:
    if out.exists():
        shutil.rmtree(out)
    (out / "processed").mkdir(parents=True)
    for path in sorted((root / "data" / "processed").glob("*")):
        if path.is_file() and path.name != "README.md":
            shutil.copy2(path, out / "processed" / path.name)
    for period in sorted(p for p in (root / "reports").glob("*") if p.is_dir()):
        target = out / "reports" / period.name
        target.mkdir(parents=True)
        for page in sorted(period.glob("*.html")):
            html = page.read_text(encoding="utf-8")
            (target / f"{page.stem}.txt").write_text(visible_text(html), encoding="utf-8")
            (target / f"{page.stem}.charts").write_text(chart_data(html), encoding="utf-8")
        for message in sorted((period / "outbox").glob("*.eml")):
            (target / f"{message.stem}.email").write_text(email_text(message), encoding="utf-8")


def compare(before: Path, after: Path) -> list[str]:
    """Every difference between two snapshots, as lines to print."""
    problems: list[str] = []
    names = {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
    names |= {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    for name in sorted(names):
        a, b = before / name, after / name
        if not a.is_file() or not b.is_file():
            problems.append(f"{name}: only in {'after' if b.is_file() else 'before'}")
            continue
        if a.read_bytes() == b.read_bytes():
            continue
        if name.parts[0] == "processed":
            digest = [hashlib.sha256(p.read_bytes()).hexdigest()[:12] for p in (a, b)]
            problems.append(f"{name}: bytes differ ({digest[0]} → {digest[1]})")
            continue
        diff = difflib.unified_diff(a.read_text(encoding="utf-8").splitlines(),
                                    b.read_text(encoding="utf-8").splitlines(),
                                    "before", "after", lineterm="", n=0)
        problems.append(f"{name}:\n" + "\n".join(list(diff)[:40]))
    return problems


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "snapshot":
        snapshot(Path(argv[1]))
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        problems = compare(Path(argv[1]), Path(argv[2]))
        print("\n".join(problems) if problems else "no difference")
        return 1 if problems else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
