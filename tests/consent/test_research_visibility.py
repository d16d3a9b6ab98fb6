"""Researchers see only patients whose consent allows research use, and radiograph-bound rows
only with the radiographs scope: API lists, details, counts, cohort statistics, exports (every
level and the manifest's count), DICOM and preview downloads. Clinicians see everyone."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from django.db import connection

from accounts.access import consent_sql, research_consented
from accounts.services import user_add
from consent.services import consent_withdraw
from patients.models import Patient
from tests import factories
from tests.api.conftest import client_for
from tests.exports.test_api import download, request_export

pytestmark = pytest.mark.django_db


def _imaged_patient(center, *, consent, scopes=factories.RESEARCH_CONSENT):
    patient = factories.make_patient(center, consent=False)
    if consent:
        factories.record_consent(patient, scopes=scopes)
    visit = factories.make_visit(patient)
    radiograph = factories.make_radiograph(patient, visit=visit)
    track = factories.make_track(patient)
    factories.make_lesion(radiograph, track=track)
    return patient


@pytest.fixture
def world(settings):
    """Five consented patients, one without any record, one with research but no radiographs."""
    settings.REGISTRY_MIN_CELL_SIZE = 1
    center = factories.make_center("consent-a", "Consent clinic")
    consented = [_imaged_patient(center, consent=True) for _ in range(5)]
    unrecorded = _imaged_patient(center, consent=False)
    no_images = _imaged_patient(center, consent=True, scopes=["care", "research"])
    researcher = client_for(user_add(email="r@consent.example", center=center, role="researcher"))
    clinician = client_for(user_add(email="c@consent.example", center=center, role="clinician"))
    return {
        "center": center,
        "consented": consented,
        "unrecorded": unrecorded,
        "no_images": no_images,
        "researcher": researcher,
        "clinician": clinician,
    }


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    return {row["id"] for row in body.get("results", body)}


def test_patient_list_and_count_leave_out_unconsented(world):
    """The list holds only patients with research consent (counts: the cohort test)."""
    response = world["researcher"].get("/api/v1/patients/")
    expected = {p.pk for p in world["consented"]} | {world["no_images"].pk}
    assert _ids(response) == expected


def test_clinicians_see_every_patient_whatever_the_consent(world):
    """Care: the center's clinicians see all their patients."""
    response = world["clinician"].get("/api/v1/patients/")
    assert world["unrecorded"].pk in _ids(response)


def test_patient_detail_is_404_without_consent(world):
    """A patient without research consent is a 404 for researchers."""
    assert world["researcher"].get(f"/api/v1/patients/{world['unrecorded'].pk}/").status_code == 404
    visits = world["researcher"].get(f"/api/v1/patients/{world['unrecorded'].pk}/visits/")
    assert visits.status_code == 404


@pytest.mark.parametrize("collection", ["visits", "radiographs", "lesions", "lesion-tracks"])
def test_patient_bound_lists_leave_out_unconsented(world, collection):
    """No visit, radiograph, lesion or track of a patient without research consent."""
    response = world["researcher"].get(f"/api/v1/{collection}/")
    assert response.status_code == 200
    patients = {row.get("patient") for row in response.json()["results"]}
    assert world["unrecorded"].pk not in patients


@pytest.mark.parametrize("collection", ["radiographs", "lesion-tracks"])
def test_radiograph_rows_need_the_radiographs_scope(world, collection):
    """Research without radiographs: the patient is listed, their radiographs and tracks not."""
    response = world["researcher"].get(f"/api/v1/{collection}/")
    patients = {row["patient"] for row in response.json()["results"]}
    assert world["no_images"].pk not in patients
    assert world["consented"][0].pk in patients


def test_lesions_need_the_radiographs_scope(world):
    """Lesions measured on radiographs follow the radiographs scope."""
    hidden = set(world["no_images"].radiographs.values_list("lesions__pk", flat=True))
    shown = set(world["consented"][0].radiographs.values_list("lesions__pk", flat=True))
    ids = _ids(world["researcher"].get("/api/v1/lesions/"))
    assert not hidden & ids
    assert shown <= ids


