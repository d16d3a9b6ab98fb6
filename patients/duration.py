"""Disease duration (EUSTAR convention): years from the first non-Raynaud manifestation.

Years are days / 365.25. Partial onset dates are taken at the middle of their period
(see :mod:`patients.partial_dates`). Duration from Raynaud onset is reported beside it.
"""

from __future__ import annotations

from datetime import date

from patients.partial_dates import PartialDate

DAYS_PER_YEAR = 365.25


def years_between(start: date, end: date) -> float:
    return (end - start).days / DAYS_PER_YEAR


def duration_years(onset: PartialDate | None, on: date) -> float | None:
    """Years from ``onset`` (at the middle of its period) to ``on``; None if the onset is unknown.

    Negative values are possible when ``on`` falls before the onset's midpoint (e.g. a visit in
    March of an onset year known only to the year); they are returned as computed, not clipped.
    """
    if onset is None:
        return None
    return years_between(onset.midpoint(), on)
