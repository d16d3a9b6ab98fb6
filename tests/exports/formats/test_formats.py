"""Each format: CSV long and wide, Parquet (typed), XLSX (row limit), and the manifest."""

import hashlib
import io
import json
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from exports.formats.tabular import XlsxTooLarge
from exports.runner import ExportSpec
from exports.services import export_check
from tests.exports.conftest import csv_rows, run_export

pytestmark = pytest.mark.django_db


def test_csv_long_lesions_hand_checked(cohort, tmp_path):
    archive = run_export(tmp_path, level="lesions", format="csv", date_mode="keep")
    rows = sorted(csv_rows(archive, "lesions.csv"), key=lambda r: (r["acquired_on"], r["view"]))
    assert [(r["acquired_on"], r["view"], r["longest_diameter_mm"]) for r in rows] == [
        ("2014-01-10", "pa", "8"),
        ("2015-01-12", "oblique", "10.5"),
        ("2015-01-12", "pa", "11"),
        ("2016-06-01", "pa", "4.2"),
    ]
    anne = [r for r in rows if r["radiograph_laterality"] == "left"]
    assert {r["patient"] for r in anne} == {anne[0]["patient"]}
    assert [r["radiograph_number"] for r in anne] == ["1", "3", "2"]
    assert {r["track_number"] for r in anne} == {"1"} and anne[0]["track_assignment"] == "user"
    assert anne[0]["perpendicular_diameter_mm"] == "3" and anne[0]["morphology"] == "stone"


def test_csv_visits_disease_duration(cohort, tmp_path):
    """Onset March 2013 counts from 15 March 2013: 301 days to 2014-01-10 = 0.824 years."""
    rows = csv_rows(run_export(tmp_path, level="visits", format="csv"), "visits.csv")
    durations = {r["visit_date"]: r["disease_duration_years"] for r in rows}
    assert durations == {"2014-01-10": "0.824", "2015-01-12": "1.829", "2016-06-01": ""}
    baseline = next(r for r in rows if r["visit_date"] == "2014-01-10")
    assert baseline["ulceration"] == "true" and baseline["infection"] == ""
    assert baseline["raynaud_attacks_per_day"] == "2.5"


def test_csv_progression_timepoints(cohort, tmp_path):
    """Left hand: 8.0 mm at baseline, 11.0 mm a year later (+3.0 mm, +37.5 %: progression)."""
    archive = run_export(tmp_path, level="progression_timepoints", format="csv")
    rows = csv_rows(archive, "progression_timepoints.csv")
    left = [r for r in rows if r["laterality"] == "left"]
    assert [(r["timepoint_date"], r["sum_longest_diameter_mm"], r["status"]) for r in left] == [
        ("2014-01-10", "8", "baseline"),
        ("2015-01-12", "11", "progression"),
    ]
    assert left[1]["time_to_progression_years"] == "1.005"


def test_csv_wide_progression_one_row_per_patient_and_date(cohort, tmp_path):
    archive = run_export(
        tmp_path, level="progression_timepoints", format="csv_wide", date_mode="keep"
    )
    rows = csv_rows(archive, "progression_timepoints_wide.csv")
    assert len(rows) == 3  # anne: 2 dates, bruno: 1
    header = list(rows[0])
    assert header[:4] == ["patient", "timepoint_date", "disease_duration_years",
                          "raynaud_duration_years"]
    assert "hand_left_sum_longest_diameter_mm" in header
    assert "hand_right_status" in header
    anne = [r for r in rows if r["hand_left_status"]]
    assert [(r["timepoint_date"], r["hand_left_sum_longest_diameter_mm"]) for r in anne] == [
        ("2014-01-10", "8"), ("2015-01-12", "11"),
    ]
    assert all(r["hand_right_status"] == "" for r in anne)


def test_csv_wide_visits_carry_the_covariates(cohort, tmp_path):
    archive = run_export(tmp_path, level="visits", format="csv_wide", date_mode="keep")
    rows = csv_rows(archive, "visits_wide.csv")
    assert len(rows) == 3
    assert {(r["ssc_subtype"], r["antibody_aca"], r["birth_year"]) for r in rows} == {
        ("limited_cutaneous", "positive", "1960"), ("diffuse_cutaneous", "unknown", "1971"),
    }


def test_wide_is_refused_for_levels_without_timepoints(cohort):
    with pytest.raises(ValidationError) as error:
        export_check(ExportSpec(level="lesions", format="csv_wide", date_mode="keep"))
    assert "wide layout" in error.value.messages[0]