@pytest.mark.parametrize("suffix", ["dicom", "preview.png?size=thumb"])
def test_dicom_and_preview_downloads_404_without_radiographs_scope(world, suffix):
    """The image routes answer 404 (not 'no DICOM file') for a radiograph without the scope."""
    radiograph = world["no_images"].radiographs.get()
    response = world["researcher"].get(f"/api/v1/radiographs/{radiograph.pk}/{suffix}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] != "no_dicom"
    consented = world["consented"][0].radiographs.get()
    response = world["researcher"].get(f"/api/v1/radiographs/{consented.pk}/{suffix}")
    assert response.json()["errors"][0]["code"] == "no_dicom"


def test_cohort_statistics_count_only_consented_patients(world):
    """Cohort progression statistics hold patients with research and radiographs consent."""
    response = world["researcher"].get("/api/v1/cohort/progression/")
    assert response.status_code == 200
    assert response.json()["patients"] == len(world["consented"])
    clinician = world["clinician"].get("/api/v1/cohort/progression/").json()
    assert clinician["patients"] == len(world["consented"]) + 2


def test_patient_progression_needs_the_radiographs_scope(world):
    """A patient's progression (read off radiographs) is 404 without the radiographs scope."""
    url = f"/api/v1/patients/{world['no_images'].pk}/progression/"
    assert world["researcher"].get(url).status_code == 404
    assert world["clinician"].get(url).status_code == 200


def test_has_calcinosis_filter_ignores_patients_without_radiographs_scope(world):
    """Filtering on calcinosis tells nothing about patients whose radiographs are withheld."""
    with_ = _ids(world["researcher"].get("/api/v1/patients/?has_calcinosis=true"))
    without = _ids(world["researcher"].get("/api/v1/patients/?has_calcinosis=false"))
    assert world["no_images"].pk not in with_ | without


def test_withdrawal_takes_effect_at_once(world):
    """After a withdrawal, the very next request no longer shows the patient."""
    patient = world["consented"][0]
    assert world["researcher"].get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    consent_withdraw(
        patient=patient, withdrawn_on=date.today(), scopes=["research"], recorded_by=None
    )
    assert world["researcher"].get(f"/api/v1/patients/{patient.pk}/").status_code == 404


def test_not_recorded_maps_to_allowed_when_set(world, settings):
    """REGISTRY_CONSENT_NOT_RECORDED_RESEARCH=True shows patients without any record."""
    settings.REGISTRY_CONSENT_NOT_RECORDED_RESEARCH = True
    ids = _ids(world["researcher"].get("/api/v1/patients/"))
    assert world["unrecorded"].pk in ids
    radiographs = world["researcher"].get("/api/v1/radiographs/").json()["results"]
    assert world["unrecorded"].pk in {row["patient"] for row in radiographs}
    assert world["no_images"].pk not in {row["patient"] for row in radiographs}


def test_a_patient_never_asked_can_object_and_is_then_left_out(world, settings):
    """Regression (review): with not-recorded allowed for research, a patient with no record
    could not object (only granted scopes could be withdrawn); the objection is a withdrawal
    and the patient counts as recorded from then on, in the API and in the exports' SQL."""
    settings.REGISTRY_CONSENT_NOT_RECORDED_RESEARCH = True
    unrecorded = world["unrecorded"]
    consent_withdraw(
        patient=unrecorded, withdrawn_on=date.today(), scopes=["research"], recorded_by=None
    )
    assert unrecorded.pk not in _ids(world["researcher"].get("/api/v1/patients/"))
    assert not research_consented(Patient.objects.filter(pk=unrecorded.pk)).exists()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM patients_patient p WHERE p.id = %s AND "
            f"{consent_sql('p.id', frozenset({'research'}))}",
            [unrecorded.pk],
        )
        assert cursor.fetchone() == (0,)


def test_not_recorded_maps_to_refused_by_default(world):
    """By default a patient without any record is invisible to researchers."""
    assert world["unrecorded"].pk not in _ids(world["researcher"].get("/api/v1/patients/"))


