"""Small template filters of the clinic app (display only; nothing clinical is computed here
except calling the model's own duration method)."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils import timezone

from imaging.track_names import track_name
from patients.age import age_years
from progression.models import SnapshotStatus
from registry import formatting
from registry.locale import format_language

register = template.Library()
STATUS_LABELS = dict(SnapshotStatus.choices)
# A deposit's own statuses (per observation) read differently from a patient's.
OBSERVATION_LABELS = {
    "baseline": "Baseline",
    "new": "New",
    "progressed": "Progressed",
    "regressed": "Regressed",
    "stable": "Stable",
    "resolved": "Resolved",
}


@register.filter
def words(value: str) -> list[str]:
    return value.split()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def duration_today(patient) -> float | None:
    return patient.disease_duration_years(timezone.localdate())


@register.filter
def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


@register.filter
def observation_label(status: str) -> str:
    return OBSERVATION_LABELS.get(status, status.replace("_", " ").capitalize())


@register.filter
def humanize_code(value: str) -> str:
    """``distal_phalanx`` -> ``distal phalanx``."""
    return (value or "").replace("_", " ")


@register.filter
def get_field(form, name: str):
    return form[name]


@register.filter
def onset(patient, field: str) -> str:
    value = patient.onset(field)
    return formatting.partial_date_text(value) if value else "unknown"


@register.filter
def deposit_name(site, first_seen=None) -> str:
    """A deposit named for people (imaging.track_names): a track, or the API's ``site`` object."""
    return track_name(site.site if hasattr(site, "site") else site, first_seen)


# --- Dates and numbers in the request's locale (registry.formatting) -------------------------
@register.filter
def when(value) -> str:
    """A date ("Mar 14, 2023"), a moment with its time and zone, or a partial date."""
    return formatting.when(value)


@register.filter
def day(value) -> str:
    """The date alone of a moment, in the current time zone ("Mar 14, 2023")."""
    return formatting.date_text(value)


@register.filter
def partial_date(value) -> str:
    """A PartialDate as known: "2013", "Mar 2013" or the full date."""
    return formatting.partial_date_text(value)


@register.filter
def mm(value) -> str:
    """Millimetres: one decimal, half-up, the locale's separator (12.87 -> "12.9")."""
    return formatting.mm_text(value)


@register.filter
def mm2(value) -> str:
    """Square millimetres, no decimal."""
    return formatting.mm2_text(value)


@register.filter
def years(value) -> str:
    """Years with one decimal (disease duration)."""
    return formatting.years_text(value)


@register.filter
def age(birth_date) -> str:
    """Age in completed years today ("54"); "" without a birth date."""
    return "" if birth_date is None else str(age_years(birth_date, timezone.localdate()))


@register.simple_tag
def now_when() -> str:
    """This moment, with its time and zone ("Mar 14, 2023, 2:05 p.m. CET")."""
    return formatting.datetime_text(timezone.now())


@register.simple_tag
def format_locale() -> str:
    """The request's format locale ("de", "en-gb"), for scripts that format numbers too."""
    return format_language() or settings.LANGUAGE_CODE
