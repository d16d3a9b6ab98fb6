"""One table of human messages per database rule (registry.db_rules, issue #16).

Every check and unique constraint of the patients and imaging models, and every cross-table
trigger, has its row; each rule's violation is submitted through the clinic form that can reach
it (the table's sentence next to ITS field, status 200, nothing saved) and through the API (400,
the same sentence and field). Rules no form or no API input can reach are listed with why.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.services import user_add
from api.exception_handler import _convert
from imaging.models import CalcinosisLesion, LesionTrack, RadiographicFinding
from patients.models import CalcinosisTreatment, Patient, Visit
from patients.mrss import MRSS_SITES
from registry.db import save_validated
from registry.db_rules import RULES, rule_violated
from tests import factories
from tests.api.conftest import client_for

TRIGGERS = importlib.import_module("imaging.migrations.0002_cross_table_rules").RULES
SELECT = "a select offers only valid choices (the form answers 'Select a valid choice')"
ENGINE_TRACKS = "tracks are made by the progression engine or chosen from a list, never typed in"
DICOM = "written by the DICOM pipeline only (ingest, preview, burned-in review), no input"
VALIDATION_FIRST = (
    "a trigger: model validation names the precise cause first (its own tests); the sentence "
    "is for writes that bypass validation, see test_an_integrity_error_gets_the_rule_message"
)


def message(rule: str) -> str:
    return RULES[rule].message


# --- the table is complete -------------------------------------------------------------------


def _constraints():
    for app in ("patients", "imaging"):
        for model in apps.get_app_config(app).get_models():
            if model.__name__.startswith("Historical"):
                continue
            for constraint in model._meta.constraints:
                yield model, constraint


def test_every_constraint_says_its_table_message_and_names_a_field():
    seen = set()
    for model, constraint in _constraints():
        rule = RULES[constraint.name]
        assert constraint.violation_error_message == rule.message, constraint.name
        assert constraint.violation_error_code == constraint.name
        names = {f.name for f in model._meta.concrete_fields} | {"pixel_spacing_mm"}
        assert rule.field in names, constraint.name
        seen.add(constraint.name)
    trigger_names = {name for name, *_ in TRIGGERS}
    assert set(RULES) == seen | trigger_names  # no stale row either


def test_full_clean_puts_a_constraint_message_next_to_its_field(patient):
    """Django puts a check constraint's message above the form; the mixin puts it on its field."""
    sites = dict.fromkeys(MRSS_SITES, 1)  # 17 valid site scores, but no total
    visit = Visit(patient=patient, date=date(2023, 1, 5), mrss_sites=sites)
    with pytest.raises(ValidationError) as excinfo:
        visit.full_clean()
    assert excinfo.value.message_dict == {"mrss_total": [message("visit_mrss_sites_give_total")]}
    lesion = CalcinosisLesion(laterality="left", longest_diameter_mm=-1, digit=1, segment="other")
    with pytest.raises(ValidationError) as excinfo:
        lesion.full_clean(exclude=["radiograph"])
    assert excinfo.value.message_dict == {
        "longest_diameter_mm": [message("lesion_longest_diameter_plausible")]
    }
    assert excinfo.value.error_dict["longest_diameter_mm"][0].code == (
        "lesion_longest_diameter_plausible"
    )


# --- through the clinic forms ----------------------------------------------------------------


@dataclass
class FormCase:
    page: str  # "follow_up" or "patient"
    data: dict
    form: tuple[str, int | None]  # context name, row (None: a single form)
    field: str
    setup: Callable | None = None
    saved: Callable = field(default=lambda patient: None)


def _radiograph_row() -> dict:
    return {"radiograph-0-laterality": "left", "radiograph-0-view": "pa"}


def _lesion(**values) -> dict:
    site = {"lesion-0-digit": "1", "lesion-0-segment": "distal_phalanx"}
    return {**_radiograph_row(), **site, **{f"lesion-0-{k}": v for k, v in values.items()}}


def _treatment(**values) -> dict:
    base = {"treatment": "colchicine", "started_on": "2024-01-10"}
    return {f"treatment-0-{k}": v for k, v in {**base, **values}.items()}


