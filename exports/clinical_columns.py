"""The clinical detail of the patients and visits levels (issue 17): a visit's measures with their
scales, the 17 mRSS site scores, the items of the 2013 ACR/EULAR criteria, and the date of the
latest consent per scope. Described from the model fields and the registry's constants
(:data:`patients.mrss.MRSS_SITES`, :class:`consent.models.Scope`), never from a hand-kept list;
:mod:`exports.levels` places them in its levels. SQL alias ``cd``: the consent dates joined to
the patients query (:data:`exports.sql.SOURCES`).
"""

from __future__ import annotations

from dataclasses import replace

from consent.models import SCOPE_FIELDS, ConsentRecord, PatientConsentState, Scope
from exports import codes
from exports.columns import BOOLEAN, DATE, DATE_VALUE, INTEGER, JSON_INTEGER, Column, from_field
from patients.choices import AUTOANTIBODIES, CRITERIA_ANTIBODIES, AntibodyResult
from patients.classification import (
    CLASSIFICATION_THRESHOLD,
    ClassificationItems,
    acr_eular_2013_score,
)
from patients.models import CLASSIFICATION_FIELDS, Patient, Visit
from patients.mrss import MRSS_SITE_MAX, MRSS_SITES

CRITERIA = (
    "2013 ACR/EULAR classification criteria (van den Hoogen et al., Arthritis Rheum "
    "2013;65:2737)"
)
BOTH_PAIN_SCALES = (
    "A visit records pain on the NRS, on the VAS or on both, each in its own column; a value is "
    "never converted from one scale to the other."
)
# Each measure: its UCUM unit, a label saying its scale where the field's name does not (None:
# the field's verbose name already says it; "range": the name with the validators' range), and
# what it is (DOMAIN.md, "Symptoms and outcomes at a visit").
VISIT_MEASURES = [
    ("mrss_total", codes.SCORE, "range",
     "Modified Rodnan skin score (Clements et al. 1993): the sum of the 17 site scores (0-3 "
     "each), recorded as a total or computed from the sites (the mrss_<site> columns)."),
    ("calcinosis_pain_nrs", codes.SCORE, None,
     "Calcinosis pain on the 0-10 numeric rating scale (NRS), higher is worse. "
     f"{BOTH_PAIN_SCALES}"),
    ("calcinosis_pain_vas_mm", codes.MM, None,
     "Calcinosis pain on the 0-100 mm visual analogue scale (VAS), higher is worse. "
     f"{BOTH_PAIN_SCALES}"),
    ("ulceration", "", None,
     "Ulceration of the skin over a calcinosis deposit; empty = not assessed. The site (free "
     "text) is not exported."),
    ("infection", "", None,
     "Infection of a calcinosis deposit; empty = not assessed. The site is not exported."),
    ("drainage", "", None,
     "Drainage or extrusion of chalky material from a deposit; empty = not assessed. The site is "
     "not exported."),
    ("chfs_total", codes.SCORE, "range",
     "Cochin Hand Function Scale (CHFS): 18 items, total 0-90, higher is worse."),
    ("digital_ulcer_count", codes.COUNT, "digital ulcers (current count)",
     "Digital ulcers present at the visit."),
    ("raynaud_attacks_per_day", codes.PER_DAY, None,
     "Raynaud attacks per day, as the patient reports them (one decimal)."),
]
MRSS_SITE_LABEL = "mRSS site: {site}"


def visit_measure_columns() -> list[Column]:
    """The visit's skin score, its 17 sites right after the total, and the symptoms."""
    columns = []
    for name, unit, label, description in VISIT_MEASURES:
        column = from_field(Visit, name, sql=f"v.{name}", unit=unit, description=description)
        if label == "range":
            label = f"{column.label} ({column.allowed})"
        columns.append(replace(column, label=label or column.label))
        if name == "mrss_total":
            columns += mrss_site_columns()
    return columns


def mrss_site_columns() -> list[Column]:
    """One integer column per mRSS site, read from the visit's ``mrss_sites`` JSON; the import
    writes the 17 back into it together (:mod:`exports.imports.rows`)."""
    sites = Visit._meta.get_field("mrss_sites")
    return [
        Column(
            f"mrss_{site}",
            INTEGER,
            MRSS_SITE_LABEL.format(site=site.replace("_", " ")),
            sql=f"v.{sites.column}",
            how=JSON_INTEGER,
            json_key=site,
            unit=codes.SCORE,
            allowed=f"0-{MRSS_SITE_MAX}; empty = the sites were not recorded",
            description=f"One of the {len(MRSS_SITES)} {sites.verbose_name} (0 normal to "
            f"{MRSS_SITE_MAX} severe thickening); all {len(MRSS_SITES)} or none are given, and "
            "they sum to mrss_total. Empty when only the total was recorded.",
            imports_to=sites.name,
        )
        for site in MRSS_SITES
    ]


