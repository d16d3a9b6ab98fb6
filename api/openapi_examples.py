"""Request examples of the published schema that work as they are against the demo cohort
(``make run``): center codes are the demo's (``demo.cohort.DEMO_CENTERS``), and
tests/api/test_openapi_tags.py posts each one as a clinician of that center."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

EXPORT_REQUEST_EXAMPLES = [
    OpenApiExample(
        "One center's patients (CSV)",
        summary="Patients of one center with anti-centromere antibodies, one CSV row each",
        value={
            "level": "patients",
            "format": "csv",
            "filters": {"center": ["demo-north"], "aca": "positive"},
        },
        request_only=True,
    ),
    OpenApiExample(
        "Every level in one package",
        summary="Patients, visits, radiographs, lesions and progression in one package; the same "
        "project key gives the same pseudonyms in later exports",
        value={
            "level": "all",
            "format": "csv",
            "date_mode": "shift",
            "project_key": "calcinosis-natural-history-2027",
            "filters": {
                "center": ["demo-north"],
                "ssc_subtype": ["limited_cutaneous"],
                "has_calcinosis": True,
            },
        },
        request_only=True,
    ),
    OpenApiExample(
        "Visits, one row per patient and timepoint",
        summary="Visits since 2020 in a wide table, dates as days since the first non-Raynaud "
        "manifestation",
        value={
            "level": "visits",
            "format": "csv_wide",
            "date_mode": "relative",
            "filters": {"center": ["demo-north"], "visit_date_after": "2020-01-01"},
        },
        request_only=True,
    ),
    OpenApiExample(
        "Generalized until k-anonymous",
        summary="Every level, the quasi-identifiers generalized (and the patients still below "
        "k suppressed) until every patient shares them with REGISTRY_EXPORT_K_ANONYMITY - 1 "
        "others; the manifest's re_identification says what changed",
        value={
            "level": "all",
            "format": "csv",
            "generalize": True,
            "filters": {"center": ["demo-north"]},
        },
        request_only=True,
    ),
]