VISIT = ("visit_form", None)
FORM_CASES: dict[str, FormCase] = {
    "visit_unique_type_per_day": FormCase(
        "follow_up",
        {},
        VISIT,
        "date",
        setup=lambda p: factories.make_visit(p, date=date(2024, 3, 20)),
    ),
    "visit_one_baseline": FormCase(
        "follow_up",
        {"visit_type": "baseline"},
        VISIT,
        "visit_type",
        setup=lambda p: factories.make_visit(p, date=date(2023, 1, 5), visit_type="baseline"),
    ),
    "visit_mrss_range": FormCase("follow_up", {"mrss_total": "60"}, VISIT, "mrss_total"),
    "visit_pain_nrs_range": FormCase(
        "follow_up", {"calcinosis_pain_nrs": "11"}, VISIT, "calcinosis_pain_nrs"
    ),
    "visit_pain_vas_range": FormCase(
        "follow_up", {"calcinosis_pain_vas_mm": "101"}, VISIT, "calcinosis_pain_vas_mm"
    ),
    "visit_chfs_range": FormCase("follow_up", {"chfs_total": "91"}, VISIT, "chfs_total"),
    "visit_digital_ulcers_range": FormCase(
        "follow_up", {"digital_ulcer_count": "51"}, VISIT, "digital_ulcer_count"
    ),
    "visit_raynaud_range": FormCase(
        "follow_up", {"raynaud_attacks_per_day": "101"}, VISIT, "raynaud_attacks_per_day"
    ),
    "treatment_stop_after_start": FormCase(
        "follow_up", _treatment(stopped_on="2023-01-10"), ("treatments", 0), "stopped_on"
    ),
    "treatment_route_only_thiosulfate": FormCase(
        "follow_up", _treatment(route="topical"), ("treatments", 0), "route"
    ),
    "treatment_other_named": FormCase(
        "follow_up", _treatment(treatment="other"), ("treatments", 0), "other_text"
    ),
    "treatment_dose_complete": FormCase(
        "follow_up", _treatment(dose_amount="-1", dose_unit="mg"), ("treatments", 0),
        "dose_amount",
    ),
    "treatment_none_has_no_dose": FormCase(
        "follow_up", _treatment(treatment="none", dose_amount="10", dose_unit="mg"),
        ("treatments", 0), "dose_amount",
    ),
    "finding_other_described": FormCase(
        "follow_up",
        {**_radiograph_row(), "finding-0-finding": "other"},
        ("findings", 0),
        "notes",
    ),
    "lesion_longest_diameter_plausible": FormCase(
        "follow_up", _lesion(longest_diameter_mm="-3"), ("lesions", 0), "longest_diameter_mm"
    ),
    "lesion_perpendicular_not_longer": FormCase(
        "follow_up",
        _lesion(longest_diameter_mm="5", perpendicular_diameter_mm="8"),
        ("lesions", 0),
        "perpendicular_diameter_mm",
    ),
    "patient_local_id_unique_per_center": FormCase(
        "patient",
        {},
        ("form", None),
        "local_id",
        setup=lambda p: factories.make_patient(p.center, local_id="WEB-1"),
    ),
    "patient_diagnosis_not_before_birth": FormCase(
        "patient", {"diagnosis_date": "1950-01-01"}, ("form", None), "diagnosis_date"
    ),
    "patient_raynaud_onset_not_after_diagnosis": FormCase(
        "patient",
        {"raynaud_onset_text": "2015-06-01", "diagnosis_date": "2010-01-01"},
        ("form", None),
        "raynaud_onset_text",
    ),
    "patient_first_onset_not_after_diagnosis": FormCase(
        "patient",
        {"first_non_raynaud_onset_text": "2015-06", "diagnosis_date": "2010-01-01"},
        ("form", None),
        "first_non_raynaud_onset_text",
    ),
}

NO_FORM: dict[str, str] = {
    **{
        name: SELECT
        for name in RULES
        if name.endswith(("_valid", "_digit_range"))
        and not name.startswith(("track_", "dicominstance_"))
    },
    "patient_local_id_required": "a required form field: 'This field is required.' first",
    "patient_raynaud_onset_precision": "the form sets the precision from the date it parses",
    "patient_first_onset_precision": "the form sets the precision from the date it parses",
    "patient_score_range": "computed by patient_save from the items, not an input",
    "subtype_one_per_day": "assessments are written by patient_save, one per day by design",
    "visit_mrss_sites_give_total": "visit_save sums the 17 sites into the total",
    "radiograph_spacing_complete_and_positive": (
        "the follow-up's one spacing input is bounded (0.001-10 mm) and sets both spacings "
        "and their source together"
    ),
    "radiograph_sop_instance_uid_unique_per_patient": DICOM,
    "lesion_track_assignment_consistent": "lesion_save sets who chose the track",
    "lesion_pixel_measurement_has_points": "lesion_save sets the source from the points",
    **{name: ENGINE_TRACKS for name in RULES if name.startswith("track_") and "_valid" in name},
    "track_digit_range": ENGINE_TRACKS,
    **{name: DICOM for name in RULES if name.startswith("dicominstance_")},
    **{name: VALIDATION_FIRST for name, *_ in TRIGGERS},
}


