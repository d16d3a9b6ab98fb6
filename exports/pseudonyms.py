"""Pseudonyms and date transformations of research exports (pure: no Django, no database).

- A patient appears under ``HMAC-SHA256(export key, registry id)``, written in base32. The export
  key is random for each export (so two exports cannot be linked), or derived from a project key
  and the registry's secret (so every export of one project uses the same pseudonyms and date
  offsets, and only the registry can compute them).
- Dates are kept, shifted by the patient's own offset (a whole number of days, never 0, in
  ``[-max_days, max_days]``: every interval between two dates of a patient stays exact), or
  replaced by days since the first non-Raynaud manifestation (the EUSTAR anchor of disease
  duration; a partial onset counts from the middle of its period, DOMAIN.md).
- The birth date leaves as the year when dates are kept (the exact date identifies), shifted
  with the other dates, or as days since the anchor.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

KEEP = "keep"
SHIFT = "shift"
RELATIVE = "relative"
DATE_MODES = (KEEP, SHIFT, RELATIVE)

PSEUDONYM_PREFIX = "P-"
PSEUDONYM_LENGTH = 16  # base32 characters: 80 bits, collisions negligible for any cohort
_PROJECT_LABEL = b"calcinosis-registry/export-project/v1\x1f"
_PATIENT_LABEL = b"patient\x1f"
_OFFSET_LABEL = b"date-offset\x1f"
_UID_LABEL = b"uid\x1f"


def export_key(*, project_key: str = "", registry_secret: bytes) -> bytes:
    """The key of one export: derived from the project key when there is one, else random."""
    if project_key:
        return hmac.new(registry_secret, _PROJECT_LABEL + project_key.encode(), "sha256").digest()
    return secrets.token_bytes(32)


def _mac(key: bytes, label: bytes, value: str) -> bytes:
    return hmac.new(key, label + value.encode(), hashlib.sha256).digest()


def pseudonym(key: bytes, registry_id: str) -> str:
    """``P-`` and 16 base32 characters; stable for one key, unrelated across keys."""
    encoded = base64.b32encode(_mac(key, _PATIENT_LABEL, registry_id)).decode()
    return PSEUDONYM_PREFIX + encoded[:PSEUDONYM_LENGTH]


def date_offset_days(key: bytes, registry_id: str, max_days: int) -> int:
    """A whole number of days in ``[-max_days, -1] U [1, max_days]`` (never 0: a shifted date is
    never the real one), uniform up to a bias below 2**-40."""
    if max_days < 1:
        raise ValueError("max_days must be at least 1")
    value = int.from_bytes(_mac(key, _OFFSET_LABEL, registry_id)[:8], "big") % (2 * max_days)
    return value - max_days if value < max_days else value - max_days + 1


def uid(key: bytes, kind: str, number: str) -> str:
    """A UUID-derived DICOM UID (``2.25.<decimal>``, PS3.5 B.2) for an exported study or series:
    the registry's own (de-identified) UIDs never leave it."""
    value = int.from_bytes(_mac(key, _UID_LABEL + kind.encode() + b"\x1f", number)[:16], "big")
    return f"2.25.{value}"


@dataclass(frozen=True)
class PatientDates:
    """What one patient's dates need: the shift offset and the relative-mode anchor (the
    midpoint of the first non-Raynaud manifestation; None when unknown)."""

    mode: str
    offset_days: int = 0
    anchor: date | None = None

    def __post_init__(self) -> None:
        if self.mode not in DATE_MODES:
            raise ValueError(f"unknown date mode {self.mode!r}")


def transform_date(value: date | None, dates: PatientDates) -> date | int | None:
    """A date as it leaves the registry: itself, shifted, or days since the anchor (None when the
    patient has no known first non-Raynaud manifestation)."""
    if value is None:
        return None
    if dates.mode == KEEP:
        return value
    if dates.mode == SHIFT:
        return value + timedelta(days=dates.offset_days)
    return None if dates.anchor is None else (value - dates.anchor).days


def transform_birth(value: date | None, dates: PatientDates) -> date | int | None:
    """The birth date: its year when dates are kept, otherwise like every other date."""
    if value is None:
        return None
    if dates.mode == KEEP:
        return value.year
    return transform_date(value, dates)
