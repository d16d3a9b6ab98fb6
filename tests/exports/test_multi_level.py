"""Issue #16: every level in one package (``level=all``). A lesions export and a patients export
of the same cohort joined on 0 of 62 patients (each export had its own key); the files of one
package share the pseudonyms and date offsets, so they join on every patient."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from accounts.services import user_add
from consent.models import Scope
from exports.dictionary import PACKAGE_HEADER
from exports.models import ExportJob
from exports.services import PACKAGE_NOT_WIDE, TOO_FEW_PATIENTS
from imaging.models import RadiographicFinding
from imaging.services import finding_save
from patients.models import CalcinosisTreatment
from patients.services import treatment_save
from tests import factories
from tests.api.conftest import client_for
from tests.exports.conftest import csv_rows
from tests.exports.test_api import download, request_export

pytestmark = pytest.mark.django_db

ISSUE_COHORT = 62  # the cohort of the issue
PATIENTS = 6  # the other tests' (at least REGISTRY_MIN_CELL_SIZE = 5)
LEVEL_FILES = [
    "patients.csv",
    "visits.csv",
    "treatments.csv",
    "radiographs.csv",
    "findings.csv",
    "lesions.csv",
    "progression_timepoints.csv",
]


def _patient(center, n: int, *, consent: bool = True):
    """A patient with a baseline visit (a treatment recorded at it) and a hand radiograph that
    day (one lesion, one finding), and a follow-up radiograph a year later with the deposit
    grown (two progression timepoints)."""
    patient = factories.make_patient(
        center,
        consent=consent,
        local_id=f"MRN-JOIN-{n:03d}",
        first_non_raynaud_onset=date(2010, 1, 1),
        first_non_raynaud_onset_precision="year",
    )
    day = date(2020, 1, 6) + timedelta(days=n)
    visit = factories.make_visit(patient, date=day, visit_type="baseline", mrss_total=n % 20)
    treatment_save(treatment=CalcinosisTreatment(
        patient=patient, visit=visit, treatment="colchicine", started_on=day
    ))
    first = factories.make_radiograph(patient, acquired_on=day)
    finding_save(finding=RadiographicFinding(radiograph=first, finding="erosion", digit=2))
    later = factories.make_radiograph(patient, acquired_on=day + timedelta(days=365))
    track = factories.make_track(patient)
    factories.make_lesion(first, track=track, longest_diameter_mm=5.0)
    factories.make_lesion(later, track=track, longest_diameter_mm=9.0)
    return patient


@pytest.fixture
def joined_center(settings):
    settings.REGISTRY_MIN_CELL_SIZE = 5
    center = factories.make_center("join", "Join clinic")
    for n in range(PATIENTS):
        _patient(center, n)
    return center


def _archive_of(client, captured, **body) -> tuple[zipfile.ZipFile, dict]:
    response = request_export(client, captured, **body)
    assert response.status_code == 202, response.json()
    job = client.get(f"/api/v1/exports/{response.json()['id']}/").json()
    assert job["status"] == "succeeded", job["error"]
    return download(client, job["id"]), job


def _pseudonyms(archive: zipfile.ZipFile, name: str) -> set[str]:
    return {row["patient"] for row in csv_rows(archive, name)}


def _assert_every_file_joins(archive: zipfile.ZipFile, patients: int) -> None:
    everyone = _pseudonyms(archive, "patients.csv")
    assert len(everyone) == patients
    for name in LEVEL_FILES[1:]:
        assert _pseudonyms(archive, name) == everyone, name
    radiographs = {
        (row["patient"], row["radiograph_number"])
        for row in csv_rows(archive, "radiographs.csv")
    }
    for name in ("lesions.csv", "findings.csv"):
        rows = csv_rows(archive, name)
        assert rows and all((r["patient"], r["radiograph_number"]) in radiographs for r in rows)


@pytest.mark.parametrize("role", ["researcher", "clinician"])
def test_every_file_of_a_package_joins_on_every_patient(
    joined_center, django_capture_on_commit_callbacks, role
):
    """Regression (issue #16, '0 of 62'): one package, every file joins on all 62 patients."""
    for n in range(PATIENTS, ISSUE_COHORT):
        _patient(joined_center, n)
    user = user_add(email=f"{role}@join.example", center=joined_center, role=role)
    archive, job = _archive_of(
        client_for(user), django_capture_on_commit_callbacks, level="all", format="csv"
    )
    assert sorted(archive.namelist()) == sorted(
        [*LEVEL_FILES, "data_dictionary.csv", "manifest.json"]
    )
    _assert_every_file_joins(archive, ISSUE_COHORT)
    # 62 patients, visits and treatments, 124 radiographs, 62 findings, 124 lesions, 124
    # timepoints (two per series).
    expected = dict(zip(LEVEL_FILES, [62, 62, 62, 124, 62, 124, 124], strict=True))
    assert job["row_counts"] == expected
    assert job["done"] == job["total"] == sum(expected.values())
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["row_counts"] == expected
    assert manifest["request"]["level"] == "all"
    assert "lesions.csv (patient, radiograph_number) = radiographs.csv (patient, "\
        "radiograph_number): each lesion's radiograph" in manifest["joins"]
    assert {f["name"]: f.get("rows") for f in manifest["files"]}["lesions.csv"] == 124


def test_two_single_level_exports_share_no_pseudonym(
    joined_center, django_capture_on_commit_callbacks
):
    """Why the package exists: two exports without a project key have their own pseudonyms."""
    client = client_for(user_add(email="r2@join.example", center=joined_center, role="researcher"))
    patients, _ = _archive_of(client, django_capture_on_commit_callbacks,
                              level="patients", format="csv")
    lesions, _ = _archive_of(client, django_capture_on_commit_callbacks,
                             level="lesions", format="csv")
    assert not _pseudonyms(patients, "patients.csv") & _pseudonyms(lesions, "lesions.csv")


def test_the_dictionary_names_each_file_and_its_joins(
    joined_center, django_capture_on_commit_callbacks
):
    client = client_for(user_add(email="r3@join.example", center=joined_center, role="researcher"))
    archive, _ = _archive_of(client, django_capture_on_commit_callbacks, level="all", format="csv")
    rows = csv_rows(archive, "data_dictionary.csv")
    assert tuple(rows[0]) == PACKAGE_HEADER
    assert {row["file"] for row in rows} == set(LEVEL_FILES)
    joins = {(row["file"], row["variable"]): row["joins_to"] for row in rows}
    assert joins[("visits.csv", "patient")] == "patients.csv (patient)"
    assert joins[("lesions.csv", "radiograph_number")] == (
        "radiographs.csv (patient, radiograph_number)"
    )
    assert joins[("radiographs.csv", "acquired_on")] == "visits.csv (patient, visit_date)"
    assert joins[("patients.csv", "patient")].startswith("key: one row per patient")


def test_shifted_dates_move_together_across_the_files(
    joined_center, django_capture_on_commit_callbacks
):
    """One offset per patient for the whole package: a radiograph taken at a visit keeps the
    visit's (shifted) date, and the patient's radiographs stay 365 days apart."""
    client = client_for(user_add(email="c2@join.example", center=joined_center, role="clinician"))
    archive, _ = _archive_of(client, django_capture_on_commit_callbacks,
                             level="all", format="csv", date_mode="shift")
    visits = {row["patient"]: row["visit_date"] for row in csv_rows(archive, "visits.csv")}
    taken: dict[str, list[date]] = {}
    for row in csv_rows(archive, "radiographs.csv"):
        taken.setdefault(row["patient"], []).append(date.fromisoformat(row["acquired_on"]))
    for patient, dates in taken.items():
        first, later = sorted(dates)
        assert first.isoformat() == visits[patient]
        assert (later - first).days == 365
    originals = {date(2020, 1, 6) + timedelta(days=n) for n in range(PATIENTS)}
    assert {date.fromisoformat(day) for day in visits.values()} != originals


def test_consent_rules_apply_to_every_file(joined_center, django_capture_on_commit_callbacks):
    """A patient without research consent is in no file; one without radiographs consent is in
    the patients, visits and treatments files only, and the manifest counts (never names)
    them."""
    no_research = _patient(joined_center, 100, consent=False)
    factories.record_consent(no_research, scopes=("care",))
    no_images = _patient(joined_center, 101, consent=False)
    factories.record_consent(no_images, scopes=(Scope.CARE, Scope.RESEARCH))
    client = client_for(user_add(email="r4@join.example", center=joined_center, role="researcher"))
    archive, _ = _archive_of(client, django_capture_on_commit_callbacks, level="all", format="csv")
    everyone = _pseudonyms(archive, "patients.csv")
    assert len(everyone) == PATIENTS + 1
    assert _pseudonyms(archive, "visits.csv") == everyone
    assert _pseudonyms(archive, "treatments.csv") == everyone
    for name in ("radiographs.csv", "findings.csv", "lesions.csv", "progression_timepoints.csv"):
        assert len(_pseudonyms(archive, name)) == PATIENTS, name
    text = b"".join(archive.read(name) for name in archive.namelist()).decode()
    assert "MRN-JOIN" not in text and no_research.registry_id not in text


def test_a_package_below_the_cell_size_is_refused(
    joined_center, settings, django_capture_on_commit_callbacks
):
    settings.REGISTRY_MIN_CELL_SIZE = PATIENTS + 1
    client = client_for(user_add(email="r5@join.example", center=joined_center, role="researcher"))
    response = request_export(client, django_capture_on_commit_callbacks,
                              level="all", format="csv")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "filters"
    assert response.json()["errors"][0]["message"] == TOO_FEW_PATIENTS.format(limit=PATIENTS + 1)
    assert not ExportJob.objects.exists()


def test_a_wide_package_is_refused_naming_the_format(
    joined_center, django_capture_on_commit_callbacks
):
    client = client_for(user_add(email="c3@join.example", center=joined_center, role="clinician"))
    response = request_export(client, django_capture_on_commit_callbacks,
                              level="all", format="csv_wide")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["field"], error["message"]) == ("format", PACKAGE_NOT_WIDE)


