"""Patient, visit and treatment rules: through full_clean (a field-named ValidationError) and
through the raw ORM (the database refuses), so no path can store them."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from patients import validation
from patients.models import CalcinosisTreatment, Patient, SubtypeAssessment, Visit
from patients.mrss import MRSS_SITES
from patients.services import patient_delete, patient_save, treatment_save
from tests.factories import make_center, make_patient, make_visit

pytestmark = pytest.mark.django_db


def field_errors(excinfo) -> dict:
    return excinfo.value.message_dict


def test_score_is_computed_from_items_and_antibodies(center):
    """Sclerodactyly 4 + Raynaud 3 + ACA positive 3 = 10: meets; ACA unknown would give 7."""
    patient = make_patient(
        center, sclerodactyly=True, raynaud_phenomenon=True, antibody_aca="positive"
    )
    assert patient.acr_eular_2013_score == 10
    assert patient.meets_acr_eular_2013 is True
    patient.antibody_aca = "unknown"  # unknown is not positive
    patient_save(patient=patient)
    assert patient.acr_eular_2013_score == 7
    assert patient.meets_acr_eular_2013 is False


def test_not_applicable_needs_a_reason_and_has_no_score(center):
    with pytest.raises(ValidationError) as excinfo:
        make_patient(center, not_applicable=True)
    assert "not_applicable_reason" in field_errors(excinfo)
    patient = make_patient(
        center,
        not_applicable=True,
        not_applicable_reason="eosinophilic fasciitis",
        sclerodactyly=True,
    )
    assert patient.acr_eular_2013_score is None


def test_subtype_history_is_kept(center):
    """A sine scleroderma patient reclassified as limited keeps both dated assessments."""
    patient = make_patient(center, ssc_subtype="sine_scleroderma")
    SubtypeAssessment.objects.filter(patient=patient).update(assessed_on=date(2020, 1, 10))
    patient.ssc_subtype = "limited_cutaneous"
    patient_save(patient=patient, subtype_assessed_on=date(2022, 2, 1))
    history = list(patient.subtype_assessments.values_list("assessed_on", "subtype"))
    assert history == [
        (date(2020, 1, 10), "sine_scleroderma"),
        (date(2022, 2, 1), "limited_cutaneous"),
    ]


def test_local_id_unique_per_center_only(center, other_center):
    make_patient(center, local_id="MRN-1")
    make_patient(other_center, local_id="MRN-1")  # another center may reuse it
    with pytest.raises(ValidationError) as excinfo:
        make_patient(center, local_id="MRN-1")
    assert "__all__" in field_errors(excinfo) or "local_id" in field_errors(excinfo)
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(center=center, local_id="MRN-1", birth_date=date(1970, 1, 1))
    assert Patient.objects.filter(local_id="MRN-1").count() == 2


def test_onset_after_diagnosis(center):
    with pytest.raises(ValidationError) as excinfo:
        make_patient(
            center,
            first_non_raynaud_onset=date(2016, 1, 1),
            first_non_raynaud_onset_precision="year",
            diagnosis_date=date(2015, 5, 1),
        )
    assert field_errors(excinfo)["first_non_raynaud_onset"] == [validation.ONSET_AFTER_DIAGNOSIS]
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(
            center=center,
            local_id="X",
            birth_date=date(1970, 1, 1),
            raynaud_onset=date(2016, 1, 1),
            raynaud_onset_precision="year",
            diagnosis_date=date(2015, 5, 1),
        )


def test_partial_onset_in_the_diagnosis_year_is_allowed(center):
    """Onset "2015" (any time in 2015) with diagnosis 2015-05-01: the period starts before it."""
    patient = make_patient(
        center,
        first_non_raynaud_onset=date(2015, 1, 1),
        first_non_raynaud_onset_precision="year",
        diagnosis_date=date(2015, 5, 1),
    )
    assert patient.onset("first_non_raynaud_onset").isoformat() == "2015"


def test_onset_period_ending_before_birth(center):
    with pytest.raises(ValidationError) as excinfo:
        make_patient(
            center,
            birth_date=date(1960, 11, 2),
            raynaud_onset=date(1959, 1, 1),
            raynaud_onset_precision="year",
        )
    assert field_errors(excinfo)["raynaud_onset"] == [validation.ONSET_ENDS_BEFORE_BIRTH]


def test_precision_must_come_with_the_date(center):
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(
            center=center, local_id="Y", birth_date=date(1970, 1, 1), raynaud_onset=date(2015, 1, 1)
        )


def test_birth_in_the_future(center):
    with pytest.raises(ValidationError) as excinfo:
        make_patient(center, birth_date=timezone.localdate() + timedelta(days=1))
    assert field_errors(excinfo)["birth_date"] == [validation.IN_FUTURE]


def test_visit_before_birth_or_in_the_future(patient):
    with pytest.raises(ValidationError) as excinfo:
        make_visit(patient, date=date(1950, 1, 1))
    assert "before the patient's birth" in field_errors(excinfo)["date"][0]
    with pytest.raises(ValidationError) as excinfo:
        make_visit(patient, date=timezone.localdate() + timedelta(days=1))
    assert field_errors(excinfo)["date"] == [validation.IN_FUTURE]
    with pytest.raises(IntegrityError, match="visit_consistent_with_patient"), transaction.atomic():
        Visit.objects.create(patient=patient, date=date(1950, 1, 1))
    assert not Visit.objects.exists()


def test_birth_date_cannot_move_after_existing_visits(patient):
    make_visit(patient, date=date(2023, 3, 15))
    with pytest.raises(IntegrityError, match="patient_birth_before_records"), transaction.atomic():
        Patient.objects.filter(pk=patient.pk).update(birth_date=date(2024, 1, 1))
    patient.birth_date = date(2024, 1, 1)
    with pytest.raises(ValidationError) as excinfo:
        patient_save(patient=patient)
    assert "birth_date" in field_errors(excinfo)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mrss_total", 52),
        ("calcinosis_pain_nrs", 11),
        ("calcinosis_pain_vas_mm", 101),
        ("chfs_total", 91),
        ("digital_ulcer_count", 51),
        ("raynaud_attacks_per_day", 101),
    ],
)
def test_scores_out_of_range(patient, field, value):
    with pytest.raises(ValidationError) as excinfo:
        make_visit(patient, **{field: value})
    assert field in field_errors(excinfo)
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.create(patient=patient, date=date(2023, 3, 15), **{field: value})


def test_mrss_sites_give_the_total(patient):
    """Fingers 2 + 2 and face 1: total 5."""
    sites = dict.fromkeys(MRSS_SITES, 0) | {"right_fingers": 2, "left_fingers": 2, "face": 1}
    visit = make_visit(patient, mrss_sites=sites)
    assert visit.mrss_total == 5


def test_mrss_total_contradicting_the_sites(patient):
    sites = dict.fromkeys(MRSS_SITES, 1)
    with pytest.raises(ValidationError) as excinfo:
        make_visit(patient, mrss_sites=sites, mrss_total=20)
    assert field_errors(excinfo)["mrss_total"] == [validation.MRSS_TOTAL_MISMATCH.format(total=17)]


def test_mrss_site_out_of_range(patient):
    sites = dict.fromkeys(MRSS_SITES, 0) | {"face": 4}
    with pytest.raises(ValidationError) as excinfo:
        make_visit(patient, mrss_sites=sites)
    assert "mrss_sites" in field_errors(excinfo)


def test_one_baseline_visit(patient):
    make_visit(patient, date=date(2020, 1, 1), visit_type="baseline")
    with pytest.raises(ValidationError):
        make_visit(patient, date=date(2021, 1, 1), visit_type="baseline")
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.create(patient=patient, date=date(2021, 1, 1), visit_type="baseline")


def test_treatment_rules(patient):
    def save(**fields):
        values = {"treatment": "diltiazem", "started_on": date(2022, 1, 1)} | fields
        return treatment_save(treatment=CalcinosisTreatment(patient=patient, **values))

    with pytest.raises(ValidationError) as excinfo:
        save(stopped_on=date(2021, 1, 1))
    assert field_errors(excinfo)["stopped_on"] == [validation.STOP_BEFORE_START]
    with pytest.raises(ValidationError) as excinfo:
        save(route="topical")
    assert field_errors(excinfo)["route"] == [validation.ROUTE_ONLY_THIOSULFATE]
    with pytest.raises(ValidationError) as excinfo:
        save(treatment="other")
    assert field_errors(excinfo)["other_text"] == [validation.NAME_OTHER_TREATMENT]
    assert save(treatment="sodium_thiosulfate", route="intralesional").pk
    with pytest.raises(IntegrityError), transaction.atomic():
        CalcinosisTreatment.objects.create(
            patient=patient,
            treatment="diltiazem",
            started_on=date(2022, 1, 1),
            stopped_on=date(2021, 1, 1),
        )


def test_invalid_choice_refused_by_the_database(patient):
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.filter(pk=patient.pk).update(ssc_subtype="crest")
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.filter(pk=patient.pk).update(antibody_aca="weak")


def test_a_center_with_patients_cannot_be_deleted(patient):
    with pytest.raises(ProtectedError):
        patient.center.delete()


def test_patient_delete_is_explicit_and_audited(patient):
    make_visit(patient)
    with pytest.raises(ValueError):
        patient_delete(patient=patient, reason=" ")
    pk = patient.pk
    patient_delete(patient=patient, reason="duplicate record")
    assert not Patient.objects.filter(pk=pk).exists()
    assert not Visit.objects.filter(patient_id=pk).exists()
    deleted = Patient.history.filter(id=pk, history_type="-").get()
    assert deleted.history_change_reason == "duplicate record"


def test_failed_save_writes_nothing(center):
    """A patient that fails validation leaves no row and no subtype assessment behind."""
    with pytest.raises(ValidationError):
        make_patient(center, birth_date=date(3000, 1, 1))
    assert not Patient.objects.exists()
    assert not SubtypeAssessment.objects.exists()


def test_registry_id_is_opaque(center):
    """Random, not derived from the local identifier, and unique."""
    first = make_patient(center, local_id="MRN-42")
    second = make_patient(make_center(), local_id="MRN-42")
    assert first.registry_id != second.registry_id
    assert "42" not in first.registry_id[4:] or first.registry_id != "SSC-MRN-42"
    assert first.registry_id.startswith("SSC-") and len(first.registry_id) == 12
