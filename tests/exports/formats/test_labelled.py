"""SPSS (.sav) and Stata (.dta): read back with pyreadstat and compared, value by value, label by
label and type by type, with the CSV of the same export (same project key: same pseudonyms and
date offsets), for every level and date mode."""

import csv
import io
import json
from datetime import date

import polars as pl
import pyarrow as pa
import pyreadstat
import pytest
from django.core.exceptions import ValidationError

from exports.columns import BOOLEAN, CATEGORY, DATE, INTEGER, NUMBER, STRING
from exports.formats.labelled import LabelledTooLarge, frame
from exports.formats.value_labels import BOOLEAN_LABELS, value_labels, variable_label
from exports.runner import LEVEL_COLUMNS, ExportSpec
from exports.services import export_check
from tests import factories
from tests.exports.conftest import csv_rows, run_export

pytestmark = pytest.mark.django_db
KEY = "CALC-LABELLED-2026"
READERS = {"sav": pyreadstat.read_sav, "dta": pyreadstat.read_dta}
DATE_TYPES = {"sav": "DATE11", "dta": "%td"}


def read_back(archive, name, fmt, tmp_path):
    """(values by name, pyreadstat's metadata) of a data file in the zip."""
    path = tmp_path / name
    path.write_bytes(archive.read(name))
    return READERS[fmt](str(path), output_format="dict")


def names_in_file(archive):
    rows = csv.DictReader(io.StringIO(archive.read("data_dictionary.csv").decode()))
    return {row["variable"]: row["name_in_file"] for row in rows}


def csv_value(text, column):
    """A CSV cell as the value the labelled file should decode to."""
    if text == "":
        return None
    if column.kind == DATE:
        return date.fromisoformat(text)
    if column.kind == INTEGER and column.choices:
        return dict(zip(column.choices, column.choice_labels, strict=True))[text]
    if column.kind == INTEGER:
        return int(text)
    if column.kind == NUMBER:
        return float(text)
    if column.kind == BOOLEAN:
        return BOOLEAN_LABELS[{"false": 0, "true": 1}[text]]
    if column.kind == CATEGORY:
        labels = column.choice_labels or column.choices
        return dict(zip(column.choices, labels, strict=True))[text]
    return text


def file_value(value, labels, column):
    """A value read back, a code decoded through the file's own value labels (SPSS numbers are
    doubles: an integer column's are made integers again)."""
    if value is None or value == "":
        return None
    if labels:
        return labels[value]
    return int(value) if column.kind == INTEGER else value


def assert_same_as_csv(columns, rows, data, meta, names, fmt):
    assert list(data) == [names[column.name] for column in columns]
    expected, found = [], []
    for column in columns:
        name = names[column.name]
        labels = meta.variable_value_labels.get(name, {})
        assert labels == value_labels(column, fmt), name
        assert meta.column_names_to_labels[name] == variable_label(column, fmt)
        kind, stored = meta.original_variable_types[name], meta.readstat_variable_types[name]
        text = column.kind == STRING or (column.kind == CATEGORY and not column.choices)
        assert (stored == "string") == text, name
        if column.kind == DATE:
            assert kind == DATE_TYPES[fmt], name
        elif column.kind in (INTEGER, BOOLEAN) or labels:  # integers, not doubles
            assert stored == "int32" if fmt == "dta" else kind.endswith(".0"), name
        elif column.kind == NUMBER:
            assert stored == "double", name
        expected.append([csv_value(row[column.name], column) for row in rows])
        found.append([file_value(value, labels, column) for value in data[name]])

    def ordered(table):
        return sorted(zip(*table, strict=True), key=lambda row: [repr(v) for v in row])

    assert ordered(found) == ordered(expected)


@pytest.mark.parametrize("date_mode", ["keep", "shift", "relative"])
@pytest.mark.parametrize("level", list(LEVEL_COLUMNS))
def test_sav_and_dta_hold_what_the_csv_holds(cohort, tmp_path, level, date_mode):
    rows = csv_rows(
        run_export(tmp_path, level=level, format="csv", date_mode=date_mode, project_key=KEY),
        f"{level}.csv",
    )
    columns = LEVEL_COLUMNS[level](date_mode)
    for fmt in ("sav", "dta"):
        archive = run_export(tmp_path, level=level, format=fmt, date_mode=date_mode,
                             project_key=KEY)
        data, meta = read_back(archive, f"{level}.{fmt}", fmt, tmp_path)
        assert meta.number_rows == len(rows)
        assert_same_as_csv(columns, rows, data, meta, names_in_file(archive), fmt)


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_a_15_mm_lesion_and_the_categories_hand_checked(cohort, tmp_path, fmt):
    """15.0 mm reads back as 15.0, labelled "longest diameter (mm)"; Bruno (male, diffuse
    cutaneous) is sex 2 = Male and subtype 2 = Diffuse cutaneous (second choices declared)."""
    radiograph = factories.make_radiograph(cohort.chloe, acquired_on=date(2020, 5, 4))
    factories.make_lesion(radiograph, longest_diameter_mm=15.0)
    archive = run_export(tmp_path, level="lesions", format=fmt, date_mode="keep")
    data, meta = read_back(archive, f"lesions.{fmt}", fmt, tmp_path)
    chloe = data["acquired_on"].index(date(2020, 5, 4))
    assert data["longest_diameter_mm"][chloe] == 15.0
    assert meta.column_names_to_labels["longest_diameter_mm"] == "longest diameter (mm)"
    assert meta.original_variable_types["acquired_on"] == DATE_TYPES[fmt]

    archive = run_export(tmp_path, level="patients", format=fmt, date_mode="keep")
    data, meta = read_back(archive, f"patients.{fmt}", fmt, tmp_path)
    bruno = data["birth_year"].index(1971)
    assert (data["sex"][bruno], data["ssc_subtype"][bruno]) == (2, 2)
    assert meta.variable_value_labels["sex"][2] == "Male"
    assert meta.variable_value_labels["ssc_subtype"][2] == "Diffuse cutaneous"
    anne = data["birth_year"].index(1960)
    assert data["sclerodactyly"][anne] == 1 and meta.variable_value_labels["sclerodactyly"] == {
        0: "No", 1: "Yes"}
    # Stata keeps 29 characters; the dictionary says which name is which.
    renamed = "first_non_raynaud_o_precision" if fmt == "dta" else (
        "first_non_raynaud_onset_precision")
    assert names_in_file(archive)["first_non_raynaud_onset_precision"] == renamed
    assert meta.variable_value_labels[renamed] == {1: "Year", 2: "Month", 3: "Day"}
    assert data[renamed][anne] == 2  # month


