"""Transcribe the 16 results of huyện Thường Xuân's 2024 report (seed 004) into the template.

Run once; its output, data/raw/tables/thuong-xuan-2024.xlsx, is raw data and is committed.
Every figure is the source's own, errors included (see data/raw/README.md). Kept so that the
transcription can be audited, not to be re-run over the committed file.
"""

from __future__ import annotations

import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

# (STT, label as in the template, target as written, before, after, evidence)
ROWS = [
    ("I", "ĐỐI VỚI CHÍNH QUYỀN", None, None, None, None),
    (1, "Lãnh đạo, cán bộ, công chức trên địa bàn cấp xã chỉ đạo, điều hành, xử lý công việc "
        "hoàn toàn trên môi trường điện tử", "100%", None, "100%", None),
    (2, "Lãnh đạo, cán bộ, công chức được cấp chứng thư số.", "100%", None, 1.0, None),
    (3, "Văn bản, hồ sơ công việc được tạo lập, xử lý, ký số trên môi trường điện tử (trừ văn "
        "bản mật theo quy định)", "100%", None, "100%", None),
    (4, "Cán bô, công chức có hộp thư điện tử công vụ của các cơ quan Nhà nước.", "100%", None,
     "100%", None),
    (5, "Tỷ lệ tiếp nhận, giải quyết hồ sơ trực tuyến.", "90%", None, 0.95, None),
    ("II", "ĐỐI VỚI NGƯỜI DÂN, TỔ CHỨC, DOANH NGHIỆP", None, None, None, None),
    (6, "Tỷ lệ người dân có điện thoại thông minh/tổng số dân trong độ tuổi trưởng thành",
     "80% trở lên", None, 0.74, None),
    (7, "Tỷ lệ người dân trên 15 tuổi có tài khoản giao dịch thanh toán tại ngân hàng hoặc tổ "
        "chức được phép khác/tổng số dân từ 15 tuổi trở lên", "75% trở lên", None, "89%", None),
    (8, "Tỷ lệ người dân được cấp tài khoản định danh điện tử/tổng số dân", "80% trở lên", None,
     "= 946030/946030 = 100%", None),
    (9, "Tỷ lệ người dân có chữ ký điện tử cá nhân/tổng số dân trong độ tuổi trưởng thành",
     "40% trở lên (năm 2024)", None, "= 72599/33216 = 45,75%", "Theo Quyết định số 1829"),
    (10, "Tỷ lệ người dân/doanh nghiệp được thông tin, tuyên truyền, tập huấn, đào tạo kỹ năng "
         "số cơ bản, được hướng dẫn sử dụng dịch vụ công trực tuyến/tổng số dân, doanh nghiệp",
     "80% trở lên", None, "97%", None),
    (11, "Tỷ lệ người dân/doanh nghiệp sử dụng nền tảng số trao đổi thông tin với các cơ quan "
         "chính quyền", "80% trở lên", None, "100%", None),
    (12, "Tỷ lệ doanh nghiệp sử dụng dịch vụ công trực tuyến được định danh và xác thực điện tử "
         "thông suốt/tổng số doanh nghiệp", "80% trở lên", None, "85%", None),
    (13, "Tỷ lệ thuê bao điện thoại thông minh có sử dụng phần mềm an toàn thông tin mạng cơ "
         "bản.", "80% trở lên", None, "= 23252/23252 = 100%", None),
    (14, "Tỷ lệ người dân sử dụng dịch vụ công trực tuyến được định danh và xác thực điện tử "
         "thông suốt/tổng số dân trong độ tuổi trưởng thành", "80% trở lên", None, "= 70%", None),
    (15, "Tỷ lệ hộ gia đình thanh toán tiền điện bằng phương thức thanh toán không dùng tiền "
         "mặt/tổng số hộ gia đình", "60% trở lên", None, "= 69%", None),
    (16, "Có điểm phát Wifi công cộng tại các địa điểm quan trọng trong xã như UBND xã, nhà văn "
         "hóa, các điểm du lịch", "100%", None, "100%", None),
    ("III", "KẾT QUẢ THEO BA NỘI DUNG CỦA MÔ HÌNH “3 KHÔNG”", None, None, None, None),
    ("a", "Tỷ lệ cơ quan nhà nước thực hiện việc liên thông dữ liệu giữa các hệ thống cơ sở dữ "
          "liệu dân cư, các cơ sở dữ liệu chuyên ngành khác với Cổng dịch vụ công trực tuyến",
     None, "35%", "trên 90%", None),
    ("b", "Tỷ lệ người dân thực hiện việc thanh toán không dùng tiền mặt khi sử dụng một số dịch "
          "vụ thiết yếu", None, "22,7%", "hơn 96,5%", None),
    ("c", "Tỷ lệ cơ quan nhà nước trên địa bàn thực hiện việc gửi, nhận văn bản qua nền tảng số",
     None, None, "100%", None),
]