def test_consent_rule_off(world, settings):
    """REGISTRY_CONSENT_REQUIRED_FOR_RESEARCH=False: researchers see every patient."""
    settings.REGISTRY_CONSENT_REQUIRED_FOR_RESEARCH = False
    assert world["unrecorded"].pk in _ids(world["researcher"].get("/api/v1/patients/"))


def _export(world, capture, level, fmt="csv"):
    response = request_export(
        world["researcher"], capture, level=level, format=fmt, date_mode="keep"
    )
    assert response.status_code == 202, response.content[:300]
    archive = download(world["researcher"], response.json()["id"])
    manifest = json.loads(archive.read("manifest.json"))
    data = next(n for n in archive.namelist() if n.startswith(level))
    rows = list(csv.DictReader(io.StringIO(archive.read(data).decode("utf-8-sig"))))
    return manifest, rows


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("patients", 6),
        ("visits", 6),
        ("radiographs", 5),
        ("lesions", 5),
        ("progression_timepoints", None),
    ],
)
def test_research_exports_leave_out_for_consent(
    world, django_capture_on_commit_callbacks, level, expected
):
    """Each level: patients without research consent left out, radiograph-bound rows of
    patients without the radiographs scope too; the manifest counts both, nothing more."""
    manifest, rows = _export(world, django_capture_on_commit_callbacks, level)
    assert manifest["patients"] == 6
    assert manifest["left_out_for_consent"] == {"patients": 1, "radiographs_of_patients": 1}
    if expected is not None:
        assert len(rows) == expected
    else:  # progression: only patients whose radiographs are exported have series
        assert len({next(iter(row.values())) for row in rows}) == 5


def test_research_export_has_calcinosis_unknown_without_radiographs(
    world, django_capture_on_commit_callbacks
):
    """The patient level's has_calcinosis is empty for the patient whose radiographs are out."""
    _manifest, rows = _export(world, django_capture_on_commit_callbacks, "patients")
    values = sorted(row["has_calcinosis"] for row in rows)
    assert values == ["", "true", "true", "true", "true", "true"]


def test_withdrawal_counts_for_the_next_export(world, django_capture_on_commit_callbacks):
    """An export written after a withdrawal leaves the patient out."""
    consent_withdraw(
        patient=world["consented"][0],
        withdrawn_on=date.today(),
        scopes=["research"],
        recorded_by=None,
    )
    manifest, rows = _export(world, django_capture_on_commit_callbacks, "patients")
    assert len(rows) == 5
    assert manifest["left_out_for_consent"]["patients"] == 2


def test_clinician_exports_are_not_filtered_by_consent(world, django_capture_on_commit_callbacks):
    """A clinician's export holds every patient of the center (no consent count)."""
    response = request_export(
        world["clinician"],
        django_capture_on_commit_callbacks,
        level="patients",
        format="csv",
        date_mode="shift",
    )
    archive = download(world["clinician"], response.json()["id"])
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["patients"] == 7
    assert manifest["left_out_for_consent"] is None


def test_small_left_out_counts_are_suppressed(world, settings, django_capture_on_commit_callbacks):
    """Regression (review): one patient left out is itself a disclosure under narrow filters;
    counts from 1 to REGISTRY_MIN_CELL_SIZE - 1 are null, as in the cohort statistics."""
    settings.REGISTRY_MIN_CELL_SIZE = 2
    manifest, _rows = _export(world, django_capture_on_commit_callbacks, "patients")
    assert manifest["left_out_for_consent"] == {"patients": None, "radiographs_of_patients": None}


def test_not_recorded_mapping_in_exports(world, settings, django_capture_on_commit_callbacks):
    """With not-recorded mapped to allowed, the export holds the unrecorded patient and their
    radiographs (the SQL of the exports follows the same rule as the ORM)."""
    settings.REGISTRY_CONSENT_NOT_RECORDED_RESEARCH = True
    manifest, rows = _export(world, django_capture_on_commit_callbacks, "radiographs")
    assert manifest["left_out_for_consent"] == {"patients": 0, "radiographs_of_patients": 1}
    assert len(rows) == 6
