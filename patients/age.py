"""Age in completed years, as a clinic states it ("54"): birthdays count on the day itself.

A person born on 29 February has their birthday on 1 March in common years (the day after
28 February: they have not turned a year older on the 28th).
"""

from __future__ import annotations

from datetime import date


def age_years(birth: date, on: date) -> int:
    """Completed years from ``birth`` to ``on`` (negative if ``on`` precedes the birth)."""
    had_birthday = (on.month, on.day) >= (birth.month, birth.day)
    return on.year - birth.year - (0 if had_birthday else 1)
