"""The idle timeout and absolute lifetime as plain arithmetic (accounts.session_policy)."""

from accounts.session_policy import (
    IDLE,
    LIFETIME,
    SessionLimits,
    activity_resolution,
    seconds_left,
    session_end_reason,
)

LIMITS = SessionLimits(idle_seconds=1800, max_seconds=12 * 3600)


def test_a_session_active_within_both_limits_goes_on():
    """29 minutes idle, 2 hours old: not ended."""
    assert (
        session_end_reason(now=7200, signed_in_at=0, last_activity=7200 - 1740, limits=LIMITS)
        is None
    )


def test_thirty_idle_minutes_end_a_session():
    """Exactly the idle limit ends it, for idleness."""
    assert session_end_reason(now=5000, signed_in_at=0, last_activity=3200, limits=LIMITS) == IDLE


def test_the_lifetime_ends_an_active_session():
    """12 hours after sign-in, active a second ago: ended by the lifetime."""
    now = 12 * 3600
    assert (
        session_end_reason(now=now, signed_in_at=0, last_activity=now - 1, limits=LIMITS)
        == LIFETIME
    )


def test_seconds_left_is_the_nearer_limit():
    """Idle limit in 10 s, lifetime later: 10; lifetime in 5 s: 5; past: 0."""
    assert seconds_left(now=100, signed_in_at=0, last_activity=100 - 1790, limits=LIMITS) == 10
    now = 12 * 3600 - 5
    assert seconds_left(now=now, signed_in_at=0, last_activity=now, limits=LIMITS) == 5
    assert seconds_left(now=10**6, signed_in_at=0, last_activity=0, limits=LIMITS) == 0


def test_activity_is_written_at_most_once_a_minute_by_default():
    """30-minute idle limit: 60 s between writes; a 10-second limit: every second."""
    assert activity_resolution(LIMITS) == 60
    assert activity_resolution(SessionLimits(idle_seconds=10, max_seconds=60)) == 1
