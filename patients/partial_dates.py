"""Onset dates known to the year, the month or the day (registries mostly know "about 2015").

Stored as the first day of the period plus its precision. DOMAIN.md's rule for computing with a
partial date: use the middle of the period it names (year only: 1 July; year and month: the 15th).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

YEAR = "year"
MONTH = "month"
DAY = "day"
PRECISIONS = (YEAR, MONTH, DAY)

_PATTERN = re.compile(r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?$")

INVALID_PARTIAL_DATE = "Enter a date as YYYY, YYYY-MM or YYYY-MM-DD."


@dataclass(frozen=True, order=True)
class PartialDate:
    start: date
    precision: str = DAY

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"Unknown precision {self.precision!r}.")
        if self.precision == YEAR and (self.start.month, self.start.day) != (1, 1):
            raise ValueError("A year-precision date starts on 1 January.")
        if self.precision == MONTH and self.start.day != 1:
            raise ValueError("A month-precision date starts on the 1st.")

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Parse ``2015``, ``2015-06`` or ``2015-06-12``; ValueError otherwise."""
        match = _PATTERN.match(text.strip()) if isinstance(text, str) else None
        if not match:
            raise ValueError(INVALID_PARTIAL_DATE)
        year, month, day = match["y"], match["m"], match["d"]
        try:
            if month is None:
                return cls(date(int(year), 1, 1), YEAR)
            if day is None:
                return cls(date(int(year), int(month), 1), MONTH)
            return cls(date(int(year), int(month), int(day)), DAY)
        except ValueError as exc:
            raise ValueError(INVALID_PARTIAL_DATE) from exc

    def isoformat(self) -> str:
        if self.precision == YEAR:
            return f"{self.start.year:04d}"
        if self.precision == MONTH:
            return f"{self.start.year:04d}-{self.start.month:02d}"
        return self.start.isoformat()

    def end(self) -> date:
        """The last day of the period."""
        if self.precision == YEAR:
            return date(self.start.year, 12, 31)
        if self.precision == MONTH:
            last = calendar.monthrange(self.start.year, self.start.month)[1]
            return date(self.start.year, self.start.month, last)
        return self.start

    def midpoint(self) -> date:
        """The date used in computations (DOMAIN.md: year -> 1 July, month -> the 15th)."""
        if self.precision == YEAR:
            return date(self.start.year, 7, 1)
        if self.precision == MONTH:
            return date(self.start.year, self.start.month, 15)
        return self.start

    def __str__(self) -> str:
        return self.isoformat()


def latest_start_with_midpoint_on_or_before(cutoff: date, precision: str) -> date:
    """The latest period start whose midpoint (computation date) is on or before ``cutoff``.

    Lets the database filter on stored period starts: "duration >= N years" means
    "midpoint <= today - N years", i.e. ``start <= latest_start_with_midpoint...(cutoff, p)``
    for each precision p.
    """
    if precision == DAY:
        return cutoff
    if precision == MONTH:
        if cutoff.day >= 15:
            return date(cutoff.year, cutoff.month, 1)
        year, month = (cutoff.year, cutoff.month - 1) if cutoff.month > 1 else (cutoff.year - 1, 12)
        return date(year, month, 1)
    return date(cutoff.year if (cutoff.month, cutoff.day) >= (7, 1) else cutoff.year - 1, 1, 1)
