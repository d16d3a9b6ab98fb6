"""Imports: row-level errors in a dry run, all or nothing on commit, idempotent re-imports, and an
export followed by an import into an empty registry round-trips."""

import csv
import io
from datetime import date

import pytest

from accounts.services import user_add
from exports.imports.rows import RELATIVE_DATES, UNKNOWN_LEVEL, parse_file
from exports.pseudonyms import export_key, pseudonym
from exports.runner import registry_secret
from exports.services import import_run
from imaging.models import CalcinosisLesion, LesionTrack, Radiograph
from patients.models import Patient, Visit
from patients.services import patient_delete
from tests import factories
from tests.api.conftest import client_for
from tests.exports.conftest import csv_rows, run_export

pytestmark = pytest.mark.django_db

PATIENTS = (
    "local_id,sex,birth_date,ssc_subtype,first_non_raynaud_onset,"
    "first_non_raynaud_onset_precision,diagnosis_date,antibody_aca,sclerodactyly\n"
) + """CLIN-001,female,1958-05-04,limited_cutaneous,2010-07-01,year,2011-02-01,positive,true
CLIN-002,male,1966-09-30,diffuse_cutaneous,,,2019-03-03,unknown,false
"""
BAD_PATIENTS = """local_id,sex,birth_date,ssc_subtype,diagnosis_date,antibody_aca,sclerodactyly
CLIN-001,female,1958-05-04,limited_cutaneous,2011-02-01,positive,true
CLIN-003,f,1958-13-04,limited_cutaneous,,positive,true
CLIN-004,female,1990-01-01,limited_cutaneous,1980-01-01,maybe,yes
,female,1990-01-01,limited_cutaneous,,unknown,false
"""


@pytest.fixture
def north(db):
    return factories.make_center("north", "North clinic")


def test_parse_reports_row_column_and_reason():
    parsed = parse_file(BAD_PATIENTS.encode(), max_rows=100)
    found = {(e.row, e.column) for e in parsed.errors}
    assert (3, "sex") in found and (3, "birth_date") in found
    assert (4, "antibody_aca") in found and (4, "sclerodactyly") in found
    sex = next(e for e in parsed.errors if (e.row, e.column) == (3, "sex"))
    assert "Not an allowed value" in sex.message and "female" in sex.message


def test_dry_run_reports_every_error_and_writes_nothing(north):
    report = import_run(data=BAD_PATIENTS.encode(), center=north, commit=False)
    found = {(e.row, e.column) for e in report.errors}
    assert {(3, "sex"), (3, "birth_date"), (4, "antibody_aca"), (4, "sclerodactyly")} <= found
    assert (5, "local_id") in found  # no local identifier
    assert not report.committed and Patient.objects.count() == 0


def test_model_rules_are_reported_against_the_column(north):
    """A diagnosis before birth passes parsing but fails the model's validation."""
    data = (
        "local_id,sex,birth_date,ssc_subtype,diagnosis_date\n"
        "X-1,female,1990-01-01,overlap,1980-01-01\n"
    )
    report = import_run(data=data.encode(), center=north, commit=True)
    assert [(e.row, e.column) for e in report.errors] == [(2, "diagnosis_date")]
    assert Patient.objects.count() == 0


def test_commit_is_all_or_nothing(north):
    report = import_run(data=BAD_PATIENTS.encode(), center=north, commit=True)
    assert report.errors and not report.committed
    assert Patient.objects.count() == 0  # the valid first row was not written either


def test_commit_then_reimport_creates_no_duplicates(north):
    first = import_run(data=PATIENTS.encode(), center=north, commit=True)
    assert first.committed and first.created["patients"] == 2
    anne = Patient.objects.get(local_id="CLIN-001")
    assert anne.first_non_raynaud_onset == date(2010, 1, 1)  # midpoint 1 July -> year start
    assert anne.first_non_raynaud_onset_precision == "year"
    again = import_run(data=PATIENTS.encode(), center=north, commit=True)
    assert again.committed and again.created == {} and again.unchanged["patients"] == 2
    assert Patient.objects.count() == 2
    changed = PATIENTS.replace("2019-03-03", "2019-04-04")
    third = import_run(data=changed.encode(), center=north, commit=True)
    assert third.updated["patients"] == 1 and Patient.objects.count() == 2


