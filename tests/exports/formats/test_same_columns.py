"""Every format of a level carries the same variables: exactly those of the export's own data
dictionary (SPSS and Stata under the name the dictionary gives them in the file)."""

import csv
import io

import pyarrow.parquet as pq
import pyreadstat
import pytest
from openpyxl import load_workbook

from exports.dictionary import IMPORT_ONLY
from exports.models import levels_of
from exports.runner import LEVEL_COLUMNS
from tests.exports.conftest import run_export

pytestmark = pytest.mark.django_db
FORMATS = ("csv", "parquet", "xlsx", "sav", "dta")


def dictionary(archive) -> list[dict[str, str]]:
    text = archive.read("data_dictionary.csv").decode()
    return [row for row in csv.DictReader(io.StringIO(text)) if row["import"] != IMPORT_ONLY]


def file_columns(archive, name: str, fmt: str, tmp_path) -> list[str]:
    """The variable names of a data file, read with the format's own library."""
    data = archive.read(name)
    if fmt == "csv":
        return next(csv.reader(io.StringIO(data.decode())))
    if fmt == "parquet":
        return pq.read_schema(io.BytesIO(data)).names
    path = tmp_path / name
    path.write_bytes(data)
    if fmt == "xlsx":
        return [cell.value for cell in next(load_workbook(path, read_only=True)["data"].rows)]
    reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    return reader(str(path), metadataonly=True, output_format="dict")[1].column_names


@pytest.mark.parametrize("date_mode", ["keep", "relative"])
@pytest.mark.parametrize("level", list(LEVEL_COLUMNS))
def test_every_format_carries_the_dictionarys_variables(cohort, tmp_path, level, date_mode):
    variables = {}
    for fmt in FORMATS:
        archive = run_export(tmp_path, level=level, format=fmt, date_mode=date_mode)
        described = dictionary(archive)
        variables[fmt] = [row["variable"] for row in described]
        in_file = [row.get("name_in_file") or row["variable"] for row in described]
        assert file_columns(archive, f"{level}.{fmt}", fmt, tmp_path) == in_file, fmt
    assert all(names == variables["csv"] for names in variables.values()), variables
    assert variables["csv"] == [column.name for column in LEVEL_COLUMNS[level](date_mode)]


def test_the_wide_visits_hold_every_visit_variable(cohort, tmp_path):
    long = dictionary(run_export(tmp_path, level="visits", format="csv"))
    archive = run_export(tmp_path, level="visits", format="csv_wide")
    wide = file_columns(archive, "visits_wide.csv", "csv", tmp_path)
    assert set(wide) >= {row["variable"] for row in long}
    assert wide == [row["variable"] for row in dictionary(archive)]


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_a_package_has_one_labelled_file_per_level(cohort, tmp_path, fmt):
    archive = run_export(tmp_path, level="all", format=fmt)
    described = dictionary(archive)
    for level in levels_of("all"):
        name = f"{level}.{fmt}"
        in_file = [row["name_in_file"] for row in described if row["file"] == name]
        assert file_columns(archive, name, fmt, tmp_path) == in_file, name
    assert {row["file"] for row in described} == {f"{level}.{fmt}" for level in levels_of("all")}
