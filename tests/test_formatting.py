"""Dates and numbers in the request's locale (registry.formatting, registry.locale): pure, no
database. Expected strings worked by hand from Django's locale formats (en "N j, Y", en-gb
"j M Y", de "j. F Y", es "j \\d\\e F \\d\\e Y"; the month abbreviated)."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from patients.partial_dates import PartialDate
from registry import formatting
from registry.locale import using_format_language

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def _paris(settings):
    settings.TIME_ZONE = "Europe/Paris"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (12.25, "12.3"),  # half-up on the decimal value; round(12.25, 1) would give 12.2
        (12.35, "12.4"),  # 12.35 is 12.3499999... as a float: its decimal writing decides
        (12.87, "12.9"),
        (12.84, "12.8"),
        (15, "15.0"),
        (Decimal("0.05"), "0.1"),
        (-0.04, "0.0"),  # no "-0.0"
        (-1.25, "-1.3"),  # half away from zero
    ],
)
def test_mm_one_decimal_half_up(value, text):
    assert formatting.mm_text(value) == text


def test_mm_none_and_area_without_decimal():
    assert formatting.mm_text(None) == ""
    assert formatting.mm2_text(132.5) == "133"
    assert formatting.mm2_text(132.49) == "132"


def test_numbers_take_the_locale_separator():
    with using_format_language("de"):
        assert formatting.mm_text(12.87) == "12,9"
        assert formatting.years_text(10.25) == "10,3"
        assert formatting.number_text(12.5) == "12,5"
    with using_format_language("en-gb"):
        assert formatting.mm_text(12.87) == "12.9"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        (None, "Mar 14, 2023"),  # LANGUAGE_CODE "en"
        ("en", "Mar 14, 2023"),
        ("en-gb", "14 Mar 2023"),
        ("de", "14. Mär 2023"),
        ("es", "14 de Mar de 2023"),
    ],
)
def test_dates_in_the_locale_with_the_month_in_letters(language, text):
    with using_format_language(language):
        assert formatting.date_text(date(2023, 3, 14)) == text
        assert formatting.when(date(2023, 3, 14)) == text
        assert formatting.when("2023-03-14") == text  # the API's and the reports' writing


def test_medium_format_abbreviates_the_month_and_keeps_escapes():
    assert formatting.medium_date_format("N j, Y") == "M j, Y"
    assert formatting.medium_date_format("j. F Y") == "j. M Y"
    assert formatting.medium_date_format(r"j \d\e F \d\e Y") == r"j \d\e M \d\e Y"
    assert formatting.medium_date_format("j E Y") == "j M Y"


def test_moments_show_the_local_time_and_zone():
    winter = datetime(2023, 3, 14, 13, 5, tzinfo=ZoneInfo("UTC"))  # 14:05 in Paris (CET)
    summer = datetime(2023, 7, 1, 22, 30, tzinfo=ZoneInfo("UTC"))  # 00:30 on 2 July (CEST)
    assert formatting.when(winter) == "Mar 14, 2023, 2:05 p.m. CET"
    with using_format_language("de"):
        assert formatting.when(winter) == "14. Mär 2023, 14:05 CET"
        assert formatting.when(summer) == "2. Jul 2023, 00:30 CEST"
        assert formatting.when("2023-03-14T13:05:00Z") == "14. Mär 2023, 14:05 CET"
    # The date of a moment is the local date, not the UTC one.
    assert formatting.date_text(summer) == "Jul 2, 2023"


@pytest.mark.parametrize(
    ("text", "en", "de"),
    [
        ("2013", "2013", "2013"),
        ("2013-03", "Mar 2013", "Mär 2013"),
        ("2013-03-14", "Mar 14, 2013", "14. Mär 2013"),
    ],
)
def test_partial_dates_show_only_what_is_known(text, en, de):
    value = PartialDate.parse(text)
    assert formatting.partial_date_text(value) == en
    assert formatting.when(value) == en
    with using_format_language("de"):
        assert formatting.partial_date_text(value) == de


def test_other_values_pass_through():
    assert formatting.when(None) == ""
    assert formatting.when("left") == "left"
    assert formatting.when("2023-13-45") == "2023-13-45"  # shaped like a date, is not one
