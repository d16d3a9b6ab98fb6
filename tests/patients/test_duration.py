"""Partial onset dates and disease duration, worked out by hand (DOMAIN.md: middle of the period,
years = days / 365.25)."""

from datetime import date

import pytest

from patients.duration import duration_years
from patients.partial_dates import INVALID_PARTIAL_DATE, PartialDate


@pytest.mark.parametrize(
    ("text", "start", "precision", "midpoint", "end"),
    [
        ("2015", date(2015, 1, 1), "year", date(2015, 7, 1), date(2015, 12, 31)),
        ("2015-06", date(2015, 6, 1), "month", date(2015, 6, 15), date(2015, 6, 30)),
        ("2016-02", date(2016, 2, 1), "month", date(2016, 2, 15), date(2016, 2, 29)),
        ("2015-06-12", date(2015, 6, 12), "day", date(2015, 6, 12), date(2015, 6, 12)),
    ],
)
def test_parse_partial_dates(text, start, precision, midpoint, end):
    """Each precision starts, ends and is taken at its middle as DOMAIN.md says."""
    value = PartialDate.parse(text)
    assert (value.start, value.precision, value.midpoint(), value.end()) == (
        start,
        precision,
        midpoint,
        end,
    )
    assert value.isoformat() == text


@pytest.mark.parametrize("text", ["15", "2015-13", "2015-02-30", "2015/06", "about 2015", ""])
def test_invalid_partial_dates_are_refused(text):
    with pytest.raises(ValueError, match=INVALID_PARTIAL_DATE):
        PartialDate.parse(text)


def test_duration_from_a_year_only_onset():
    """Onset "2015" is taken as 2015-07-01; to 2020-07-01 is 5 * 365 + 2 leap days (2016-02-29,
    2020-02-29) = 1827 days; 1827 / 365.25 = 5.00205... years."""
    assert duration_years(PartialDate.parse("2015"), date(2020, 7, 1)) == pytest.approx(
        1827 / 365.25
    )


def test_duration_of_the_teaching_case():
    """Onset "2013-03" is taken as 2013-03-15; to 2023-03-15 is 3650 + 2 leap days (2016, 2020)
    = 3652 days = 9.9986 years: "10 years into" her disease."""
    years = duration_years(PartialDate.parse("2013-03"), date(2023, 3, 15))
    assert years == pytest.approx(3652 / 365.25)
    assert round(years, 1) == 10.0


def test_duration_from_a_full_date():
    """2020-01-01 to 2021-01-01 is 366 days (leap year 2020): 366 / 365.25 = 1.00205 years."""
    assert duration_years(PartialDate.parse("2020-01-01"), date(2021, 1, 1)) == pytest.approx(
        366 / 365.25
    )


def test_duration_unknown_onset_is_none():
    assert duration_years(None, date(2021, 1, 1)) is None


def test_duration_before_the_midpoint_is_negative_not_clipped():
    """A visit on 2015-03-01 with onset "2015" (taken 2015-07-01): -122 days."""
    assert duration_years(PartialDate.parse("2015"), date(2015, 3, 1)) == pytest.approx(
        -122 / 365.25
    )
