from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bakhong.vocab.parse import (
    decimals_shown,
    fold,
    format_int,
    format_number,
    format_percent,
    parse_number,
    parse_target,
    parse_value,
)


@pytest.mark.parametrize(
    ("cell", "value", "qualifier", "numerator", "denominator"),
    [
        ("45,75%", 0.4575, "=", None, None),
        ("96,5", 0.965, "=", None, None),
        ("69 %", 0.69, "=", None, None),
        ("72599/33216", 72599 / 33216, "=", 72599, 33216),
        ("41.234/50.000 = 72%", 0.72, "=", 41234, 50000),
        ("= 72599/33216 = 45,75%", 0.4575, "=", 72599, 33216),
        ("trên 90%", 0.90, ">", None, None),
        ("hơn 96,5%", 0.965, ">", None, None),
        ("đạt trên 90%", 0.90, ">", None, None),
        ("80% trở lên", 0.80, "≥", None, None),
        ("40% trở lên (năm 2024)", 0.40, "≥", None, None),
        (0.74, 0.74, "=", None, None),
        (1, 1.0, "=", None, None),
        (95, 0.95, "=", None, None),
        ("100%", 1.0, "=", None, None),
        ("0,74", 0.74, "=", None, None),
        (unicodedata.normalize("NFD", "hơn 96,5%"), 0.965, ">", None, None),
    ],
)
def test_parse_value_reads_what_districts_write(cell, value, qualifier, numerator, denominator):
    parsed = parse_value(cell)
    assert parsed.status == "ok"
    assert parsed.value == pytest.approx(value)
    assert parsed.qualifier == qualifier
    assert parsed.numerator == numerator
    assert parsed.denominator == denominator


@pytest.mark.parametrize("cell", [None, "", "   ", "-", float("nan")])
def test_blank_is_missing(cell):
    assert parse_value(cell).status == "missing"


@pytest.mark.parametrize("cell", ["đang cập nhật", "chưa có số liệu", "xem phụ lục", True])
def test_text_without_a_figure_is_unparseable(cell):
    assert parse_value(cell).status == "unparseable"


def test_a_thousands_dot_is_not_a_decimal_point():
    assert parse_number("72.599") == 72599
    assert parse_number("946.030") == 946030
    assert parse_number("1.234.567") == 1234567
    assert parse_number("96.5") == 96.5
    assert parse_number("1.234,5") == 1234.5
    assert parse_number("1,234.5") == 1234.5


def test_tolerance_follows_the_decimals_written():
    assert parse_value("45,75%").tolerance == pytest.approx(0.00005)
    assert parse_value("72%").tolerance == pytest.approx(0.005)
    assert decimals_shown("45,75") == 2 and decimals_shown("72.599") == 0


def test_a_bare_target_means_at_least():
    assert parse_target("90%").qualifier == "≥"
    assert parse_target(0.9).value == pytest.approx(0.9)
    assert parse_target("80% trở lên").qualifier == "≥"


def test_fold_removes_diacritics_and_case():
    assert fold("UBND huyện THƯỜNG XUÂN") == "ubnd huyen thuong xuan"
    assert fold(unicodedata.normalize("NFD", "Đông Sơn")) == "dong son"


def test_vietnamese_formatting():
    assert format_percent(0.4575) == "45,75%"
    assert format_percent(0.965, qualifier=">") == "trên 96,5%"
    assert format_percent(0.8, qualifier="≥") == "80% trở lên"
    assert format_int(72599) == "72.599"
    assert format_int(946030) == "946.030"
    assert format_number(96.5) == "96,5"


# --- properties -------------------------------------------------------------------------

@given(st.integers(min_value=0, max_value=10**9))
def test_integers_written_with_thousands_dots_read_back(n):
    assert parse_number(format_int(n)) == n


@given(st.integers(min_value=0, max_value=10000))
def test_percentages_with_a_decimal_comma_read_back(hundredths):
    text = format_number(hundredths / 100, 2) + "%"
    assert parse_value(text).value == pytest.approx(hundredths / 10000)


@given(st.integers(min_value=1, max_value=10**7), st.integers(min_value=1, max_value=10**7),
       st.sampled_from(["", "= ", "đạt "]))
def test_ratios_keep_numerator_and_denominator(num, den, prefix):
    parsed = parse_value(f"{prefix}{format_int(num)}/{format_int(den)}")
    assert (parsed.numerator, parsed.denominator) == (num, den)
    assert parsed.value == pytest.approx(num / den)


@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_excel_fractions_stay_fractions(x):
    assert parse_value(x).value == pytest.approx(x, abs=1e-9)


@given(st.text(max_size=40))
def test_parse_value_never_raises(text):
    assert parse_value(text).status in {"ok", "missing", "unparseable"}
