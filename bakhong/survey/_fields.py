"""What a survey table holds: its fields and their Vietnamese names, the yes/no spellings, the
age bounds and the four survey indicators (field, minimum age, population).
"""

from __future__ import annotations

SURVEY_SUFFIXES = (".parquet", ".csv", ".xlsx", ".xlsm", ".xls", ".ods")
SURVEY_FOLDER = "survey"
YESNO_FIELDS = ("phone", "smartphone", "sim_own", "vneid", "dvc", "bank", "esign")
LOCATION_FIELDS = ("district", "commune", "village", "district_code", "commune_code",
                   "village_code")
PII_FIELDS = ("name", "phone_number")  # never selected; "cccd" is read to be hashed only
FIELD_VI = {
    "cccd": "Số CCCD", "phone": "Điện thoại", "smartphone": "Điện thoại thông minh",
    "sim_own": "Thuê bao chính chủ", "vneid": "Tài khoản định danh điện tử (VNeID)",
    "dvc": "Tài khoản dịch vụ công trực tuyến", "bank": "Tài khoản ngân hàng",
    "esign": "Chữ ký điện tử", "age": "Tuổi", "birth_year": "Năm sinh", "district": "Huyện",
    "commune": "Xã", "village": "Thôn", "district_code": "Mã huyện", "commune_code": "Mã xã",
    "village_code": "Mã thôn",
}
#: A question split in two columns under its header, "Có" | "Không": the "Không" column of
#: field ``f`` is read as ``f_no``; a row marked in both is rejected as ``f_both``.
FIELD_VI |= {f"{f}_no": f"{FIELD_VI[f]} – Không" for f in YESNO_FIELDS}
_NO_LABELS = {"khong", "chua co", "chua"}
YES = ("x", "có", "co", "c", "1", "1.0", "true", "yes", "y", "v", "đã có", "da co", "rồi",
       "roi", "✓", "✔", "√")
NO = ("", "không", "khong", "k", "ko", "0", "0.0", "false", "no", "n", "chưa", "chua",
      "chưa có", "chua co", "không có", "khong co", "-")
MIN_AGE, ADULT_AGE, MAX_AGE = 15, 18, 120
#: Survey indicators: code -> (field, minimum age, words for the population in ``raw``).
SURVEY_INDICATORS: dict[str, tuple[str, int, str]] = {
    "TC06": ("smartphone", ADULT_AGE, "người từ 18 tuổi"),
    "TC07": ("bank", MIN_AGE, "người từ 15 tuổi"),
    "TC08": ("vneid", MIN_AGE, "người từ 15 tuổi (khảo sát không gồm trẻ dưới 15 tuổi)"),
    "TC09": ("esign", ADULT_AGE, "người từ 18 tuổi"),
}
LEVELS = ("district", "commune", "village")
