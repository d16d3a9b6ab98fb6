"""``export_cohort`` and ``import_cohort`` on the command line."""

import zipfile
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from patients.models import Patient
from tests import factories
from tests.exports.conftest import csv_rows

pytestmark = pytest.mark.django_db


def test_export_cohort_writes_the_zip_with_a_progress_bar(cohort, tmp_path):
    out, err = StringIO(), StringIO()
    output = tmp_path / "north.zip"
    call_command(
        "export_cohort", "--level", "lesions", "--format", "csv", "--date-mode", "shift",
        "--center", "north", "--filter", "ssc_subtype=limited_cutaneous",
        "--filter", "ssc_subtype=sine_scleroderma", "--output", str(output),
        stdout=out, stderr=err,
    )
    assert "[" in err.getvalue() and "rows" in err.getvalue()
    assert "2 patients; lesions.csv: 3" in out.getvalue()
    with zipfile.ZipFile(output) as archive:
        assert len(csv_rows(archive, "lesions.csv")) == 3


def test_export_cohort_writes_a_labelled_package(cohort, tmp_path):
    out = StringIO()
    output = tmp_path / "stata.zip"
    call_command("export_cohort", "--level", "all", "--format", "dta", "--output", str(output),
                 stdout=out, stderr=StringIO())
    assert "lesions.dta: 4" in out.getvalue()
    with zipfile.ZipFile(output) as archive:
        assert {"patients.dta", "lesions.dta", "data_dictionary.csv"} <= set(archive.namelist())


def test_export_cohort_refuses_what_the_api_refuses(cohort, tmp_path):
    with pytest.raises(CommandError, match="calendar dates"):
        call_command("export_cohort", "--level", "patients", "--format", "fhir_ndjson",
                     "--date-mode", "relative", "--output", str(tmp_path / "x.zip"))
    with pytest.raises(CommandError, match="a person"):
        call_command("export_cohort", "--level", "patients", "--format", "csv",
                     "--filter", "local_id=MRN-1", "--output", str(tmp_path / "x.zip"))


def test_import_cohort_dry_run_then_commit(db, tmp_path):
    factories.make_center("north", "North clinic")
    path = tmp_path / "patients.csv"
    path.write_text("local_id,sex,birth_date,ssc_subtype\nC-1,female,1960-01-01,overlap\n")
    out = StringIO()
    call_command("import_cohort", str(path), "--center", "north", stdout=out)
    assert "dry run" in out.getvalue() and Patient.objects.count() == 0
    call_command("import_cohort", str(path), "--center", "north", "--commit", stdout=out)
    assert Patient.objects.get().local_id == "C-1"


def test_import_cohort_reports_row_errors(db, tmp_path):
    factories.make_center("north", "North clinic")
    path = tmp_path / "patients.csv"
    path.write_text("local_id,sex,birth_date,ssc_subtype\nC-1,f,1960-01-01,overlap\n")
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_cohort", str(path), "--center", "north", "--commit", stderr=err)
    assert "row 2, column sex" in err.getvalue()