LESIONS = (
    "local_id,radiograph_number,acquired_on,body_region,radiograph_laterality,view,track_number,"
    "track_assignment,laterality,digit,segment,tissue,longest_diameter_mm,"
    "perpendicular_diameter_mm,morphology\n"
) + """CLIN-001,1,2020-01-10,hand,left,pa,1,user,left,1,distal_phalanx,soft_tissue,6.5,2.0,stone
CLIN-001,1,2020-01-10,hand,left,pa,,,left,2,distal_phalanx,soft_tissue,3.0,,
CLIN-001,2,2021-01-12,hand,left,pa,1,user,left,1,distal_phalanx,soft_tissue,9.0,,stone
"""


def test_lesion_import_is_idempotent_and_keeps_user_tracks(north):
    import_run(data=PATIENTS.encode(), center=north, commit=True)
    report = import_run(data=LESIONS.encode(), center=north, commit=True)
    assert report.committed, report.errors
    assert report.created == {"radiographs": 2, "lesions": 3, "tracks": 1}
    again = import_run(data=LESIONS.encode(), center=north, commit=True)
    assert again.created == {} and again.unchanged["lesions"] == 3
    assert Radiograph.objects.count() == 2 and CalcinosisLesion.objects.count() == 3
    track = LesionTrack.objects.get()
    assert sorted(track.lesions.values_list("longest_diameter_mm", flat=True)) == [6.5, 9.0]


def test_rows_of_an_unknown_patient_or_bad_side_are_errors(north):
    import_run(data=PATIENTS.encode(), center=north, commit=True)
    data = LESIONS.replace("CLIN-001,2,", "CLIN-999,2,").replace(
        ",left,pa,,,left,2", ",left,pa,,,right,2"
    )
    report = import_run(data=data.encode(), center=north, commit=True)
    found = {(e.row, e.column) for e in report.errors}
    assert (4, "local_id") in found  # CLIN-999 does not exist
    assert (3, "laterality") in found  # a right-side lesion on a left radiograph
    assert CalcinosisLesion.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("patient,visit_day,visit_type\nP-1,12,baseline\n", RELATIVE_DATES.split(" (")[0]),
        ("colour,size\nred,3\n", UNKNOWN_LEVEL),
    ],
)
def test_files_that_cannot_be_imported(north, data, message):
    report = import_run(data=data.encode(), center=north, commit=False)
    assert message in report.errors[0].message


def test_unknown_columns_are_errors(north):
    report = import_run(data=PATIENTS.replace("sclerodactyly", "sclerodactily").encode(),
                        center=north, commit=False)
    assert [(e.row, e.column) for e in report.errors] == [(1, "sclerodactily")]


def test_rows_of_another_center_are_refused(north):
    data = "patient,center,sex,birth_year,ssc_subtype\nP-1,south,female,1960,overlap\n"
    report = import_run(data=data.encode(), center=north, commit=True)
    assert [(e.row, e.column) for e in report.errors] == [(2, "center")]


def _rows(archive, name, rename):
    """The rows with the patient renamed, without the consent dates (never imported)."""
    rows = csv_rows(archive, name)
    return sorted(
        tuple(sorted((k, v) for k, v in {**r, "patient": rename(r["patient"])}.items()
                     if not k.startswith("consent_")))
        for r in rows
    )


