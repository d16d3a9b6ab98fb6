"""The patient list's filters, as the patient list and the cohort page both offer them."""

from __future__ import annotations

from django.http import QueryDict

from patients.choices import AUTOANTIBODIES, SscSubtype

LIST_FILTERS = (
    "ssc_subtype",
    "aca",
    "scl70",
    "rnap3",
    "disease_duration_min",
    "disease_duration_max",
)


def chosen_filters(query: QueryDict, allowed: tuple[str, ...]) -> QueryDict:
    """The allowed parameters that hold a value: a form sends every select, "Any" as an empty
    value, and only chosen filters may reach the filterset."""
    chosen = query.copy()
    for name in list(chosen):
        if name not in allowed or not any(chosen.getlist(name)):
            chosen.pop(name)
    return chosen


def filter_choices() -> dict:
    """What the shared filter fields (clinic/patient_filter_fields.html) offer."""
    return {
        "subtypes": SscSubtype.choices,
        "antibodies": [(key, label) for key, (_field, label) in AUTOANTIBODIES.items()][:3],
    }