def test_every_rule_is_submitted_through_a_form_or_explained():
    assert not set(FORM_CASES) & set(NO_FORM)
    assert set(FORM_CASES) | set(NO_FORM) == set(RULES)


@pytest.fixture
def web(client, center):
    """A clinician of center "north", signed in."""
    client.force_login(user_add(email="doc@north.example", center=center, role="clinician"))
    return client


def _follow_up_data(overrides: dict) -> dict:
    data = {
        "date": "2024-03-20",
        "visit_type": "follow_up",
        "ulceration": "unknown",
        "infection": "unknown",
        "drainage": "unknown",
        "treatment-TOTAL_FORMS": "1",
        "treatment-INITIAL_FORMS": "0",
        "radiograph-TOTAL_FORMS": "3",
        "radiograph-INITIAL_FORMS": "0",
        "lesion-TOTAL_FORMS": "3",
        "lesion-INITIAL_FORMS": "0",
        "finding-TOTAL_FORMS": "2",
        "finding-INITIAL_FORMS": "0",
        **{f"radiograph-{i}-body_region": "hand" for i in range(3)},
        **{f"lesion-{i}-radiograph_row": "0" for i in range(3)},
        **{f"finding-{i}-radiograph_row": "0" for i in range(2)},
    }
    return {**data, **overrides}


def _patient_data(center, overrides: dict) -> dict:
    antibodies = ("aca", "scl70", "rnap3", "u1rnp", "pmscl", "thto", "u3rnp")
    data = {
        "center": center.pk,
        "local_id": "WEB-1",
        "sex": "female",
        "birth_date": "1960-11-02",
        "ssc_subtype": "limited_cutaneous",
        **{f"antibody_{name}": "unknown" for name in antibodies},
    }
    return {**data, **overrides}


def _counts() -> tuple[int, ...]:
    models = (Patient, Visit, CalcinosisTreatment, CalcinosisLesion, RadiographicFinding)
    return tuple(model.objects.count() for model in models)


@pytest.mark.django_db
@pytest.mark.parametrize("rule", sorted(FORM_CASES))
def test_form_shows_the_rule_message_next_to_its_field(web, center, rule):
    case = FORM_CASES[rule]
    patient = factories.make_patient(center, local_id="HOST-1")
    if case.setup:
        case.setup(patient)
    before = _counts()
    if case.page == "follow_up":
        url, data = f"/patients/{patient.pk}/follow-up/", _follow_up_data(case.data)
    else:
        url, data = "/patients/new/", _patient_data(center, case.data)
    response = web.post(url, data)
    assert response.status_code == 200
    name, row = case.form
    form = response.context[name] if row is None else response.context[name].forms[row]
    assert form.errors.get(case.field) == [message(rule)], form.errors
    assert not form.non_field_errors()  # next to its field, not above the whole form
    page = response.content.decode()
    assert f'id="{form[case.field].auto_id}-error"' in page  # shown under that input
    assert "row-form has-error" not in page  # the row's other inputs are not outlined
    assert _counts() == before  # nothing saved


# --- through the API ---------------------------------------------------------------------------


@dataclass
class ApiCase:
    url: str
    payload: Callable  # patient -> body
    field: str
    setup: Callable | None = None


NEW_PATIENT = {
    "local_id": "API-1",
    "sex": "female",
    "birth_date": "1960-11-02",
    "ssc_subtype": "limited_cutaneous",
}


def _visit(**values):
    return lambda p: {"patient": p.pk, "date": "2024-03-20", "visit_type": "follow_up", **values}


def _treatment_body(**values):
    return lambda p: {
        "patient": p.pk,
        "treatment": "colchicine",
        "started_on": "2024-01-10",
        **values,
    }


