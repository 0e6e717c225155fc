"""Rows that cannot be read, told to the district they lie in: one ``unparseable`` finding per
file, sheet and column, naming the cell to correct and what to write there, never its
content.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import polars as pl

from ..errors import UnknownUnitError
from ..vocab import rules as fnd
from ..vocab import units as units_mod
from ..vocab.parse import format_int
from ..vocab.rules import Finding
from ._fields import (
    FIELD_VI,
    LOCATION_FIELDS,
    MAX_AGE,
    MIN_AGE,
    SURVEY_INDICATORS,
    YESNO_FIELDS,
)
from ._files import _context_from_name, _Part
from ._model import SurveyFile
from ._places import _resolve_upper

_PERSONAL = "ghi số điện thoại hoặc số CCCD thay cho tên địa bàn"
_REASON_TEXT = {"age_range": f"tuổi ngoài phạm vi khảo sát ({MIN_AGE}–{MAX_AGE})",
                "commune": "không rõ xã",
                **{f"{f}_both": "đánh dấu cả “Có” và “Không”" for f in YESNO_FIELDS},
                **{f"{f}_pii": _PERSONAL for f in LOCATION_FIELDS},
                "cccd_invalid": "số CCCD không đủ 12 chữ số"}
#: What the finding says of the rows, by reason (else "có ô không đọc được").
_REJECT_WHAT = {**_REASON_TEXT, "age_range": f"có {_REASON_TEXT['age_range']}",
                "cccd_invalid": "có số CCCD không đúng 12 chữ số (thiếu, thừa chữ số hoặc bị "
                                "Excel đổi thành dạng 3,81E+10)"}
#: The reasons of a column's rows that are still counted (the others are not).
_COUNTED = {"cccd_invalid": ("các dòng này vẫn được tính vào chỉ tiêu nhưng không kiểm tra "
                             "được người bị đếm hai lần")}


def _reasons(why: pl.DataFrame, path: Path, part: _Part) -> pl.DataFrame:
    """file, sheet, row, column, reason — one row per unreadable cell (no cell content) —
    and, for the findings, ``_field``, the column's ``_letter`` and the row's ``place``."""
    flags = [c for c in why.columns if c.startswith("_r_")]
    long = why.unpivot(index=["_row", "place"], on=flags).filter(pl.col("value"))
    field_of = pl.col("variable").str.strip_prefix("_r_")
    # the age is read from "Tuổi", else from "Năm sinh": the column to correct is that one
    age_from = "age" if "age" in part.fields or "birth_year" not in part.fields \
        else "birth_year"
    column = field_of.replace({"age_range": age_from, "age": age_from}) \
        .str.replace(r"_(?:both|pii|invalid)$", "")
    return long.select(
        pl.lit(path.name).alias("file"), pl.lit(part.sheet).alias("sheet"),
        pl.col("_row").alias("row"),
        column.replace_strict(FIELD_VI, default=column).alias("column"),
        field_of.replace_strict(_REASON_TEXT, default="không đọc được").alias("reason"),
        field_of.alias("_field"),
        column.replace_strict(part.letters, default="").alias("_letter"), "place",
    ).sort("row", "column")


_SURVEY_FIX = ("Gửi lại tệp khảo sát (.xlsx, .csv hoặc .parquet) có một dòng tiêu đề gồm các cột "
               "như “Tuổi”/“Năm sinh”, “Điện thoại thông minh”, “Tài khoản ngân hàng”, "
               "“Tài khoản VNeID”, “Chữ ký điện tử”, “Xã”, “Thôn”.")
_SPLIT_FIX = ("Mỗi câu hỏi chỉ đánh dấu “x” vào một trong hai cột: “Có” khi người được hỏi đã "
              "có, “Không” khi chưa có, ở các dòng đã nêu.")
#: What to correct in the rows a survey file could not have read, by reason (else
#: :data:`_YESNO_FIX`).
_REJECT_FIX = {
    "age": "Ghi tuổi bằng số (ví dụ 45) hoặc năm sinh (ví dụ 1980) ở các dòng đã nêu.",
    "age_range": (f"Kiểm tra tuổi hoặc năm sinh ở các dòng đã nêu: khảo sát gồm người từ "
                  f"{MIN_AGE} tuổi trở lên; dòng của người dưới {MIN_AGE} tuổi không cần ghi."),
    "commune": ("Ghi tên xã ở cột “Xã”, hoặc ở dòng tiêu đề phía trên bảng "
                "(ví dụ “UBND xã Nga Liên, huyện Nga Sơn”)."),
    **{f"{f}_both": _SPLIT_FIX for f in YESNO_FIELDS},
    **{f"{f}_pii": ("Xoá số điện thoại, số CCCD khỏi cột địa bàn ở các dòng đã nêu và ghi tên "
                    "(hoặc mã) xã, thôn; số điện thoại và số CCCD là dữ liệu cá nhân, không "
                    "ghi vào các cột địa bàn.") for f in LOCATION_FIELDS},
    "cccd_invalid": ("Ghi số CCCD đủ 12 chữ số ở các dòng đã nêu; định dạng cột là “Text” "
                     "trước khi nhập để Excel không bỏ số 0 đầu hoặc đổi số thành dạng "
                     "3,81E+10."),
}
_YESNO_FIX = ("Ghi “x” hoặc “có” khi người được hỏi đã có; để trống hoặc ghi “không” khi chưa "
              "có, ở các dòng đã nêu.")


def _load_error(detail: str, info: SurveyFile) -> Finding:
    """A survey file that could not be read, told to the district its name gives."""
    context = _context_from_name(info.path)
    district_code, district_name, *_ = _resolve_upper(
        context.get("district"), None, context.get("commune"), None)
    finding = fnd.make("load_error", {"detail": detail}, source=info.path.name,
                       period=info.period, synthetic=info.synthetic,
                       unit_code=district_code or "", unit_name=district_name or "")
    return dataclasses.replace(finding, fix=_SURVEY_FIX)


def _unit_names(located: pl.DataFrame) -> str:
    """The communes of some rows, as a reader names them ("Xã Nga Liên, Xã Nga Thạch")."""
    names = []
    for code, _ in located.select("commune_code", "commune_name").unique() \
            .drop_nulls("commune_name").sort("commune_code").iter_rows():
        try:  # only a unit of the list is named: a name as the file wrote it is its content
            names.append(units_mod.by_code(code).full_name)
        except UnknownUnitError:
            continue
    return ", ".join(names[:3]) + (", …" if len(names) > 3 else "")


def _reject_findings(rejects: pl.DataFrame, info: SurveyFile,
                     places: pl.DataFrame) -> list[Finding]:
    """One ``unparseable`` finding per file, sheet and column: how many rows and which (no
    content), the cell to correct, what to write there, and — where the rows lie in one
    district — that district, so that its report shows them."""
    located = rejects.join(places.select("place", "district_code", "district_name",
                                         "commune_code", "commune_name"),
                           on="place", how="left")
    out = []
    for (field_, sheet), group in located.group_by(["_field", "sheet"], maintain_order=True):
        rows = group["row"].unique().sort().to_list()
        shown = ", ".join(str(r) for r in rows[:8]) + (", …" if len(rows) > 8 else "")
        what = _REJECT_WHAT.get(field_, "có ô không đọc được")
        letter, header = group["_letter"][0], group["column"][0]
        spreadsheet = bool(re.fullmatch(r"[A-Z]{1,3}", letter))
        column = (f" ở cột {letter} “{header}”" if spreadsheet else f" ở cột “{header}”") \
            if field_ != "commune" or letter else ""
        communes = _unit_names(group)
        where = info.path.name + (f" ({communes})" if communes else "") + \
            (f", trang “{sheet}”" if sheet else "")
        counted = _COUNTED.get(field_, "các dòng này không được tính vào chỉ tiêu")
        message = (f"Tệp khảo sát {where}: {format_int(len(rows))} dòng {what}{column} "
                   f"(dòng {shown}); {counted}.")
        districts = group.select("district_code", "district_name").unique() \
            .drop_nulls("district_code")
        unit_code, unit_name = districts.row(0) if districts.height == 1 else ("", "")
        base = field_.removesuffix("_both").removesuffix("_no")
        indicator = next((code for code, (f, _, _) in SURVEY_INDICATORS.items()
                          if f == base), "")
        cell = f"{letter}{rows[0]}" if spreadsheet else f"dòng {rows[0]}"
        finding = fnd.make("unparseable", {"raw": message}, indicator=indicator,
                           phase=info.phase, period=info.period, synthetic=info.synthetic,
                           unit_code=unit_code, unit_name=unit_name or "",
                           source="!".join(p for p in (info.path.name, sheet, cell) if p))
        out.append(dataclasses.replace(finding, message=message,
                                       fix=_REJECT_FIX.get(field_, _YESNO_FIX)))
    return out
