"""What a researcher may read, filter and order by: allow-lists, never deny-lists.

A researcher reads every center pseudonymized (:mod:`accounts.access`): never a local id, a
birth date beyond its year, or free text (notes, sites, labels, reasons). Each representation
names the fields it shows them here; a field added to a serializer stays hidden from researchers
until it is added below (security review, issue #12, findings 2 and 8). Filters and orderings
follow the same rule: a researcher may only select or sort by what they can read, or a filter
becomes an oracle for the hidden value (bisecting a birth date with ``birth_date_after``).
"""

from __future__ import annotations

from patients.choices import AUTOANTIBODIES
from patients.models import CLASSIFICATION_FIELDS

NOT_AVAILABLE = (
    "Not available to researchers: filters and orderings are limited to fields researchers "
    "can read."
)

# -- Representations (serializer field names; nested ones have their own list) --------------
CENTER = frozenset({"id", "code", "name", "created_at"})
AUTOANTIBODY = frozenset(AUTOANTIBODIES)
CLASSIFICATION = frozenset(CLASSIFICATION_FIELDS)  # booleans; not_applicable_reason is free text
SUBTYPE_ASSESSMENT = frozenset({"assessed_on", "subtype"})
VISIT_SUMMARY = frozenset({"id", "date", "visit_type", "disease_duration_years"})
PATIENT = frozenset(
    {
        "id",
        "registry_id",
        "center",
        "sex",
        "birth_year",
        "ssc_subtype",
        "raynaud_onset",
        "first_non_raynaud_onset",
        "diagnosis_date",
        "autoantibodies",
        "classification",
        "acr_eular_2013_score",
        "meets_acr_eular_2013",
        "disease_duration_years",
        "raynaud_duration_years",
        "created_at",
        "updated_at",
        "subtype_history",
        "visits",
    }
)
VISIT = frozenset(
    {
        "id",
        "patient",
        "date",
        "visit_type",
        "disease_duration_years",
        "raynaud_duration_years",
        "mrss_total",
        "mrss_sites",
        "calcinosis_pain_nrs",
        "calcinosis_pain_vas_mm",
        "ulceration",
        "infection",
        "drainage",
        "chfs_total",
        "digital_ulcer_count",
        "raynaud_attacks_per_day",
        "created_at",
        "updated_at",
    }
)
TREATMENT = frozenset(
    {
        "id",
        "patient",
        "visit",
        "treatment",
        "route",
        "started_on",
        "stopped_on",
        "dose_amount",
        "dose_unit",
        "dose_frequency",
    }
)
RADIOGRAPH = frozenset(
    {
        "id",
        "patient",
        "visit",
        "acquired_on",
        "body_region",
        "laterality",
        "view",
        "pixel_spacing_mm",
        "pixel_spacing_source",
        "pixel_spacing_approximate",
        "modality",
        "rows",
        "columns",
        "created_at",
        "updated_at",
    }
)
FINDING = frozenset({"id", "radiograph", "finding", "digit", "segment", "joint"})
LESION_TRACK = frozenset(
    {
        "id",
        "patient",
        "body_region",
        "laterality",
        "digit",
        "segment",
        "tissue",
        "lesion_count",
        "created_at",
    }
)
LESION = frozenset(
    {
        "id",
        "radiograph",
        "patient",
        "laterality",
        "digit",
        "segment",
        "tissue",
        "longest_diameter_mm",
        "perpendicular_diameter_mm",
        "density",
        "morphology",
        "track",
        "track_assignment",
        "longest_axis_px",
        "perpendicular_axis_px",
        "measurement_source",
        "spacing_source",
        "approximate",
        "created_at",
        "updated_at",
    }
)

# Nested representations: the field of a parent and the allow-list of what it holds.
NESTED = {
    "autoantibodies": AUTOANTIBODY,
    "classification": CLASSIFICATION,
    "subtype_history": SUBTYPE_ASSESSMENT,
    "visits": VISIT_SUMMARY,
}


def allowed_paths(fields: frozenset[str]) -> frozenset[str]:
    """Every dotted key path a representation allow-listed by ``fields`` may hold."""
    paths = set(fields)
    for name in fields & set(NESTED):
        paths |= {f"{name}.{child}" for child in NESTED[name]}
    return frozenset(paths)


# -- Query parameters (filter names as the API spells them, range suffixes included) --------
PATIENT_FILTERS = frozenset(
    {
        "center",
        "ssc_subtype",
        "sex",
        "birth_year",
        "birth_year_min",
        "birth_year_max",
        "disease_duration_min",
        "disease_duration_max",
        "has_calcinosis",
        "meets_acr_eular_2013",
        "diagnosis_date_after",
        "diagnosis_date_before",
        "visit_date_after",
        "visit_date_before",
        "updated_since",
        "registry_id",
        *AUTOANTIBODIES,
    }
)
VISIT_FILTERS = frozenset({"patient", "date_after", "date_before", "visit_type", "updated_since"})
TREATMENT_FILTERS = frozenset({"patient", "visit", "treatment", "active_on"})
RADIOGRAPH_FILTERS = frozenset(
    {
        "patient",
        "visit",
        "acquired_on_after",
        "acquired_on_before",
        "body_region",
        "laterality",
        "view",
        "updated_since",
    }
)
FINDING_FILTERS = frozenset({"radiograph", "patient", "finding"})
LESION_TRACK_FILTERS = frozenset({"patient", "digit", "body_region", "laterality"})
LESION_FILTERS = frozenset(
    {
        "radiograph",
        "track",
        "digit",
        "patient",
        "acquired_on_after",
        "acquired_on_before",
        "segment",
        "tissue",
        "morphology",
        "updated_since",
    }
)
CENTER_FILTERS = frozenset({"code"})
# An export selects cohorts, never a person: no registry id either.
EXPORT_FILTERS = PATIENT_FILTERS - {"registry_id"}

# -- Orderings, by model (``id`` is always allowed) ------------------------------------------
ORDERINGS = {
    "accounts.center": frozenset({"code", "name"}),
    "patients.patient": frozenset({"registry_id", "diagnosis_date", "updated_at", "created_at"}),
    "patients.visit": frozenset({"date", "updated_at"}),
    "patients.calcinosistreatment": frozenset({"started_on", "stopped_on"}),
    "imaging.radiograph": frozenset({"acquired_on", "updated_at"}),
    "imaging.calcinosislesion": frozenset({"longest_diameter_mm", "updated_at"}),
}
