"""Messages for the cross-table rules the database enforces (migration imaging 0002).

A write that slips past validation and trips a trigger still gets a message naming the field.
"""

from __future__ import annotations

from django.db import IntegrityError

RULE_MESSAGES = {
    "lesion_matches_radiograph_and_track": (
        "track",
        "The lesion's track must belong to the radiograph's patient, body region and side.",
    ),
    "visit_consistent_with_patient": (
        "date",
        "A visit cannot be dated before the patient's birth, and its radiographs must be the "
        "same patient's.",
    ),
    "radiograph_consistent_with_patient": (
        "acquired_on",
        "A radiograph cannot be dated before the patient's birth, must belong to the visit's "
        "patient, and must keep its lesions' side and tracks consistent.",
    ),
    "patient_birth_before_records": (
        "birth_date",
        "The birth date cannot be later than the patient's visits or radiographs.",
    ),
    "track_matches_its_lesions": (
        "body_region",
        "A track's patient, body region and side must match its lesions' radiographs.",
    ),
}


def rule_violated(error: IntegrityError) -> tuple[str, str] | None:
    """(field, message) when ``error`` comes from one of the cross-table rules, else None."""
    text = str(error)
    for name, field_message in RULE_MESSAGES.items():
        if name in text:
            return field_message
    return None