def test_parquet_columns_are_typed(cohort, tmp_path):
    archive = run_export(tmp_path, level="lesions", format="parquet", date_mode="keep")
    table = pq.read_table(io.BytesIO(archive.read("lesions.parquet")))
    assert table.num_rows == 4
    schema = table.schema
    assert schema.field("acquired_on").type == pa.date32()
    assert schema.field("longest_diameter_mm").type == pa.float64()
    assert schema.field("digit").type == pa.int64()
    assert schema.field("longest_diameter_mm").metadata[b"unit"] == b"mm"
    values = table.to_pydict()
    assert sorted(values["longest_diameter_mm"]) == [4.2, 8.0, 10.5, 11.0]
    assert date(2014, 1, 10) in values["acquired_on"]


def test_parquet_booleans_and_relative_days(cohort, tmp_path):
    archive = run_export(tmp_path, level="visits", format="parquet", date_mode="relative")
    table = pq.read_table(io.BytesIO(archive.read("visits.parquet")))
    assert table.schema.field("ulceration").type == pa.bool_()
    assert table.schema.field("visit_day").type == pa.int64()
    assert sorted(v for v in table.column("visit_day").to_pylist() if v is not None) == [301, 668]
    assert True in table.column("ulceration").to_pylist()


def test_xlsx_has_data_and_dictionary_sheets(cohort, tmp_path):
    archive = run_export(tmp_path, level="visits", format="xlsx", date_mode="keep")
    path = tmp_path / "visits.xlsx"
    path.write_bytes(archive.read("visits.xlsx"))
    book = load_workbook(path)
    assert book.sheetnames == ["data", "dictionary"]
    assert book["data"].max_row == 4  # header + 3 visits
    assert book["dictionary"]["A1"].value == "variable"


def test_xlsx_is_refused_above_the_row_limit(cohort, settings, tmp_path):
    settings.REGISTRY_EXPORT_XLSX_MAX_ROWS = 3
    with pytest.raises(ValidationError) as error:
        export_check(ExportSpec(level="lesions", format="xlsx", date_mode="keep"))
    assert "XLSX is for small cohorts" in error.value.messages[0]
    assert "4 rows" in error.value.messages[0]
    with pytest.raises(XlsxTooLarge):  # the task checks again while writing
        run_export(tmp_path, level="lesions", format="xlsx", date_mode="keep")


def test_manifest_lists_checksums_rows_and_rules(cohort, tmp_path):
    archive = run_export(
        tmp_path, level="lesions", format="csv", date_mode="shift",
        filters={"center": ["north"]}, rules={"progression_fraction": 0.3},
    )
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["request"]["filters"] == {"center": ["north"]}
    assert manifest["rules"]["progression"]["progression_fraction"] == 0.3
    assert manifest["row_counts"] == {"lesions.csv": 3}
    assert manifest["rows_sorted"] is False
    assert manifest["software"]["version"]
    for entry in manifest["files"]:
        data = archive.read(entry["name"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert len(data) == entry["bytes"]
    assert {e["name"] for e in manifest["files"]} == {"lesions.csv", "data_dictionary.csv"}


def test_filters_select_the_cohort(cohort, tmp_path):
    archive = run_export(tmp_path, level="patients", format="csv",
                         filters={"ssc_subtype": ["limited_cutaneous"], "aca": "positive"})
    rows = csv_rows(archive, "patients.csv")
    assert [(r["ssc_subtype"], r["center"]) for r in rows] == [("limited_cutaneous", "north")]
    archive = run_export(tmp_path, level="patients", format="csv",
                         filters={"has_calcinosis": False})
    assert [r["ssc_subtype"] for r in csv_rows(archive, "patients.csv")] == ["sine_scleroderma"]


@pytest.mark.parametrize("name", ["local_id", "registry_id", "registry_id_after"])
def test_filters_naming_a_person_are_refused(cohort, name):
    with pytest.raises(ValidationError) as error:
        export_check(ExportSpec(level="patients", format="csv", date_mode="keep",
                                filters={name: "x"}))
    assert f"filters.{name}" in error.value.message_dict


@pytest.mark.parametrize(("level", "column"), [("patients", "birth_year"),
                                               ("lesions", "longest_diameter_mm")])
def test_an_empty_selection_gives_valid_empty_files(cohort, tmp_path, level, column):
    """Found by schemathesis: Parquet of zero rows failed (row group size 0; pyarrow refuses an
    empty CSV stream on PostgreSQL). Zero rows give a file with the schema and no row."""
    nobody = {"disease_duration_min": 149}
    archive = run_export(tmp_path, level=level, format="parquet", filters=nobody)
    table = pq.read_table(io.BytesIO(archive.read(f"{level}.parquet")))
    assert table.num_rows == 0 and column in table.schema.names
    archive = run_export(tmp_path, level=level, format="csv", filters=nobody)
    assert csv_rows(archive, f"{level}.csv") == []
