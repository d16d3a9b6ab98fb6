"""Age in completed years (patients.age): pure, birthdays worked by hand."""

from datetime import date

import pytest

from patients.age import age_years


@pytest.mark.parametrize(
    ("birth", "on", "years"),
    [
        (date(1960, 11, 2), date(2024, 11, 1), 63),  # the day before the birthday
        (date(1960, 11, 2), date(2024, 11, 2), 64),  # on the birthday
        (date(1960, 11, 2), date(2024, 12, 31), 64),
        (date(2000, 2, 29), date(2023, 2, 28), 22),  # born on 29 Feb: not yet on 28 Feb
        (date(2000, 2, 29), date(2023, 3, 1), 23),
        (date(2000, 2, 29), date(2024, 2, 29), 24),
        (date(2024, 5, 1), date(2024, 5, 1), 0),
    ],
)
def test_age_in_completed_years(birth, on, years):
    assert age_years(birth, on) == years
