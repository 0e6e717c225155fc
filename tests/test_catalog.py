from __future__ import annotations

import pytest

from bakhong.errors import UnknownIndicatorError
from bakhong.vocab.catalog import load_catalog

TEMPLATE_TARGETS = [1, 1, 1, 1, 0.9, 0.8, 0.75, 0.8, 0.4, 0.8, 0.8, 0.8, 0.8, 0.8, 0.6, 1]


def test_sixteen_criteria_in_template_order_with_2024_targets():
    catalog = load_catalog()
    criteria = catalog.criteria
    assert [c.code for c in criteria] == [f"TC{n:02d}" for n in range(1, 17)]
    assert [c.target for c in criteria] == TEMPLATE_TARGETS
    assert {c.group for c in criteria[:5]} == {"government"}
    assert {c.group for c in criteria[5:]} == {"people"}
    assert all(c.target_qualifier == "≥" for c in criteria)


def test_every_indicator_has_pillars_and_a_known_population():
    catalog = load_catalog()
    for indicator in catalog:
        assert indicator.pillars and set(indicator.pillars) <= set(catalog.pillars)
        assert indicator.population in catalog.populations
    assert [i.code for i in catalog if i.group == "pillar"] == ["K1", "K2", "K3"]


def test_plan_targets_override_the_template():
    # an analyst's targets.csv row for Nga Liên 2023 beats the template's 40%
    catalog = load_catalog().with_overrides([{"unit_code": "16159", "period": "2023",
                                              "indicator": "TC09", "target": "0.8"}])
    assert catalog.target("TC09", "16159", "2023").value == 0.8
    assert catalog.target("TC09", "16159", "2024").value == 0.4
    assert catalog.target("TC09", "396", "2024").value == 0.4
    assert catalog.target("K1") is None


def test_reference_folder_targets_are_read(tmp_path):
    (tmp_path / "targets.csv").write_text(
        "plan,unit_code,period,indicator,target,target_qualifier,source\n"
        "KH 1,396,2025,TC06,0.85,≥,test\n", encoding="utf-8")
    assert load_catalog(tmp_path).target("TC06", "396", "2025").value == 0.85


@pytest.mark.parametrize(("text", "code"), [
    ("Tỷ lệ người dân có điện thoại thông minh/tổng số dân trong độ tuổi trưởng thành", "TC06"),
    ("Cán bô, công chức có hộp thư điện tử công vụ của các cơ quan Nhà nước.", "TC04"),
    ("Ty le nguoi dan co chu ky dien tu ca nhan", "TC09"),
    ("Tỷ lệ thuê bao điện thoại thông minh có sử dụng phần mềm an toàn thông tin mạng", "TC13"),
    ("Tỷ lệ doanh nghiệp sử dụng dịch vụ công trực tuyến được định danh", "TC12"),
    ("Tỷ lệ người dân sử dụng dịch vụ công trực tuyến được định danh và xác thực", "TC14"),
])
def test_labels_match_their_criterion(text, code):
    found, score = load_catalog().match_label(text)
    assert (found, score >= 80) == (code, True)


def test_every_label_matches_itself():
    catalog = load_catalog()
    assert all(catalog.match_label(i.label)[0] == i.code for i in catalog)


def test_unknown_code_raises_a_readable_error():
    with pytest.raises(UnknownIndicatorError, match="TC99"):
        load_catalog()["TC99"]