def _lesion_body(**values):
    def body(patient):
        radiograph = factories.make_radiograph(patient)
        site = {"digit": 1, "segment": "distal_phalanx"}
        return {"radiograph": radiograph.pk, **site, **values}

    return body


API_CASES: dict[str, ApiCase] = {
    "patient_local_id_unique_per_center": ApiCase(
        "/api/v1/patients/",
        lambda p: {**NEW_PATIENT, "local_id": p.local_id},
        "local_id",
    ),
    "patient_diagnosis_not_before_birth": ApiCase(
        "/api/v1/patients/",
        lambda p: {**NEW_PATIENT, "diagnosis_date": "1950-01-01"},
        "diagnosis_date",
    ),
    "patient_raynaud_onset_not_after_diagnosis": ApiCase(
        "/api/v1/patients/",
        lambda p: {**NEW_PATIENT, "raynaud_onset": "2015-06", "diagnosis_date": "2010-01-01"},
        "raynaud_onset",
    ),
    "patient_first_onset_not_after_diagnosis": ApiCase(
        "/api/v1/patients/",
        lambda p: {
            **NEW_PATIENT,
            "first_non_raynaud_onset": "2015",
            "diagnosis_date": "2010-01-01",
        },
        "first_non_raynaud_onset",
    ),
    "visit_unique_type_per_day": ApiCase(
        "/api/v1/visits/",
        _visit(),
        "date",
        setup=lambda p: factories.make_visit(p, date=date(2024, 3, 20)),
    ),
    "visit_one_baseline": ApiCase(
        "/api/v1/visits/",
        _visit(visit_type="baseline"),
        "visit_type",
        setup=lambda p: factories.make_visit(p, date=date(2023, 1, 5), visit_type="baseline"),
    ),
    "visit_mrss_range": ApiCase("/api/v1/visits/", _visit(mrss_total=60), "mrss_total"),
    "visit_pain_nrs_range": ApiCase(
        "/api/v1/visits/", _visit(calcinosis_pain_nrs=11), "calcinosis_pain_nrs"
    ),
    "visit_pain_vas_range": ApiCase(
        "/api/v1/visits/", _visit(calcinosis_pain_vas_mm=101), "calcinosis_pain_vas_mm"
    ),
    "visit_chfs_range": ApiCase("/api/v1/visits/", _visit(chfs_total=91), "chfs_total"),
    "visit_digital_ulcers_range": ApiCase(
        "/api/v1/visits/", _visit(digital_ulcer_count=51), "digital_ulcer_count"
    ),
    "visit_raynaud_range": ApiCase(
        "/api/v1/visits/", _visit(raynaud_attacks_per_day=101), "raynaud_attacks_per_day"
    ),
    "treatment_stop_after_start": ApiCase(
        "/api/v1/treatments/", _treatment_body(stopped_on="2023-01-10"), "stopped_on"
    ),
    "treatment_route_only_thiosulfate": ApiCase(
        "/api/v1/treatments/", _treatment_body(route="topical"), "route"
    ),
    "treatment_other_named": ApiCase(
        "/api/v1/treatments/", _treatment_body(treatment="other"), "other_text"
    ),
    "treatment_dose_complete": ApiCase(
        "/api/v1/treatments/", _treatment_body(dose_amount=-1, dose_unit="mg"), "dose_amount"
    ),
    "treatment_none_has_no_dose": ApiCase(
        "/api/v1/treatments/",
        _treatment_body(treatment="none", dose_amount=10, dose_unit="mg"),
        "dose_amount",
    ),
    "finding_other_described": ApiCase(
        "/api/v1/findings/",
        lambda p: {"radiograph": factories.make_radiograph(p).pk, "finding": "other"},
        "notes",
    ),
    "lesion_longest_diameter_plausible": ApiCase(
        "/api/v1/lesions/", _lesion_body(longest_diameter_mm=-3), "longest_diameter_mm"
    ),
    "lesion_perpendicular_not_longer": ApiCase(
        "/api/v1/lesions/",
        _lesion_body(longest_diameter_mm=5, perpendicular_diameter_mm=8),
        "perpendicular_diameter_mm",
    ),
}

