"""Where things live. Paths only; no I/O at import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DATA = Path(__file__).parent / "_data"


def project_root(start: Path | None = None) -> Path:
    """The project folder: ``$BAKHONG_HOME``, else the nearest parent holding ``data/raw``."""
    env = os.environ.get("BAKHONG_HOME")
    if env:
        return Path(env)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "data" / "raw").is_dir():
            return folder
    return here


def raw_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "data" / "raw"


def processed_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "data" / "processed"


def reports_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "reports"


def reference_dir(root: Path | None = None) -> Path:
    return raw_dir(root) / "reference"


@dataclass(frozen=True)
class Department:
    """The department that issues the reports of a period."""

    name: str    # "Sở Thông tin và Truyền thông tỉnh Thanh Hóa"
    short: str   # "Sở Thông tin và Truyền thông Thanh Hóa", for a signature
    source: str


def department(period: str | None = None, root: Path | None = None) -> Department:
    """The issuing department for a period: ``config/department.toml`` of the project when
    it has one, else the package's ``_data/department.toml``."""
    import tomllib

    own = (root or project_root()) / "config" / "department.toml"
    path = own if own.is_file() else PACKAGE_DATA / "department.toml"
    with path.open("rb") as handle:
        entries = sorted(tomllib.load(handle)["department"], key=lambda e: str(e["from"]))
    year = str(period or "")[:4]
    chosen = [e for e in entries if not year.isdigit() or str(e["from"]) <= year] or entries
    entry = chosen[-1] if year.isdigit() else entries[0]
    return Department(entry["name"], entry.get("short", entry["name"]), entry.get("source", ""))


def skip_slow_optional_imports() -> None:
    """Mark the optional ``rfc3987_syntax`` as absent before jsonschema is first imported.

    jsonschema (imported by nbformat, which plotly's renderers and papermill import) loads
    ``rfc3987_syntax`` when it is installed, and that compiles a grammar at import: about 3 s
    here, only to check "iri" string formats that neither notebook validation nor bakhong
    uses. Without it jsonschema simply does not check that format. Called by the batch
    workers and the explorer, where start-up time is what the user waits for.
    """
    import sys

    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
