"""When a signed-in browser session ends: the idle timeout and the absolute lifetime (issue 14).

Plain values only (seconds since the epoch), so the rule is tested without a request; the
middleware (:mod:`accounts.session_timeout`) and the page's notice both ask here.
"""

from __future__ import annotations

from dataclasses import dataclass

IDLE = "idle"
LIFETIME = "lifetime"


@dataclass(frozen=True)
class SessionLimits:
    """Seconds of inactivity, and seconds since sign-in, after which a session ends."""

    idle_seconds: int
    max_seconds: int


def session_end_reason(
    *, now: float, signed_in_at: float, last_activity: float, limits: SessionLimits
) -> str | None:
    """``IDLE`` or ``LIFETIME`` if the session has ended at ``now``, else None. The lifetime
    is checked first: a session past both limits ended by its lifetime."""
    if now - signed_in_at >= limits.max_seconds:
        return LIFETIME
    if now - last_activity >= limits.idle_seconds:
        return IDLE
    return None


def seconds_left(
    *, now: float, signed_in_at: float, last_activity: float, limits: SessionLimits
) -> int:
    """Whole seconds until the session ends by whichever limit comes first (0: it has)."""
    left = min(
        signed_in_at + limits.max_seconds - now,
        last_activity + limits.idle_seconds - now,
    )
    return max(0, int(left))


def activity_resolution(limits: SessionLimits) -> int:
    """Seconds between two writes of the last activity: a session is not written on every
    request, only when the stored time is this old (a thirtieth of the idle limit, 1 to 60 s)."""
    return max(1, min(60, limits.idle_seconds // 30))
