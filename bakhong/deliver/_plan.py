"""What to send: the batch's manifest of a period, the units (or the department) chosen
with ``--only``, the report files to attach; how a unit is named in a message."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import DeliveryError, UnknownUnitError
from ..vocab import units
from ..vocab.parse import fold_words
from ._config import DEPARTMENT_WORDS


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


def unit_label(entry: dict[str, Any]) -> str:
    """"Huyện Thường Xuân (396)" — the reference name when the code is known."""
    code = str(entry["code"])
    try:
        name = units.by_code(code).full_name
    except UnknownUnitError:
        name = str(entry.get("name") or code)
    return f"{name} ({code})"


def in_sentence(entry: dict[str, Any]) -> str:
    """"huyện Thường Xuân", "thành phố Thanh Hóa": the unit's name inside a sentence."""
    try:
        unit = units.by_code(str(entry["code"]))
    except UnknownUnitError:
        return str(entry.get("name") or entry["code"])
    return f"{unit.kind} {unit.name}"


def addressee(entry: dict[str, Any]) -> str:
    """"UBND huyện Thường Xuân"."""
    return f"UBND {in_sentence(entry)}"


def select(manifest: dict[str, Any], only: Sequence[str] | None) -> tuple[set[str], bool]:
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


def inside(folder: Path, name: str) -> Path | None:
    """``folder/name`` when it stays inside ``folder`` (a manifest names files, not paths)."""
    path = (folder / name).resolve()
    return path if path.is_relative_to(folder.resolve()) else None


def report_files(folder: Path, entry: dict[str, Any], formats: Sequence[str]
                 ) -> tuple[list[Path], str]:
    """The files of a manifest entry to attach, in the ``formats`` asked ("pdf", "html"),
    and a note for the log when the PDF asked for is missing and the HTML goes instead
    ("" otherwise). No file when none of them exists."""
    def existing(kind: str) -> Path | None:
        name = entry.get(kind)
        path = inside(folder, str(name)) if name else None
        return path if path is not None and path.is_file() else None

    files = [path for kind in formats if (path := existing(kind)) is not None]
    if "pdf" not in formats or existing("pdf") is not None:
        return files, ""
    html = existing("html")
    if html is None:
        return files, ""
    why = f" (lỗi khi in: {entry['pdf_error']})" if entry.get("pdf_error") else ""
    return (files if html in files else [*files, html],
            f"chưa có bản PDF{why}: gửi kèm bản HTML {html.name}")
