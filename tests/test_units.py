from __future__ import annotations

import unicodedata

import pytest

from bakhong.errors import UnknownUnitError
from bakhong.vocab import units


def test_twenty_seven_districts_of_2024():
    codes = [u.code for u in units.districts()]
    assert len(codes) == 27
    assert codes == [str(c) for c in range(380, 408) if c != 383]
    dong_son = units.by_code("405")
    assert dong_son.merged_into == "380" and dong_son.valid_to == "2024-12-31"


@pytest.mark.parametrize("name", [
    "UBND huyện Thường Xuân", "huyện Thường Xuân", "Thuong Xuan", "THƯỜNG XUÂN",
    unicodedata.normalize("NFD", "Thường Xuân"), "Ủy ban nhân dân huyện Thường Xuân", "396",
])
def test_names_as_written_find_the_unit(name):
    assert units.match(name).code == "396"


def test_kinds_and_levels():
    assert units.match("TP Thanh Hóa").code == "380"
    assert units.match("Thanh Hóa").level == "province"
    assert units.match("thị xã Nghi Sơn").code == "407"
    assert units.match("xã Nga Liên").code == "16159"


def test_unknown_name_offers_the_closest_candidates():
    with pytest.raises(UnknownUnitError) as info:
        units.match("huyện Thường Xuyên")
    assert "Huyện Thường Xuân" in info.value.candidates
    assert "Thường Xuân" in str(info.value)


def test_population_only_where_cited():
    pops = units.populations()
    assert pops["38"].population == 3640128
    assert pops["386"].population == 96360
    assert "396" not in pops  # Thường Xuân: no citable figure, left unknown
    assert all(p.source for p in pops.values())


def test_title_lines_name_their_unit():
    assert units.find_in_text("UBND HUYỆN THƯỜNG XUÂN").code == "396"
    assert units.find_in_text("Kính gửi: Sở TTTT") is None
