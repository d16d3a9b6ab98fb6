"""Spreadsheet formula injection is neutralised in CSV and XLSX, numbers are never touched."""

import sqlite3
from datetime import date

import pytest
from openpyxl import load_workbook

from accounts.models import Center
from exports.formats.spreadsheet_safety import neutralise, neutralise_sql, restore
from tests import factories
from tests.exports.conftest import csv_rows, run_export


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("north", "north"),
        ("", ""),
        (-3, -3),
        (-2.5, -2.5),
        (None, None),
    ],
)
def test_neutralise(cell, expected):
    assert neutralise(cell) == expected


def test_restore_undoes_only_what_neutralise_added():
    assert restore("'=1+2") == "=1+2"
    assert restore("'quoted") == "'quoted"
    assert restore(neutralise("@x")) == "@x"


def test_sql_rule_matches_the_python_rule():
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (x text)")
    for text in ["=1+2", "+x", "-y", "@z", "\tz", "plain", "", "a=b"]:
        connection.execute("DELETE FROM t")
        connection.execute("INSERT INTO t VALUES (?)", (text,))
        (value,) = connection.execute(f"SELECT {neutralise_sql('x', 'sqlite')} FROM t").fetchone()
        assert value == neutralise(text)


@pytest.fixture
def hostile_center(db):
    """A center code no slug validation let through (written straight to the database)."""
    center = Center.objects.create(code="=1+2", name="Formula clinic")
    factories.make_patient(center, local_id="F-1", birth_date=date(1970, 1, 1))
    return center


def test_csv_cells_starting_like_formulas_are_quoted(hostile_center, tmp_path):
    archive = run_export(tmp_path, level="patients", format="csv", date_mode="relative")
    rows = csv_rows(archive, "patients.csv")
    assert [row["center"] for row in rows] == ["'=1+2"]
    assert rows[0]["birth_day"] == ""  # no onset: no relative date (and no negative touched)


def test_negative_numbers_are_not_quoted(cohort, tmp_path):
    archive = run_export(tmp_path, level="patients", format="csv", date_mode="relative")
    births = [row["birth_day"] for row in csv_rows(archive, "patients.csv") if row["birth_day"]]
    assert births == ["-19126"]


def test_xlsx_cells_are_neutralised_and_numbers_stay_numbers(hostile_center, cohort, tmp_path):
    archive = run_export(tmp_path, level="patients", format="xlsx", date_mode="relative")
    path = tmp_path / "patients.xlsx"
    path.write_bytes(archive.read("patients.xlsx"))
    sheet = load_workbook(path)["data"]
    header = [cell.value for cell in sheet[1]]
    values = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    assert "'=1+2" in {row["center"] for row in values}
    assert -19126 in {row["birth_day"] for row in values}
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
