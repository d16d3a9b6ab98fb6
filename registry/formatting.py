"""Dates and numbers as people read them, in the request's format locale (registry.locale).

One place for the clinic's pages and the SVG charts, so that a date or a diameter reads the same
on every page:

- a date: the locale's own date format with the month abbreviated ("Mar 14, 2023" in en,
  "14 Mar 2023" in en-gb, "14. Mär 2023" in de): the month in letters leaves no doubt about the
  day/month order, and the abbreviation keeps tables narrow;
- a time of day: the locale's time with the zone ("Mar 14, 2023, 2:05 p.m. CET");
- a partial date: only what is known ("2013", "Mar 2013", or the full date);
- millimetres: one decimal rounded half-up on the decimal value (12.25 -> 12.3, 12.87 -> 12.9),
  the locale's decimal separator; areas in mm² without decimals.

Machine formats (the API's JSON, CSV, ``<time datetime>``) never come through here.
"""

from __future__ import annotations

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone
from django.utils.formats import date_format, get_format, number_format, time_format

from patients.partial_dates import DAY, MONTH, YEAR, PartialDate
from registry.locale import format_locale

# What the API and the reports write: "2023-03-14", "2023-03-14T13:05:00Z" (or +01:00).
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")
# Month in letters, full (F), AP-style (N) or genitive (E): abbreviated in the medium form.
_FULL_MONTHS = frozenset("FNE")
MONTH_YEAR_FORMAT = "M Y"


def half_up(value: float | Decimal | int, places: int) -> Decimal:
    """``value`` rounded half-up to ``places`` decimals, on its decimal (shortest) writing:
    12.25 -> 12.3 where float rounding (round(12.25, 1) == 12.2) rounds half to even."""
    step = Decimal(1).scaleb(-places)
    return Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP)


def _number(value, places: int) -> str:
    if value is None or value == "":
        return ""
    try:
        rounded = half_up(value, places)
    except (InvalidOperation, ValueError):
        return str(value)
    rounded = abs(rounded) if rounded.is_zero() else rounded  # no "-0.0"
    with format_locale():
        return number_format(rounded, decimal_pos=places, use_l10n=True)


def number_text(value: float | Decimal | int) -> str:
    """A number with the decimals it has, no more ("12.5", "0.75", "25"), locale separator."""
    exact = Decimal(f"{value:g}") if isinstance(value, float) else Decimal(value)
    places = max(-exact.as_tuple().exponent, 0)
    with format_locale():
        return number_format(exact, decimal_pos=places, use_l10n=True)


def mm_text(value: float | Decimal | None) -> str:
    """Millimetres with one decimal, half-up, locale separator ("12.9", "12,9"); "" for None."""
    return _number(value, 1)


def mm2_text(value: float | Decimal | None) -> str:
    """An area in mm², no decimal (half-up); "" for None."""
    return _number(value, 0)


def years_text(value: float | None) -> str:
    """Years with one decimal (disease duration), half-up, locale separator; "" for None."""
    return _number(value, 1)


def medium_date_format(date_format_string: str) -> str:
    """A locale's DATE_FORMAT with its month in letters abbreviated: "N j, Y" -> "M j, Y",
    "j. F Y" -> "j. M Y"; escaped letters (``\\d\\e`` in es, pt) are kept."""
    out, escaped = [], False
    for char in date_format_string:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        else:
            out.append("M" if char in _FULL_MONTHS else char)
    return "".join(out)


def date_text(value: datetime.date | None) -> str:
    """A date in the locale's medium form ("Mar 14, 2023", "14 Mar 2023", "14. Mär 2023")."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    with format_locale():
        return date_format(value, medium_date_format(get_format("DATE_FORMAT")))


def datetime_text(value: datetime.datetime | None) -> str:
    """A moment in the current time zone: date, time and zone ("Mar 14, 2023, 2:05 p.m. CET")."""
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    with format_locale():
        time = time_format(local, "TIME_FORMAT")
        zone = date_format(local, "T") if timezone.is_aware(value) else ""
    return f"{date_text(local.date())}, {time} {zone}".rstrip()


def month_text(value: datetime.date) -> str:
    """Month and year ("Mar 2023", "Mär 2023")."""
    with format_locale():
        return date_format(value, MONTH_YEAR_FORMAT)


def partial_date_text(value: PartialDate | None) -> str:
    """Only what is known: "2013", "Mar 2013" or the full date; "" for None."""
    if value is None:
        return ""
    if value.precision == YEAR:
        return str(value.start.year)
    if value.precision == MONTH:
        return month_text(value.start)
    assert value.precision == DAY
    return date_text(value.start)


def when(value) -> str:
    """A date, a moment (with its time and zone) or a partial date, each in its form; an ISO
    date or moment as text too (the report's stored values). Other values as they are."""
    if isinstance(value, PartialDate):
        return partial_date_text(value)
    if isinstance(value, datetime.datetime):
        return datetime_text(value)
    if isinstance(value, datetime.date):
        return date_text(value)
    if isinstance(value, str):
        try:
            if ISO_DATE.fullmatch(value):
                return date_text(datetime.date.fromisoformat(value))
            if ISO_MOMENT.fullmatch(value):
                return datetime_text(datetime.datetime.fromisoformat(value))
        except ValueError:  # shaped like a date, not one (2023-13-45): as it is
            pass
        return value
    return "" if value is None else str(value)
