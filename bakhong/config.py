"""Where things live. Paths only; no I/O at import."""

from __future__ import annotations

import os
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