def classification_columns() -> list[Column]:
    """Every item of the criteria (``CLASSIFICATION_FIELDS``, "criteria not applicable"
    included), then the autoantibody item, which the score derives from the antibodies."""
    items = []
    for name in CLASSIFICATION_FIELDS:
        help_text = str(Patient._meta.get_field(name).help_text or "")
        items.append(from_field(
            Patient, name, sql=f"p.{name}",
            description=help_text or f"Item of the {CRITERIA}; the score counts the highest "
            "weight present within each item.",
        ))
    fields = [AUTOANTIBODIES[key] for key in CRITERIA_ANTIBODIES]
    positive = " OR ".join(f"p.{field} = '{AntibodyResult.POSITIVE}'" for field, _label in fields)
    items.append(Column(
        "ssc_autoantibody",
        BOOLEAN,
        "SSc-related autoantibody (criteria item)",
        sql=f"({positive})",
        allowed="true; false",
        description=f"Item of the {CRITERIA}: {', '.join(label for _f, label in fields)} "
        "positive (any number). Computed from the antibody columns (unknown counts as not "
        "positive, as in the score); not imported.",
    ))
    return [*items, *_score_columns()]


def _score_columns() -> list[Column]:
    """The score and whether it classifies: computed by the registry, never imported."""
    present = {name: True for name in ClassificationItems.__dataclass_fields__}
    highest = acr_eular_2013_score(ClassificationItems(**{**present, "not_applicable": False}))
    score = from_field(
        Patient, "acr_eular_2013_score", sql="p.acr_eular_2013_score", unit=codes.SCORE,
        imports=False,
        description=f"Score of the {CRITERIA}, computed from the items (the highest weight "
        "present within each); empty when the criteria do not apply.",
    )
    return [
        replace(score, allowed=f"0-{highest}; empty = criteria not applicable"),
        Column(
            "meets_acr_eular_2013",
            BOOLEAN,
            "meets the 2013 ACR/EULAR criteria",
            sql=f"(p.acr_eular_2013_score >= {CLASSIFICATION_THRESHOLD})",
            allowed="true; false; empty = criteria not applicable",
            description=f"Score >= {CLASSIFICATION_THRESHOLD} classifies as SSc.",
        ),
    ]


CONSENT_DATES = "cd"  # the alias of :func:`consent_dates_source` in the patients query


def consent_dates_source(patient_map: str) -> str:
    """Each mapped patient's granted scopes, one column per scope holding its ``since``: the
    date of the latest consent record granting it, from the stored consent state
    (:mod:`consent.state` orders same-day signatures and withdrawals by when they were
    recorded: that rule lives there only). A join on an aggregate rather than a correlated
    subquery per scope: on 50,000 patients it added 0.4 s to the patients COPY, the five
    subqueries 2.9 s (one index probe per patient and scope)."""
    state = PatientConsentState._meta.db_table
    pivot = ", ".join(
        f"MAX(CASE WHEN scope = '{scope}' THEN since END) AS granted_{scope}"
        for scope in Scope.values
    )
    return (
        f"(SELECT patient_id, {pivot} FROM {state} "
        f"WHERE state = '{PatientConsentState.State.GRANTED}' "
        f"AND patient_id IN (SELECT patient_id FROM {patient_map}) GROUP BY patient_id)"
    )


def consent_date_columns() -> list[Column]:
    """Per scope, the date of the latest consent granting it (:func:`consent_dates_source`);
    a patient's date like the others, so it follows the date mode."""
    return [
        Column(
            f"consent_{scope}_date",
            DATE,
            f"latest consent to {ConsentRecord._meta.get_field(SCOPE_FIELDS[scope]).verbose_name}",
            sql=f"{CONSENT_DATES}.granted_{scope}",
            how=DATE_VALUE,
            relative_name=f"consent_{scope}_day",
            description="The signing date of the patient's latest consent record granting this "
            "scope. A later withdrawal of the scope empties it (the column gives the consent in "
            "force when the export ran; a new consent record after the withdrawal fills it "
            "again with its own date). Empty when the scope was never granted. Never imported; "
            "not in researchers' exports (they do not read consent records).",
            for_researchers=False,
        )
        for scope in Scope.values
    ]