NO_API: dict[str, str] = {
    **{
        name: "a choice field: the API answers 'not a valid choice' with the field"
        for name in RULES
        if name.endswith(("_valid", "_digit_range")) and not name.startswith("dicominstance_")
    },
    "patient_local_id_required": "a required field: the API answers 'may not be blank' first",
    "patient_raynaud_onset_precision": "the partial date field sets the precision it parses",
    "patient_first_onset_precision": "the partial date field sets the precision it parses",
    "patient_score_range": "computed by patient_save, read-only",
    "subtype_one_per_day": "assessments are written by patient_save, read-only in the API",
    "visit_mrss_sites_give_total": "visit_save sums the 17 sites into the total",
    "radiograph_spacing_complete_and_positive": (
        "pixel_spacing_mm checks its own shape and bounds and the source is set with it"
    ),
    "radiograph_sop_instance_uid_unique_per_patient": DICOM,
    "lesion_track_assignment_consistent": "read-only: lesion_save sets it from the track",
    "lesion_pixel_measurement_has_points": "read-only: lesion_save sets it from the points",
    **{name: DICOM for name in RULES if name.startswith("dicominstance_")},
    **{name: VALIDATION_FIRST for name, *_ in TRIGGERS},
}


def test_every_rule_is_submitted_through_the_api_or_explained():
    assert not set(API_CASES) & set(NO_API)
    assert set(API_CASES) | set(NO_API) == set(RULES)


@pytest.mark.django_db
@pytest.mark.parametrize("rule", sorted(API_CASES))
def test_api_answers_the_rule_message_with_its_field(center, rule):
    case = API_CASES[rule]
    api = client_for(user_add(email="api@north.example", center=center, role="clinician"))
    patient = factories.make_patient(center, local_id="HOST-1")
    if case.setup:
        case.setup(patient)
    body = case.payload(patient)
    before = _counts()
    response = api.post(case.url, body, format="json")
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert {"field": case.field, "message": message(rule)} in [
        {"field": e["field"], "message": e["message"]} for e in errors
    ], errors
    assert _counts() == before


# --- an integrity error that slipped past validation ------------------------------------------


@pytest.mark.django_db
def test_an_integrity_error_gets_the_rule_message(center):
    """A trigger (cross-table) and a check constraint, tripped by writes that bypass validation:
    save_validated and the API's exception handler say the table's sentence on its field."""
    patient, other = factories.make_patient(center), factories.make_patient(center)
    track = factories.make_track(patient)
    factories.make_lesion(factories.make_radiograph(patient), track=track)
    with pytest.raises(IntegrityError) as trigger, transaction.atomic():
        LesionTrack.objects.filter(pk=track.pk).update(patient=other)
    with pytest.raises(IntegrityError) as check, transaction.atomic():
        CalcinosisLesion.objects.create(
            radiograph=factories.make_radiograph(patient, acquired_on=date(2023, 4, 1)),
            laterality="left",
            longest_diameter_mm=-2,
        )
    for error, rule in (
        (trigger.value, "track_matches_its_lesions"),
        (check.value, "lesion_longest_diameter_plausible"),
    ):
        assert rule_violated(error) == RULES[rule]
        assert _convert(error).detail == {RULES[rule].field: [message(rule)]}


@pytest.mark.django_db
def test_save_validated_names_the_field_of_a_trigger(center, monkeypatch):
    """A race past validation (here: clean() skipped) ends as a field error, not a 500."""
    patient = factories.make_patient(center)
    visit = Visit(patient=patient, date=date(1950, 1, 1))  # before birth: the trigger's rule
    monkeypatch.setattr(Visit, "clean", lambda self: None)
    monkeypatch.setattr(Visit, "clean_fields", lambda self, exclude=None: None)
    with pytest.raises(ValidationError) as excinfo:
        save_validated(visit)
    assert excinfo.value.message_dict == {"date": [message("visit_consistent_with_patient")]}
    assert not Visit.objects.exists()


def test_a_rule_name_counts_only_as_a_whole_word():
    """'patient_subtype_valid' holds 'subtype_valid': the longer, whole name wins."""
    error = IntegrityError("CHECK constraint failed: patient_subtype_valid")
    assert rule_violated(error) == RULES["patient_subtype_valid"]
    assert (
        rule_violated(IntegrityError("CHECK constraint failed: subtype_valid"))
        == RULES["subtype_valid"]
    )
    assert rule_violated(IntegrityError("UNIQUE constraint failed: x.y")) is None