def test_the_dictionary_of_a_labelled_export_lists_the_codes(cohort, tmp_path):
    archive = run_export(tmp_path, level="visits", format="sav", date_mode="relative")
    rows = {r["variable"]: r for r in csv.DictReader(
        io.StringIO(archive.read("data_dictionary.csv").decode()))}
    assert rows["visit_type"]["codes"] == (
        "1 = baseline (Baseline); 2 = follow_up (Follow-up); 3 = unscheduled (Unscheduled)")
    assert rows["ulceration"]["codes"] == "0 = false (No); 1 = true (Yes)"
    assert rows["visit_day"]["name_in_file"] == "visit_day" and rows["visit_day"]["codes"] == ""
    data, meta = read_back(archive, "visits.sav", "sav", tmp_path)
    assert meta.column_names_to_labels["visit_day"] == "visit date (days)"
    assert sorted(v for v in data["visit_day"] if v is not None) == [301, 668]
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["software"]["pyreadstat"] == pyreadstat.__version__
    assert manifest["row_counts"] == {"visits.sav": 3}


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_an_empty_selection_gives_an_empty_typed_file(cohort, tmp_path, fmt):
    archive = run_export(tmp_path, level="lesions", format=fmt,
                         filters={"disease_duration_min": 149})
    data, meta = read_back(archive, f"lesions.{fmt}", fmt, tmp_path)
    assert meta.number_rows == 0 and data["longest_diameter_mm"] == []
    assert meta.original_variable_types["acquired_on"] == DATE_TYPES[fmt]
    assert meta.variable_value_labels["laterality"] == {1: "Left", 2: "Right"}


def test_a_value_outside_the_choices_stops_the_export():
    """The database's check constraints keep vocabularies closed; were one ever bypassed, the
    export fails naming the column instead of writing the value as missing."""
    visit_type = LEVEL_COLUMNS["visits"]("keep")[2]
    batch = pa.RecordBatch.from_arrays(
        [pa.array(["baseline", "", None, "telephone"])], names=["visit_type"]
    )
    with pytest.raises(ValueError, match="visit_type: 'telephone' is not one of its choices"):
        frame([batch], [visit_type], None, max_rows=10)
    assert frame([batch.slice(0, 3)], [visit_type], None, max_rows=10)["visit_type"].to_list(
    ) == [1, None, None]


def test_integers_beyond_statas_long_stay_64_bit():
    """Stata's long ends at 2,147,483,620 (the int32 values above are its missing codes)."""
    rows = next(c for c in LEVEL_COLUMNS["radiographs"]("keep") if c.name == "rows")
    small = pa.RecordBatch.from_arrays([pa.array([2500, None], pa.int64())], names=["rows"])
    big = pa.RecordBatch.from_arrays([pa.array([2_147_483_621], pa.int64())], names=["rows"])
    assert frame([small], [rows], None, max_rows=9)["rows"].dtype == pl.Int32
    wide = frame([small, big], [rows], None, max_rows=9)["rows"]
    assert wide.dtype == pl.Int64 and wide.to_list() == [2500, None, 2_147_483_621]


def test_the_row_limit_is_checked_again_while_writing(cohort, settings, tmp_path):
    """The cohort's 4 lesions: checked at the request (the job fails with the reason if the
    data grew since), and while the frame is built, before it holds more than the limit."""
    settings.REGISTRY_EXPORT_LABELLED_MAX_ROWS = 3
    with pytest.raises(ValidationError) as error:
        export_check(ExportSpec(level="lesions", format="dta", date_mode="keep"))
    assert error.value.message_dict["format"][0].startswith(
        "SPSS and Stata files are built in memory: this export has 4 rows or more")
    with pytest.raises(LabelledTooLarge):
        run_export(tmp_path, level="lesions", format="sav")
