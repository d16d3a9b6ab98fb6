"""Small template filters of the clinic app (display only; nothing clinical is computed here
except calling the model's own duration method)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from imaging.track_names import track_name
from progression.models import SnapshotStatus

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
    return value.isoformat() if value else "unknown"


@register.filter
def deposit_name(site, first_seen=None) -> str:
    """A deposit named for people (imaging.track_names): a track, or the API's ``site`` object."""
    return track_name(site.site if hasattr(site, "site") else site, first_seen)