def test_parquet_and_xlsx_packages_hold_one_file_per_level(
    joined_center, django_capture_on_commit_callbacks
):
    client = client_for(user_add(email="c4@join.example", center=joined_center, role="clinician"))
    parquet, _ = _archive_of(client, django_capture_on_commit_callbacks,
                             level="all", format="parquet")
    tables = {
        name: pq.read_table(io.BytesIO(parquet.read(name.replace(".csv", ".parquet"))))
        for name in LEVEL_FILES
    }
    everyone = set(tables["patients.csv"].column("patient").to_pylist())
    assert len(everyone) == PATIENTS
    for table in tables.values():
        assert set(table.column("patient").to_pylist()) == everyone
    workbook, job = _archive_of(client, django_capture_on_commit_callbacks,
                                level="all", format="xlsx")
    assert job["row_counts"]["lesions.xlsx"] == 2 * PATIENTS
    book = load_workbook(io.BytesIO(workbook.read("visits.xlsx")), read_only=True)
    assert book.sheetnames == ["data", "dictionary"]


def test_fhir_takes_the_package_level(joined_center, django_capture_on_commit_callbacks):
    """FHIR always holds every resource type: level all is the same bundle."""
    client = client_for(user_add(email="c5@join.example", center=joined_center, role="clinician"))
    archive, _ = _archive_of(client, django_capture_on_commit_callbacks,
                             level="all", format="fhir_ndjson")
    assert "Patient.ndjson" in archive.namelist()


def test_the_command_writes_a_package(joined_center, tmp_path):
    output = tmp_path / "cohort.zip"
    call_command("export_cohort", "--level", "all", "--format", "csv", "--output", str(output),
                 stdout=io.StringIO(), stderr=io.StringIO())
    _assert_every_file_joins(zipfile.ZipFile(output), PATIENTS)


def test_the_dictionary_endpoint_describes_single_levels(joined_center):
    """A package's dictionary is in the package (its files and joins); the endpoint serves one
    level at a time."""
    client = client_for(user_add(email="c6@join.example", center=joined_center, role="clinician"))
    response = client.get("/api/v1/exports/dictionary/?level=all")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "level"
    assert client.get("/api/v1/exports/dictionary/?level=lesions").status_code == 200
