"""The consent state per scope, worked by hand (pure: no database)."""

from datetime import date

from consent.state import Event, Kind, ScopeState, State, granted, scope_states

SCOPES = ["care", "radiographs", "research", "recontact", "sharing"]


def grant(on, sequence, *scopes, document=1):
    return Event(Kind.GRANT, on, sequence, frozenset(scopes), document)


def withdraw(on, sequence, *scopes):
    return Event(Kind.WITHDRAW, on, sequence, frozenset(scopes))


def test_no_events_is_not_recorded():
    """A patient without records has every scope not recorded."""
    states = scope_states([], SCOPES)
    assert {s.state for s in states.values()} == {State.NOT_RECORDED}
    assert granted(states) == frozenset()


def test_a_signature_grants_its_scopes_only():
    """Signing grants the scopes signed, since that date, under that document."""
    states = scope_states([grant(date(2024, 1, 5), 1, "care", "research", document=7)], SCOPES)
    assert states["research"] == ScopeState(State.GRANTED, date(2024, 1, 5), 7)
    assert states["radiographs"].state == State.NOT_RECORDED
    assert granted(states) == {"care", "research"}


def test_withdrawal_of_one_scope_leaves_the_others():
    """Withdrawing research keeps care and radiographs granted."""
    events = [
        grant(date(2024, 1, 5), 1, "care", "research", "radiographs"),
        withdraw(date(2024, 6, 1), 2, "research"),
    ]
    states = scope_states(events, SCOPES)
    assert states["research"] == ScopeState(State.WITHDRAWN, date(2024, 6, 1), None)
    assert granted(states) == {"care", "radiographs"}


def test_same_day_withdrawal_recorded_after_the_signature_wins():
    """On one day, the event recorded last decides: a withdrawal after a signature."""
    day = date(2024, 3, 3)
    states = scope_states([withdraw(day, 2, "research"), grant(day, 1, "research")], SCOPES)
    assert states["research"].state == State.WITHDRAWN


def test_same_day_reconsent_recorded_after_the_withdrawal_wins():
    """On one day, a signature recorded after a withdrawal grants again."""
    day = date(2024, 3, 3)
    events = [
        grant(date(2024, 1, 1), 1, "research"),
        withdraw(day, 2, "research"),
        grant(day, 3, "research", document=9),
    ]
    assert scope_states(events, SCOPES)["research"] == ScopeState(State.GRANTED, day, 9)


def test_reconsent_after_withdrawal_grants_again_under_the_new_document():
    """A later signature after a withdrawal grants the scope again, with the new document."""
    events = [
        grant(date(2022, 1, 1), 1, "research", "radiographs", document=1),
        withdraw(date(2023, 1, 1), 2, "research", "radiographs"),
        grant(date(2024, 1, 1), 3, "research", document=2),
    ]
    states = scope_states(events, SCOPES)
    assert states["research"] == ScopeState(State.GRANTED, date(2024, 1, 1), 2)
    assert states["radiographs"].state == State.WITHDRAWN


def test_events_apply_by_date_not_by_recording_order():
    """A signature entered late but dated before a withdrawal does not undo the withdrawal."""
    events = [
        grant(date(2024, 1, 1), 1, "research"),
        withdraw(date(2024, 5, 1), 2, "research"),
        grant(date(2024, 2, 1), 3, "research"),
    ]
    assert scope_states(events, SCOPES)["research"].state == State.WITHDRAWN


def test_unknown_scopes_in_events_are_ignored():
    """Only the scopes asked for are reported."""
    states = scope_states([grant(date(2024, 1, 1), 1, "research", "other")], ["research"])
    assert set(states) == {"research"}