def test_export_then_import_into_an_empty_registry_round_trips(cohort, tmp_path):
    """Export north (dates kept), delete everything, import the four files with the pseudonyms
    as local ids, export again: the same data under the same project's new pseudonyms."""
    levels = ["patients", "visits", "radiographs", "lesions"]
    spec = {"format": "csv", "date_mode": "keep", "project_key": "ROUND",
            "filters": {"center": ["north"]}}
    (tmp_path / "a").mkdir()
    before = {level: run_export(tmp_path / "a", level=level, **spec)
              for level in [*levels, "progression_timepoints"]}
    for patient in Patient.objects.all():
        patient_delete(patient=patient, reason="round-trip test")
    for level in levels:
        report = import_run(data=before[level].read(f"{level}.csv"), center=cohort.north,
                            commit=True)
        assert report.committed, (level, report.errors)
    (tmp_path / "b").mkdir()
    after = {level: run_export(tmp_path / "b", level=level, **spec)
             for level in [*levels, "progression_timepoints"]}
    key = export_key(project_key="ROUND", registry_secret=registry_secret())
    new_of_old = {
        local_id: pseudonym(key, registry_id)
        for local_id, registry_id in Patient.objects.values_list("local_id", "registry_id")
    }
    assert len(new_of_old) == 2
    for level in [*levels, "progression_timepoints"]:
        name = f"{level}.csv"
        assert _rows(before[level], name, new_of_old.get) == _rows(after[level], name, str), level
    assert Visit.objects.count() == 2 and CalcinosisLesion.objects.count() == 3


def test_api_import_dry_run_then_commit(north):
    clinician = client_for(user_add(email="doc@north.example", center=north, role="clinician"))
    upload = io.BytesIO(PATIENTS.encode())
    upload.name = "patients.csv"
    response = clinician.post("/api/v1/imports/", {"file": upload}, format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json()["dry_run"] is True and response.json()["valid"] is True
    assert Patient.objects.count() == 0
    upload = io.BytesIO(PATIENTS.encode())
    upload.name = "patients.csv"
    response = clinician.post("/api/v1/imports/", {"file": upload, "dry_run": "false"},
                              format="multipart")
    assert response.status_code == 201 and response.json()["created"] == {"patients": 2}
    bad = io.BytesIO(BAD_PATIENTS.encode())
    bad.name = "bad.csv"
    response = clinician.post("/api/v1/imports/", {"file": bad, "dry_run": "false"},
                              format="multipart")
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {"row", "column", "field", "code", "message"} <= set(errors[0])
    assert Patient.objects.count() == 2


def test_api_import_is_for_clinicians_of_the_center(north):
    south = factories.make_center("south", "South clinic")
    researcher = client_for(user_add(email="r@north.example", center=north, role="researcher"))
    upload = io.BytesIO(PATIENTS.encode())
    upload.name = "p.csv"
    assert researcher.post("/api/v1/imports/", {"file": upload},
                           format="multipart").status_code == 403
    clinician = client_for(user_add(email="doc@north.example", center=north, role="clinician"))
    upload = io.BytesIO(PATIENTS.encode())
    upload.name = "p.csv"
    response = clinician.post("/api/v1/imports/", {"file": upload, "center": south.code},
                              format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "center"


def test_import_reads_the_neutralised_cells_back():
    data = "local_id,sex,birth_date,ssc_subtype\n'-7,female,1960-01-01,overlap\n"
    parsed = parse_file(data.encode(), max_rows=10)
    assert parsed.rows[0][1]["local_id"] == "-7"


def test_csv_reader_handles_a_byte_order_mark():
    parsed = parse_file(("\ufeff" + PATIENTS).encode(), max_rows=10)
    assert parsed.level == "patients" and not parsed.errors
    assert len(list(csv.reader(io.StringIO(PATIENTS)))) == 3


def test_a_field_past_the_csv_limit_is_refused_not_a_server_error(north):
    """The csv module refuses a field over 128 KB (csv.field_size_limit): before, an import
    whose first line held one answered 500 (review of issue 17)."""
    parsed = parse_file(b"x" * 200_000 + b"\n1\n", max_rows=10)
    assert [e.message for e in parsed.errors] == [
        "The file is not readable CSV (field larger than field limit (131072))."
    ]
    clinician = client_for(user_add(email="doc@north.example", center=north, role="clinician"))
    upload = io.BytesIO(b"x" * 200_000 + b"\n1\n")
    upload.name = "huge.csv"
    response = clinician.post("/api/v1/imports/", {"file": upload}, format="multipart")
    assert response.status_code == 200  # a dry run reports; nothing is written
    assert response.json()["valid"] is False
    assert "not readable CSV" in response.json()["errors"][0]["message"]