def build(out: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Bao cao 3 KHONG"
    bold = Font(bold=True)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws["A1"] = "UBND HUYỆN THƯỜNG XUÂN"
    ws.merge_cells("A1:C1")
    ws["D1"] = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    ws.merge_cells("D1:F1")
    ws["A2"] = "Tên đơn vị: UBND huyện Thường Xuân"
    ws.merge_cells("A2:C2")
    ws["D2"] = "Độc lập - Tự do - Hạnh phúc"
    ws.merge_cells("D2:F2")
    ws["D3"] = "Thường Xuân, ngày      tháng      năm 2024"
    ws.merge_cells("D3:F3")
    ws["A5"] = "BÁO CÁO"
    ws.merge_cells("A5:F5")
    ws["A6"] = "Tổng hợp kết quả thực hiện mô hình “3 KHÔNG” năm 2024"
    ws.merge_cells("A6:F6")
    for cell in ("A1", "D1", "D2", "A5", "A6"):
        ws[cell].font = bold
        ws[cell].alignment = center
    headers = {"A8": "STT", "B8": "Nội dung chỉ tiêu", "C8": "Chỉ tiêu giao",
               "D8": "Kết quả thực hiện", "D9": "Trước triển khai", "E9": "Sau triển khai",
               "F8": "Hồ sơ minh chứng"}
    for ref, text in headers.items():
        ws[ref] = text
    for rng in ("A8:A9", "B8:B9", "C8:C9", "D8:E8", "F8:F9"):
        ws.merge_cells(rng)
    for row in ws["A8:F9"]:
        for cell in row:
            cell.font, cell.alignment, cell.border = bold, center, box
    r = 10
    for stt, label, target, before, after, evidence in ROWS:
        for col, value in zip("ABCDEF", (stt, label, target, before, after, evidence),
                              strict=True):
            cell = ws[f"{col}{r}"]
            cell.value = value
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # typed as text by the district, not a formula
            cell.border = box
            cell.alignment = wrap
            if isinstance(value, float):
                cell.number_format = "0%"
        if isinstance(stt, str) and stt.isupper():
            ws[f"A{r}"].font = ws[f"B{r}"].font = bold
        r += 1
    ws[f"B{r + 1}"] = "(Bảng thống kê chi tiết đính kèm)"
    ws[f"E{r + 2}"] = "KT. CHỦ TỊCH"
    ws[f"E{r + 3}"] = "PHÓ CHỦ TỊCH"
    ws[f"E{r + 7}"] = "Vi Ngọc Tuấn"
    for col, width in zip("ABCDEF", (6, 70, 16, 14, 24, 22), strict=True):
        ws.column_dimensions[col].width = width
    wb.properties.title = "Kết quả thực hiện mô hình 3 KHÔNG — huyện Thường Xuân — năm 2024"
    wb.properties.subject = "Chép lại từ Báo cáo kết quả của UBND huyện Thường Xuân năm 2024"
    wb.properties.creator = "UBND huyện Thường Xuân"
    wb.save(out)


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "data/raw/tables/thuong-xuan-2024.xlsx"))
