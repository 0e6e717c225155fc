"""What a document is, decided from its content: ``results``, ``plan``, ``blank_template``,
``progress`` or ``survey``, with the reason kept (DESIGN.md, "Documents and units").

Only results are results. A plan's "đạt 80% trở lên" is a target; an instruction that
carries the blank template (targets filled, result columns empty) has no result; a weekly
progress report has results as of a date. The signals, in the order they decide:

* **title** — a short line near the top: "KẾ HOẠCH" (not "Kế hoạch số …", a reference to
  another plan) → plan; "BÁO CÁO TIẾN ĐỘ", "báo cáo … hằng tuần", "tiến độ triển khai" →
  progress; "BÁO CÁO" → results, unless the form below it is empty. With or without
  diacritics, in Markdown or Word.
* **the template with nothing in it** — the header words "Chỉ tiêu giao" and "Sau triển
  khai", and no row holding more than one figure (its target) → blank_template; a document
  whose own title is not "BÁO CÁO" ("V/v …", "Kính gửi …") and carries such a form is an
  instruction with the blank template.
* **aims** — a heading "MỤC TIÊU" with "phấn đấu" / "trở lên" under it and no title → plan.

``--kind`` (``kind=`` in the readers) overrides the decision; the reason then says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..vocab.parse import fold_words

KINDS = ("results", "plan", "blank_template", "progress", "survey")
KIND_VI = {"results": "báo cáo kết quả", "plan": "kế hoạch",
           "blank_template": "mẫu báo cáo trống (hướng dẫn)", "progress": "báo cáo tiến độ",
           "survey": "dữ liệu khảo sát"}

_HEAD_BLOCKS = 15
_PLAN_TITLE = re.compile(r"^\W*ke hoach\b(?!\s+(?:so|s6|so:)\b)")
_PROGRESS = re.compile(r"\b(bao cao tien do|tien do trien khai|tien do thuc hien|"
                       r"bao cao (?:ket qua )?(?:hang tuan|tuan)|bao cao nhanh tien do)\b")
_REPORT_TITLE = re.compile(r"^\W*bao cao\b")
_AS_OF = re.compile(r"\b(?:tinh )?(?:den|toi) (?:het )?ngay \d{1,2}\s*/\s*\d{1,2}")
_TEMPLATE_HEAD = re.compile(r"chi tieu giao")
_AFTER_HEAD = re.compile(r"sau\s+trien\s+khai")
_AIMS = re.compile(r"^\W*(?:[ivx]+\.|\d+\.)?\s*muc tieu\b")
_AIM_WORDS = re.compile(r"\b(phan dau|tro len|tr\w{0,2} [1li]en)\b")
_FIGURE = re.compile(r"\d[\d.,]*\s*%|\d+\s*/\s*\d+")


@dataclass(frozen=True)
class DocumentKind:
    """A document's kind and why: ``reason`` is Vietnamese, for the analyst."""

    kind: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "reason": self.reason}


def overridden(kind: str) -> DocumentKind:
    """The kind an analyst gave (``--kind``)."""
    if kind not in KINDS:
        raise ValueError(f"loại văn bản không hợp lệ: {kind} (chọn một trong {', '.join(KINDS)})")
    return DocumentKind(kind, "do người dùng chỉ định (--kind)")


def _title(texts: Sequence[str]) -> tuple[str, int] | None:
    """The document's own title among the first blocks: (kind, block number)."""
    for number, text in enumerate(texts[:_HEAD_BLOCKS], start=1):
        folded = fold_words(text)
        if len(folded.split()) > 30:
            continue
        report = _REPORT_TITLE.search(folded)
        following = fold_words(texts[number]) if number < len(texts) else ""
        if report and (_PROGRESS.search(folded) or _PROGRESS.search(following)):
            return "progress", number
        if _PLAN_TITLE.search(folded):
            return "plan", number
        if _REPORT_TITLE.search(folded):
            return "results", number
    return None


