"""Issue #17: the treatments and findings levels in a package, in a research export, in the data
dictionary, and refused where they do not belong (the wide layout, the import)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from accounts.services import user_add
from exports.formats.wide import WIDE_NOT_AVAILABLE
from exports.imports.rows import NOT_IMPORTED
from exports.runner import ExportSpec
from exports.selection import row_estimate
from exports.services import export_check, import_run
from patients.models import CalcinosisTreatment, Patient
from tests.api.conftest import client_for
from tests.exports.conftest import csv_rows, run_export

pytestmark = pytest.mark.django_db

NEW_LEVELS = ("treatments", "findings")


def _dictionary(archive) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read("data_dictionary.csv").decode())))


def test_the_package_holds_both_levels_and_says_how_they_join(treated, tmp_path):
    archive = run_export(tmp_path, level="all", format="csv")
    assert {"treatments.csv", "findings.csv"} <= set(archive.namelist())
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["row_counts"]["treatments.csv"] == 7
    assert manifest["row_counts"]["findings.csv"] == 3
    assert (
        "findings.csv (patient, radiograph_number) = radiographs.csv (patient, "
        "radiograph_number): each finding's radiograph"
    ) in manifest["joins"]
    assert (
        "treatments.csv (patient, visit_date, visit_type) = visits.csv (patient, visit_date, "
        "visit_type): the visit that recorded the treatment; empty when none did"
    ) in manifest["joins"]
    entries = _dictionary(archive)
    joins = {(e["file"], e["variable"]): e["joins_to"] for e in entries}
    assert joins[("findings.csv", "radiograph_number")] == (
        "radiographs.csv (patient, radiograph_number)"
    )
    assert joins[("treatments.csv", "visit_type")] == (
        "visits.csv (patient, visit_date, visit_type)"
    )
    assert "treatments.csv" in joins[("patients.csv", "patient")]
    for entry in entries:  # the import reads neither file
        if entry["file"] in ("treatments.csv", "findings.csv"):
            assert entry["import"] == "no", entry
    visits = {(r["patient"], r["visit_date"], r["visit_type"])
              for r in csv_rows(archive, "visits.csv")}
    recorded = [(r["patient"], r["visit_date"], r["visit_type"])
                for r in csv_rows(archive, "treatments.csv") if r["visit_date"]]
    assert len(recorded) == 2 and set(recorded) <= visits


@pytest.mark.parametrize("level", NEW_LEVELS)
def test_each_level_alone_has_its_dictionary(treated, tmp_path, level):
    archive = run_export(tmp_path, level=level, format="csv", date_mode="relative")
    header = archive.read(f"{level}.csv").decode().splitlines()[0].split(",")
    entries = {e["variable"]: e for e in _dictionary(archive)}
    assert list(entries) == header  # no local_id: nothing here is imported
    assert {e["import"] for e in entries.values()} == {"no"}
    assert "other_text" not in header and "notes" not in header
    if level == "treatments":
        assert entries["treatment"]["code_system"].endswith(
            "rituximab = ATC L01FA01; surgical_excision = SNOMED CT 65801008"
        )
        assert "intralesional = SNOMED CT 372466002" in entries["route"]["code_system"]
        assert entries["started_day"]["unit"] == "d (days)"
        assert entries["dose_amount"]["allowed_values"] == "> 0; empty = not recorded"


def test_a_research_export_leaves_out_findings_without_radiographs_consent(treated, tmp_path):
    """dora consented to research, not to her radiographs: her treatment is exported, her
    radiograph and its finding are not; nobody's free text is."""
    archive = run_export(tmp_path, level="all", format="csv", research=True)
    patients = {r["patient"] for r in csv_rows(archive, "patients.csv")}
    assert len(patients) == 4
    treatments = csv_rows(archive, "treatments.csv")
    findings = csv_rows(archive, "findings.csv")
    assert {r["patient"] for r in treatments} == patients
    assert "colchicine" in {r["treatment"] for r in treatments}  # dora's
    assert sorted(r["finding"] for r in findings) == [
        "acro_osteolysis", "periarticular_osteopenia"
    ]
    radiographs = {r["patient"] for r in csv_rows(archive, "radiographs.csv")}
    assert {r["patient"] for r in findings} <= radiographs and len(radiographs) == 2
    text = b"".join(archive.read(name) for name in archive.namelist()).decode()
    assert "SECRET" not in text and "MRN-" not in text
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["left_out_for_consent"]["radiographs_of_patients"] == 1


def test_the_api_exports_the_new_levels_for_a_researcher(
    treated, django_capture_on_commit_callbacks
):
    from tests.exports.test_api import download, request_export

    researcher = client_for(user_add(email="r17@north.example", center=treated.cohort.north,
                                     role="researcher"))
    for level in NEW_LEVELS:
        response = request_export(researcher, django_capture_on_commit_callbacks,
                                  level=level, format="csv", date_mode="keep")
        assert response.status_code == 202, response.json()
        archive = download(researcher, response.json()["id"])
        assert len(csv_rows(archive, f"{level}.csv")) == {"treatments": 7, "findings": 2}[level]


@pytest.mark.parametrize("level", NEW_LEVELS)
def test_the_wide_layout_refuses_them(level):
    with pytest.raises(ValidationError) as error:
        export_check(ExportSpec(level=level, format="csv_wide", date_mode="keep"))
    assert error.value.message_dict == {"format": [WIDE_NOT_AVAILABLE.format(level=level)]}


def test_row_estimate_counts_them(treated):
    patients = Patient.objects.all()
    assert row_estimate(patients, "treatments") == 7
    assert row_estimate(patients, "findings") == 3
    assert row_estimate(patients.filter(pk=treated.cohort.anne.pk), "treatments") == 3


def test_the_dictionary_endpoint_says_they_are_not_imported(treated):
    clinician = client_for(user_add(email="d17@north.example", center=treated.cohort.north,
                                    role="clinician"))
    for level in NEW_LEVELS:
        response = clinician.get(f"/api/v1/exports/dictionary/?level={level}")
        assert response.status_code == 200
        entries = response.json()
        assert {e["imported"] for e in entries} == {"no"}
        assert "local_id" not in {e["variable"] for e in entries}
    patients = clinician.get("/api/v1/exports/dictionary/?level=patients").json()
    assert {e["variable"]: e["imported"] for e in patients}["local_id"] == "import only"


@pytest.mark.parametrize("level", NEW_LEVELS)
def test_importing_an_exported_file_is_refused_400(treated, tmp_path, level):
    data = run_export(tmp_path, level=level, format="csv").read(f"{level}.csv")
    clinician = client_for(user_add(email="i17@north.example", center=treated.cohort.north,
                                    role="clinician"))
    for dry_run in ("true", "false"):
        upload = io.BytesIO(data)
        upload.name = f"{level}.csv"
        response = clinician.post("/api/v1/imports/", {"file": upload, "dry_run": dry_run},
                                  format="multipart")
        assert response.status_code == 400, response.json()
        assert response.json()["errors"] == [
            {"field": "file", "code": "invalid", "message": NOT_IMPORTED.format(level=level)}
        ]
    assert CalcinosisTreatment.objects.count() == 7  # nothing written
    with pytest.raises(ValidationError):
        import_run(data=data, center=treated.cohort.north, commit=False)
    path = tmp_path / f"{level}.csv"
    path.write_bytes(data)
    with pytest.raises(CommandError, match=f"This is a {level} file of the export"):
        call_command("import_cohort", str(path), "--center", "north")
