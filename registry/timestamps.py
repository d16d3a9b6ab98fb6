"""Machine timestamps: ISO 8601 in UTC ending in ``Z``, the one form every instant leaves the
registry in (the API's JSON, stored JSON documents such as a progression's ``computed_at``,
export manifests, the access log's CSV, the subject access report). Local time is for people
(:mod:`registry.formatting`); a machine reading two instants must never meet two offsets.

The API's own fields (DRF) give the same form: :class:`api.utc.UtcDateTimeField` writes every
instant in UTC with ``Z``.
"""

from __future__ import annotations

from datetime import UTC, datetime

NAIVE = "A naive datetime has no instant: give an aware one (USE_TZ is on)."


def utc_iso(value: datetime) -> str:
    """``2026-12-07T17:44:09.123456Z`` (microseconds only when not zero, as DRF writes them)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(NAIVE)
    return value.astimezone(UTC).isoformat().removesuffix("+00:00") + "Z"