def _blank_form(texts: Sequence[str], rows: Sequence[Sequence[str]]) -> bool:
    """Whether the document carries the template with no result in it: its header, and no
    row (a table row, or a line under the header) holding more than one figure."""
    folded = [fold_words(t) for t in texts]
    head = next((i for i, t in enumerate(folded) if _TEMPLATE_HEAD.search(t)), None)
    if head is None or not any(_AFTER_HEAD.search(t) for t in folded[head:head + 12]):
        return False
    if rows:
        return all(sum(bool(_FIGURE.search(c)) for c in row) <= 1 for row in rows)
    lines = [t for t in texts[head:] if _FIGURE.search(t)]
    return bool(lines) and all(len(_FIGURE.findall(t)) <= 1 for t in lines)


def classify_text(texts: Sequence[str], rows: Sequence[Sequence[str]] = (),
                  kind: str | None = None) -> DocumentKind:
    """The kind of a prose document from its blocks' texts (and its table rows' cells).

    >>> classify_text(["UBND XÃ NGA LIÊN", "KE HOACH", "Trien khai mo hinh 3 khong"]).kind
    'plan'
    >>> classify_text(["BÁO CÁO", "Kết quả thực hiện mô hình", "Tỷ lệ … đạt 74%"]).kind
    'results'
    """
    if kind:
        return overridden(kind)
    title = _title(texts)
    blank = _blank_form(texts, rows)
    if title and title[0] == "plan":
        return DocumentKind("plan", f"tiêu đề “KẾ HOẠCH” (đoạn {title[1]})")
    if title and title[0] == "progress":
        return DocumentKind("progress", f"tiêu đề báo cáo tiến độ (đoạn {title[1]})")
    if blank:
        where = "sau tiêu đề “BÁO CÁO”" if title else "trong văn bản hướng dẫn"
        return DocumentKind("blank_template", f"mẫu báo cáo có chỉ tiêu giao nhưng các cột "
                                              f"kết quả để trống ({where})")
    if title:
        head = " ".join(fold_words(t) for t in texts[:_HEAD_BLOCKS])
        if _AS_OF.search(head) and re.search(r"\btuan\b", head):
            return DocumentKind("progress", "báo cáo theo tuần, số liệu tính đến một ngày")
        return DocumentKind("results", f"tiêu đề “BÁO CÁO” (đoạn {title[1]})")
    folded = [fold_words(t) for t in texts]
    aims = next((i for i, t in enumerate(folded) if _AIMS.search(t)), None)
    if aims is not None and any(_AIM_WORDS.search(t) for t in folded[aims:aims + 30]):
        return DocumentKind("plan", f"mục “MỤC TIÊU” với “phấn đấu”/“trở lên” (đoạn {aims + 1})")
    return DocumentKind("results", "có số liệu, không có tiêu đề kế hoạch hay mẫu trống")


def classify_grid(rows: Sequence[Sequence[object]], values_found: int,
                  kind: str | None = None) -> DocumentKind:
    """The kind of a spreadsheet in the template layout: ``values_found`` is how many
    before/after cells hold a figure. A title row "KẾ HOẠCH" makes it a plan."""
    if kind:
        return overridden(kind)
    texts = [" ".join(str(c) for c in row if c not in (None, "")) for row in rows[:12]]
    title = _title([t for t in texts if t])
    if title and title[0] == "plan":
        return DocumentKind("plan", "dòng tiêu đề “KẾ HOẠCH”")
    if values_found == 0:
        return DocumentKind("blank_template",
                            "mẫu báo cáo: cột trước/sau triển khai để trống, chưa có kết quả")
    if title and title[0] == "progress":
        return DocumentKind("progress", "dòng tiêu đề báo cáo tiến độ")
    return DocumentKind("results", "mẫu báo cáo có số liệu trước/sau triển khai")
