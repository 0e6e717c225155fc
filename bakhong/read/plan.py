"""What a plan (KẾ HOẠCH) or an instruction says: its targets, the rollout window, the
deadlines, the units it leaves out, the minimum of fully-online public services, the
activities a)–n), the numbered steps and the reporting cadence.

Everything is read from the prose the way plans are written (seeds 000–003), with or
without diacritics:

* **targets** — every figure the plan states for an indicator ("Tỷ lệ người dân … có điện
  thoại thông minh: đạt 80% trở lên") is a target, never a result: value, qualifier (a
  plain "80%" is a floor, "≥"), and the sentence (``source``). They bind the plan's unit
  and, for a district's plan, its communes, for the plan's period.
* **window** — "Thời gian: Bắt đầu từ 20/04/2024 đến hết ngày 30/6/2024", "từ ngày 15/3/2024
  đến hết ngày 15/6/2024", "đến hết ngày 30/7/2023" (no start): ISO dates.
* **deadlines** — a date after "trước ngày", "chậm nhất", "hạn", "hoàn thành …": ``due``,
  ``what`` (the words before it), ``who`` (the heading it sits under) and ``source``.
* **excluded units** — "(trừ 02 xã Định Long, Định Hưng đã được Sở … công nhận)": each
  name resolved to a unit; words that name no unit ("trừ văn bản mật") are not units.
* **online services** — "tối thiểu 05 dịch vụ công trực tuyến toàn trình" (the minimum)
  and "Triển khai 2 dịch vụ công trực tuyến toàn trình:" followed by the services' names.
* **activities** "a) …" to "n) …", **steps** "Bước 1: …", **reporting** "… trước 15 giờ,
  thứ sáu hằng tuần trong tháng 6, 7/2023".
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from ..errors import UnknownUnitError
from ..vocab import units as units_mod
from ..vocab.parse import fold, nfc
from ..vocab.units import Unit

_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(20\d\d)(?!\d)")
_DATE_WORDS = re.compile(r"ngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(20\d\d)")
_WINDOW = re.compile(
    r"(?:bat dau\s+)?tu\s+(?:ngay\s+)?(?P<start>\d{1,2}\s*/\s*\d{1,2}\s*/\s*20\d\d)\s*"
    r"(?:den|toi|-|–)\s*(?:het\s+)?(?:ngay\s+)?(?P<end>\d{1,2}\s*/\s*\d{1,2}\s*/\s*20\d\d)")
_WINDOW_END = re.compile(r"thoi gian\W+(?:den|toi)\s+(?:het\s+)?(?:ngay\s+)?"
                         r"(?P<end>\d{1,2}\s*/\s*\d{1,2}\s*/\s*20\d\d)")
_DUE = re.compile(r"(?:truoc\s+ngay|cham\s+nhat(?:\s+(?:la|vao|truoc))?(?:\s+ngay)?|"
                  r"han\s+(?:cuoi|chot)?\s*(?:ngay)?|xong\s+truoc(?:\s+ngay)?|"
                  r"truoc)\s*$")
_EXCLUDED = re.compile(r"\btru\s+(?:0?\d+\s+)?(?P<names>[^()]+?)(?:\s+da\s+(?:duoc|dat)\b"
                       r"(?P<reason>[^()]*))?(?:\)|$)")
_UNIT_WORD = re.compile(r"^(?:cac\s+)?(?:xa|phuong|thi tran|don vi)\s+")
#: "dịch vụ công trực tuyến toàn trình", also as OCR spells it ("dich vu cong tryc tuyén")
_ONLINE = r"d\w{0,2}ch\s+v\w{0,2}\s+c\w{0,2}ng\s+tr\w{1,2}c\s+tuy\w{1,2}n"
_MIN_SERVICES = re.compile(rf"toi\s+thieu\s+0*(\d{{1,3}})\s+{_ONLINE}")
_NAMED_SERVICES = re.compile(rf"trien\s+khai\s+0*(\d{{1,2}})\s+{_ONLINE}\s+toan\s+trinh\W*$")
_ACTIVITY = re.compile(r"^\W*([a-nđ])\)\s+(.+)")
_STEP = re.compile(r"^\W*buoc\s+(\d{1,2})\W*(.*)")
_WEEKDAY = re.compile(r"\b(th\w{0,2}\s+(?:hai|ba|tu|nam|sau|bay)|chu\s+nhat)\s+hang\s+tuan\b")
_HOUR = re.compile(r"\b(\d{1,2})\s*gio\b")
_ACTOR = re.compile(r"^\W*(?:\d+(?:\.\d+)*\.?|[ivx]+\.|[a-zđ]\))?\s*(?:ubnd|uy ban|phong|"
                    r"van phong|cong an|doan|hoi|trung tam|bo phan|ban chi dao|cac xa|"
                    r"cac phong|cac don vi|cac pho|buu dien|vien thong|ngan hang|dien luc)\b")
_WEEKDAY_VI = {"thu hai": "thứ hai", "thu ba": "thứ ba", "thu tu": "thứ tư",
               "thu nam": "thứ năm", "thu sau": "thứ sáu", "thu bay": "thứ bảy",
               "chu nhat": "chủ nhật"}


@dataclass
class Plan:
    """What a plan says, each item with the sentence it came from (``source``)."""

    targets: list[dict[str, Any]] = field(default_factory=list)
    window: dict[str, str | None] | None = None
    deadlines: list[dict[str, str]] = field(default_factory=list)
    excluded_units: list[dict[str, str]] = field(default_factory=list)
    min_online_services: int | None = None
    online_services: list[str] = field(default_factory=list)
    activities: list[dict[str, str]] = field(default_factory=list)
    steps: list[dict[str, str]] = field(default_factory=list)
    reporting: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _iso(day: str, month: str, year: str) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def parse_date(text: str) -> str | None:
    """The first date of a text as ISO ("20/04/2024", "ngày 20 tháng 4 năm 2024").

    >>> parse_date("chậm nhất trước ngày 20/04/2024"), parse_date("ngày 5 tháng 9 năm 2024")
    ('2024-04-20', '2024-09-05')
    """
    folded = fold(text)
    m = _DATE.search(folded) or _DATE_WORDS.search(folded)
    return _iso(*m.groups()) if m else None


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("*", "")).strip(" -–+•;:,.")


def _window(texts: list[str], sources: list[str]) -> dict[str, str | None] | None:
    for prefer_time_line in (True, False):
        for text, source in zip(texts, sources, strict=True):
            folded = fold(text.replace("*", ""))
            if prefer_time_line and "thoi gian" not in folded:
                continue
            m = _WINDOW.search(folded)
            if m:
                return {"start": parse_date(m["start"]), "end": parse_date(m["end"]),
                        "source": source}
            m = _WINDOW_END.search(folded)
            if m:
                return {"start": None, "end": parse_date(m["end"]), "source": source}
    return None


def _who(texts: list[str], index: int) -> str:
    for j in range(index - 1, max(-1, index - 25), -1):
        text = texts[j]
        if len(text.split()) <= 16 and _ACTOR.search(fold(text.replace("*", ""))):
            return _clean(re.sub(r"^\W*(?:\d+(?:\.\d+)*\.?|[IVX]+\.|[a-zđ]\))\s*", "", text))
    return ""


def _deadlines(texts: list[str], sources: list[str]) -> list[dict]:
    found: list[dict[str, str]] = []
    for i, (text, source) in enumerate(zip(texts, sources, strict=True)):
        plain = nfc(text.replace("*", ""))
        folded = fold(plain)
        if _WINDOW.search(folded):
            continue
        start = 0
        for m in _DATE.finditer(plain):
            lead = fold(plain[start:m.start()])
            due = _iso(*m.groups())
            if due and _DUE.search(lead):
                what = re.sub(r"(?i)\s*(chậm nhất|cham nhat)?\s*(trước|truoc)?\s*(ngày|ngay)?"
                              r"\s*$", "", plain[start:m.start()])
                what = _clean(re.sub(r"(?i)^\W*(và|va)\s+", "", what))
                if start == 0 and i and not re.search(r"[.!?:;]\s*$", texts[i - 1]) and \
                        12 < len(texts[i - 1].split()) < 80:
                    what = _clean(f"{texts[i - 1]} {what}")  # a sentence cut by a page
                found.append({"due": due, "what": what[-220:], "who": _who(texts, i),
                              "source": source})
            start = m.end()
    return found


def _excluded(texts: list[str], sources: list[str], unit: Unit | None) -> list[dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for text, source in zip(texts, sources, strict=True):
        folded = fold(text.replace("*", ""))
        for m in _EXCLUDED.finditer(folded):
            names = _UNIT_WORD.sub("", m["names"].strip())
            for name in re.split(r",|\bva\b|;", names):
                name = _UNIT_WORD.sub("", name.strip())
                if not name or len(name.split()) > 4:
                    continue
                found = _commune(name, unit)
                if found is not None and found.code not in out:
                    reason = "đã được " + m["reason"].strip() if m["reason"] else ""
                    out[found.code] = {"code": found.code, "name": found.name,
                                       "reason": _reason(text) or reason, "source": source}
    return list(out.values())


def _reason(text: str) -> str:
    m = re.search(r"(?i)(đã được|đã đạt|da duoc)([^()]*)", nfc(text.replace("*", "")))
    return _clean(m.group(0)) if m else ""


def _commune(name: str, parent: Unit | None) -> Unit | None:
    for level in ("commune", None):
        try:
            unit = units_mod.match(name, level=level)
        except UnknownUnitError:
            return None
        if unit.level == "commune" and (parent is None or parent.level != "district"
                                        or unit.parent_code == parent.code):
            return unit
    return None


def _services(texts: list[str]) -> tuple[int | None, list[str]]:
    minimum: int | None = None
    named: list[str] = []
    for i, text in enumerate(texts):
        folded = fold(text.replace("*", ""))
        m = _MIN_SERVICES.search(folded)
        if m and minimum is None:
            minimum = int(m.group(1))
        n = _NAMED_SERVICES.search(folded)
        if n and not named and int(n.group(1)) <= 10:
            named = [_clean(t) for t in texts[i + 1:i + 1 + int(n.group(1))]]
    return minimum, named


def _activities(texts: list[str], sources: list[str]) -> list[dict[str, str]]:
    items: list[dict[str, str]] = []
    for text, source in zip(texts, sources, strict=True):
        m = _ACTIVITY.match(text.replace("*", ""))
        if not m:
            continue
        letter = m.group(1)
        if letter == "a" and items:
            break  # a second list (tasks of each office) is not the activities
        items.append({"item": letter, "text": _clean(m.group(2)), "source": source})
    return items if len(items) >= 3 else []


def _steps(texts: list[str], sources: list[str]) -> list[dict[str, str]]:
    steps: dict[str, dict[str, str]] = {}
    for text, source in zip(texts, sources, strict=True):
        plain = text.replace("*", "").replace("#", "").strip()
        m = _STEP.match(fold(plain))
        if m and m.group(1) not in steps:
            rest = re.sub(r"(?i)^\W*(bước|buoc)\s*\d{1,2}\s*[:.)-]?\s*", "", plain)
            steps[m.group(1)] = {"step": m.group(1), "text": _clean(rest), "source": source}
    return list(steps.values())


def _reporting(texts: list[str], sources: list[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for text, source in zip(texts, sources, strict=True):
        folded = fold(text.replace("*", ""))
        day = _WEEKDAY.search(folded)
        if not day and "hang tuan" not in folded and "dinh ky" not in folded:
            continue
        hour = _HOUR.search(folded)
        weekday = re.sub(r"^th\w*\s+", "thu ", day.group(1)) if day else ""
        found.append({"weekday": _WEEKDAY_VI.get(weekday, ""),
                      "hour": int(hour.group(1)) if hour else None,
                      "text": _clean(text), "source": source})
    return found


def read_plan(texts: list[str], sources: list[str], targets: list[dict[str, Any]],
              unit: Unit | None) -> Plan:
    """A plan from its blocks' texts and sources, and the targets its statements gave."""
    window = _window(texts, sources)
    minimum, named = _services(texts)
    return Plan(targets=targets, window=window,
                deadlines=_deadlines(texts, sources),
                excluded_units=_excluded(texts, sources, unit),
                min_online_services=minimum, online_services=named,
                activities=_activities(texts, sources), steps=_steps(texts, sources),
                reporting=_reporting(texts, sources))
