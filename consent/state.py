"""A patient's consent state per scope, computed from their consent records and withdrawals.

Pure (no Django): the services store the result (consent.models.PatientConsentState) in the
same transaction as the record that changed it, so the access rule can query it.

Rules (docs/governance.md, "Consent"):
- events apply in the order of their date; on the same date, in the order they were recorded
  (a withdrawal recorded after a same-day signature wins, and a re-consent recorded after a
  same-day withdrawal wins);
- a signature grants its scopes (a later one replaces the document in force for them), a
  withdrawal withdraws its scopes only;
- a scope no event names is "not recorded".
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


class State(enum.StrEnum):
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"
    NOT_RECORDED = "not_recorded"


class Kind(enum.StrEnum):
    GRANT = "grant"
    WITHDRAW = "withdraw"


@dataclass(frozen=True)
class Event:
    """One signature (grant) or withdrawal; ``sequence`` orders events recorded on one day."""

    kind: Kind
    on: date
    sequence: int
    scopes: frozenset[str]
    document_id: int | None = None


@dataclass(frozen=True)
class ScopeState:
    """A scope's state, since when, and (granted) the document in force."""

    state: State
    since: date | None = None
    document_id: int | None = None


NOT_RECORDED = ScopeState(State.NOT_RECORDED)


def scope_states(events: Iterable[Event], scopes: Iterable[str]) -> dict[str, ScopeState]:
    """Each of ``scopes``' state after ``events``."""
    states = {scope: NOT_RECORDED for scope in scopes}
    for event in sorted(events, key=lambda e: (e.on, e.sequence)):
        for scope in event.scopes & states.keys():
            if event.kind == Kind.GRANT:
                states[scope] = ScopeState(State.GRANTED, event.on, event.document_id)
            else:
                states[scope] = ScopeState(State.WITHDRAWN, event.on, None)
    return states


def granted(states: dict[str, ScopeState]) -> frozenset[str]:
    """The scopes currently granted."""
    return frozenset(scope for scope, one in states.items() if one.state == State.GRANTED)
