"""The data dictionary is generated from the models and choices and describes every column."""

import csv
import io

import pytest

from exports.dictionary import HEADER, dictionary_rows
from exports.levels import LOCAL_ID, lesion_columns, patient_columns, visit_columns
from exports.runner import LEVEL_COLUMNS
from imaging.choices import BodyRegion, Morphology
from patients.choices import SscSubtype, VisitType
from tests.exports.conftest import run_export

pytestmark = pytest.mark.django_db

LEVELS = ["patients", "visits", "radiographs", "lesions", "progression_timepoints"]


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("date_mode", ["keep", "shift", "relative"])
def test_every_column_of_every_file_is_in_its_dictionary(cohort, tmp_path, level, date_mode):
    archive = run_export(tmp_path, level=level, format="csv", date_mode=date_mode)
    header = archive.read(f"{level}.csv").decode().splitlines()[0].split(",")
    entries = list(csv.DictReader(io.StringIO(archive.read("data_dictionary.csv").decode())))
    described = {entry["variable"]: entry for entry in entries}
    assert set(header) <= set(described)
    for name in header:
        entry = described[name]
        assert entry["label"] and entry["type"] in (
            "string", "category", "integer", "number", "boolean", "date",
        ), entry
        if entry["type"] == "category":
            assert entry["allowed_values"], entry
    if level != "progression_timepoints":  # computed: not importable
        assert described["local_id"]["import"] == "import only"
    else:
        assert "local_id" not in described


@pytest.mark.parametrize("level", LEVELS)
def test_dictionary_rows_have_every_field(level):
    for row in dictionary_rows(LEVEL_COLUMNS[level]("keep")):
        assert tuple(row) == HEADER


def test_allowed_values_come_from_the_choices():
    """Every choice of the model vocabularies appears, with its label."""
    entries = {row["variable"]: row for row in dictionary_rows(patient_columns("keep"))}
    for value, label in SscSubtype.choices:
        assert f"{value} = {label}" in entries["ssc_subtype"]["allowed_values"]
    assert entries["ssc_subtype"]["code_system"] == (
        "registry vocabulary patients.choices.SscSubtype"
    )
    lesions = {row["variable"]: row for row in dictionary_rows(lesion_columns("keep"))}
    for value, label in Morphology.choices:
        assert f"{value} = {label}" in lesions["morphology"]["allowed_values"]
    assert all(value in lesions["body_region"]["allowed_values"] for value in BodyRegion.values)
    visits = {row["variable"]: row for row in dictionary_rows(visit_columns("keep"))}
    assert all(value in visits["visit_type"]["allowed_values"] for value in VisitType.values)


def test_units_ranges_and_codes_are_generated():
    visits = {row["variable"]: row for row in dictionary_rows(visit_columns("keep"))}
    assert visits["calcinosis_pain_nrs"]["allowed_values"] == "0-10"  # MaxValueValidator(10)
    assert visits["calcinosis_pain_vas_mm"]["unit"] == "mm"
    assert visits["chfs_total"]["allowed_values"] == "0-90"
    assert visits["raynaud_attacks_per_day"]["unit"] == "/d (per day)"
    assert visits["mrss_total"]["label"] == "mRSS total (0-51)"  # MaxValueValidator(51)
    lesions = {row["variable"]: row for row in dictionary_rows(lesion_columns("keep"))}
    assert "SNOMED CT 85562004" in lesions["body_region"]["code_system"]  # hand
    assert "SNOMED CT 76505004" in lesions["digit"]["code_system"]  # thumb
    assert lesions["longest_diameter_mm"]["unit"] == "mm"


def test_relative_mode_renames_dates_to_days():
    names = [row["variable"] for row in dictionary_rows(visit_columns("relative"))]
    assert "visit_day" in names and "visit_date" not in names
    rows = dictionary_rows(visit_columns("relative"))
    entry = next(r for r in rows if r["variable"] == "visit_day")
    assert entry["type"] == "integer" and entry["unit"] == "d (days)"


def test_birth_column_follows_the_date_mode():
    def names(mode):
        return {row["variable"] for row in dictionary_rows(patient_columns(mode))}

    assert "birth_year" in names("keep")
    assert "birth_date" in names("shift")
    assert "birth_day" in names("relative")


def test_the_import_variant_is_documented():
    (row,) = dictionary_rows([], import_only=[LOCAL_ID])
    assert row["variable"] == "local_id" and row["import"] == "import only"


def test_fhir_export_carries_a_dictionary_of_its_elements(cohort, tmp_path):
    archive = run_export(tmp_path, level="patients", format="fhir_ndjson")
    entries = list(csv.DictReader(io.StringIO(archive.read("data_dictionary.csv").decode())))
    variables = {entry["variable"]: entry for entry in entries}
    assert "Observation[mrss_total].valueQuantity" in variables
    assert variables["Observation[calcinosis_pain_vas_mm].valueQuantity"]["unit"] == "mm"
    assert "ICD-10 M34.1" in variables["Condition[ssc].code"]["code_system"]
    assert "SNOMED CT 89155008" in variables["Condition[ssc].code"]["code_system"]


@pytest.mark.parametrize(("level", "fmt"), [("progression_timepoints", "csv"),
                                            ("lesions", "parquet"), ("visits", "csv_wide")])
def test_files_that_cannot_be_imported_say_so(cohort, tmp_path, level, fmt):
    archive = run_export(tmp_path, level=level, format=fmt)
    entries = list(csv.DictReader(io.StringIO(archive.read("data_dictionary.csv").decode())))
    assert {entry["import"] for entry in entries} == {"no"}


def test_the_quasi_identifiers_are_marked():
    """exports.disclosure's set: calendar dates are, relative days of onsets and visits are not
    (they drop out of the k-anonymity), the birth in days is (an age)."""

    def marked(columns):
        return {row["variable"] for row in dictionary_rows(columns)
                if row["quasi_identifier"] == "yes"}

    assert marked(patient_columns("keep")) == {
        "center", "sex", "birth_year", "ssc_subtype", "raynaud_onset",
        "first_non_raynaud_onset",
    }
    assert marked(patient_columns("relative")) == {"center", "sex", "birth_day", "ssc_subtype"}
    assert marked(visit_columns("keep")) == {"visit_date"}
    assert marked(visit_columns("relative")) == set()
    assert marked(lesion_columns("keep")) == set()
