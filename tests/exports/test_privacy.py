"""No identifier of the database appears in any file of any export: local ids, registry ids,
database keys, DICOM UIDs, free text. Compressed members (Parquet, XLSX) are read as text."""

import io
import zipfile

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from tests.exports.conftest import (
    LESION_PKS,
    LOCAL_IDS,
    PATIENT_PKS,
    RADIOGRAPH_PKS,
    SERIES_UID,
    SOP_UID,
    STUDY_UID,
    TRACK_PKS,
    VISIT_PKS,
    run_export,
)

pytestmark = pytest.mark.django_db

FORMATS = {
    "csv": ["patients", "visits", "radiographs", "lesions", "progression_timepoints"],
    "csv_wide": ["visits", "progression_timepoints"],
    "parquet": ["patients", "visits", "radiographs", "lesions", "progression_timepoints"],
    "xlsx": ["patients", "visits", "radiographs", "lesions", "progression_timepoints"],
    "fhir_ndjson": ["patients"],
}
CASES = [
    (fmt, level, mode)
    for fmt, levels in FORMATS.items()
    for level in levels
    for mode in (["keep", "shift"] if fmt == "fhir_ndjson" else ["keep", "shift", "relative"])
]
FREE_TEXT = ("Secr", "secret", "daughter", "Burned-in", "thumb pulp")


def readable_text(archive: zipfile.ZipFile, name: str) -> str:
    """A member as text: raw bytes, plus decoded values for the compressed formats."""
    data = archive.read(name)
    text = data.decode("utf-8", errors="replace")
    if name.endswith(".parquet"):
        buffer = io.BytesIO()
        pacsv.write_csv(pq.read_table(io.BytesIO(data)), buffer)
        text += buffer.getvalue().decode()
        text += str(pq.read_metadata(io.BytesIO(data)).metadata)
    if name.endswith(".xlsx"):
        book = load_workbook(io.BytesIO(data))
        text += "\n".join(
            str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row
        )
        with zipfile.ZipFile(io.BytesIO(data)) as inner:
            text += "".join(inner.read(n).decode(errors="replace") for n in inner.namelist())
    return text


@pytest.mark.parametrize(("fmt", "level", "mode"), CASES)
def test_no_database_identifier_in_any_file(cohort, tmp_path, fmt, level, mode):
    archive = run_export(tmp_path, level=level, format=fmt, date_mode=mode)
    forbidden = [
        *LOCAL_IDS,
        *cohort.registry_ids,
        *(str(pk) for pk in (*PATIENT_PKS, *RADIOGRAPH_PKS, *LESION_PKS, *VISIT_PKS, *TRACK_PKS)),
        STUDY_UID,
        SERIES_UID,
        SOP_UID,
        "1.2.826.0.1.3680043",  # any part of the registry's DICOM UID root
        *FREE_TEXT,
    ]
    assert len(archive.namelist()) >= 3
    for name in archive.namelist():
        text = readable_text(archive, name)
        for value in forbidden:
            assert value not in text, f"{value!r} leaked into {name}"
    if mode != "keep":
        years = ("1960-11-02", "1971-04-20", "2014-01-10", "2013-09-10")
        for name in archive.namelist():
            text = readable_text(archive, name)
            assert not any(day in text for day in years), f"a real date leaked into {name}"


def test_pseudonyms_differ_between_exports_unless_a_project_key_is_given(cohort, tmp_path):
    def pseudonyms(**spec):
        archive = run_export(tmp_path, level="patients", format="csv", **spec)
        lines = archive.read("patients.csv").decode().splitlines()[1:]
        return sorted(line.split(",")[0] for line in lines)

    assert pseudonyms() != pseudonyms()
    assert pseudonyms(project_key="CALC-1") == pseudonyms(project_key="CALC-1")
    assert pseudonyms(project_key="CALC-1") != pseudonyms(project_key="CALC-2")


def test_pseudonyms_are_stable_across_the_files_of_one_export(cohort, tmp_path):
    """Within one FHIR export, every resource names the patient by the same pseudonym."""
    import json

    archive = run_export(tmp_path, level="patients", format="fhir_ndjson", project_key="P")
    patients = {
        json.loads(line)["id"]
        for line in archive.read("Patient.ndjson").decode().splitlines()
    }
    subjects = {
        json.loads(line)["subject"]["reference"].split("/")[1]
        for name in ("Condition.ndjson", "Observation.ndjson", "ImagingStudy.ndjson")
        for line in archive.read(name).decode().splitlines()
    }
    assert subjects <= patients and len(patients) == 3
