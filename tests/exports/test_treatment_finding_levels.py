"""Issue #17: the treatments and findings levels, one row per treatment and per radiographic
finding, their values set by hand (tests/exports/treated.py) and read back in every date mode.

Worked out by hand (anne's anchor 2013-03-15, the midpoint of her month-precision onset):
2013-03-15 -> 2020-03-15 is 7 x 365 + 2 leap days (2016-02-29, 2020-02-29) = 2557 days, so
2020-03-01 is day 2543 and 2543 / 365.25 = 6.962 years; 2020-03-01 -> 2020-09-01 is
31 + 30 + 31 + 30 + 31 + 31 = 184 days (stop day 2727); 2014-01-10 is day 306 - 5 = 301.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pyarrow.parquet as pq
import pytest
from django.conf import settings

from exports.pseudonyms import date_offset_days, export_key, pseudonym
from exports.runner import registry_secret
from tests.exports.conftest import csv_rows, run_export
from tests.exports.test_privacy import readable_text
from tests.exports.treated import FINDING_NOTE, OTHER_TEXT

pytestmark = pytest.mark.django_db

PROJECT = "ISSUE-17"


def _names(treated) -> dict[str, str]:
    """Pseudonym (under the project key) -> the patient's name in the fixture."""
    key = export_key(project_key=PROJECT, registry_secret=registry_secret())
    cohort = treated.cohort
    people = {"anne": cohort.anne, "bruno": cohort.bruno, "chloe": cohort.chloe,
              "dora": treated.dora}
    return {pseudonym(key, p.registry_id): name for name, p in people.items()}


def _offset(patient) -> int:
    key = export_key(project_key=PROJECT, registry_secret=registry_secret())
    return date_offset_days(key, patient.registry_id, settings.REGISTRY_EXPORT_DATE_SHIFT_DAYS)


def _rows(treated, tmp_path, level: str, date_mode: str) -> list[dict[str, str]]:
    archive = run_export(tmp_path, level=level, format="csv", date_mode=date_mode,
                         project_key=PROJECT)
    names = _names(treated)
    return [{**row, "patient": names[row["patient"]]} for row in csv_rows(archive, f"{level}.csv")]


THIOSULFATE = {
    "patient": "anne", "treatment": "sodium_thiosulfate", "route": "intralesional",
    "dose_amount": "2.5", "dose_unit": "mL", "dose_frequency": "weekly",
    "started_on": "2020-03-01", "stopped_on": "2020-09-01", "ongoing": "false",
    "disease_duration_years": "6.962", "visit_date": "2020-03-01", "visit_type": "follow_up",
}


def test_treatments_with_dates_kept(treated, tmp_path):
    rows = _rows(treated, tmp_path, "treatments", "keep")
    assert list(rows[0]) == [
        "patient", "treatment", "route", "dose_amount", "dose_unit", "dose_frequency",
        "started_on", "stopped_on", "ongoing", "disease_duration_years", "visit_date",
        "visit_type",
    ]
    anne = [row for row in rows if row["patient"] == "anne"]
    assert anne[0] == THIOSULFATE  # ordered by start date within the patient
    assert anne[1] == {
        "patient": "anne", "treatment": "diltiazem", "route": "", "dose_amount": "180",
        "dose_unit": "mg", "dose_frequency": "daily", "started_on": "2021-05-10",
        "stopped_on": "", "ongoing": "true",
        # 2013-03-15 -> 2021-03-15: 2557 + 365 = 2922 days; + 56 to 2021-05-10 = 2978 days.
        "disease_duration_years": "8.153", "visit_date": "", "visit_type": "",
    }
    assert [row["treatment"] for row in anne] == [
        "sodium_thiosulfate", "diltiazem", "surgical_excision"
    ]
    bruno = [row for row in rows if row["patient"] == "bruno"]
    assert [(r["treatment"], r["visit_date"], r["visit_type"], r["disease_duration_years"])
            for r in bruno] == [
        ("none", "2016-06-01", "baseline", ""),  # no onset recorded: no duration
        ("eswl", "", "", ""),
    ]
    chloe = [row for row in rows if row["patient"] == "chloe"]
    assert [row["treatment"] for row in chloe] == ["other"]
    assert len(rows) == 7  # anne 3, bruno 2, chloe 1, dora 1


def test_treatments_with_dates_shifted_keep_their_intervals(treated, tmp_path):
    rows = _rows(treated, tmp_path, "treatments", "shift")
    thiosulfate = next(r for r in rows if r["treatment"] == "sodium_thiosulfate")
    offset = timedelta(days=_offset(treated.cohort.anne))
    assert thiosulfate["started_on"] == (date(2020, 3, 1) + offset).isoformat()
    assert thiosulfate["stopped_on"] == (date(2020, 9, 1) + offset).isoformat()
    assert thiosulfate["visit_date"] == thiosulfate["started_on"]  # the same offset
    assert thiosulfate["disease_duration_years"] == "6.962"  # intervals are exact
    none = next(r for r in rows if r["treatment"] == "none")
    assert none["started_on"] == (
        date(2016, 6, 1) + timedelta(days=_offset(treated.cohort.bruno))
    ).isoformat()


def test_treatments_with_relative_dates(treated, tmp_path):
    rows = _rows(treated, tmp_path, "treatments", "relative")
    thiosulfate = next(r for r in rows if r["treatment"] == "sodium_thiosulfate")
    assert {k: thiosulfate[k] for k in ("started_day", "stopped_day", "visit_day")} == {
        "started_day": "2543", "stopped_day": "2727", "visit_day": "2543",
    }
    assert "started_on" not in thiosulfate and "visit_date" not in thiosulfate
    none = next(r for r in rows if r["treatment"] == "none")
    assert none["started_day"] == "" and none["visit_day"] == ""  # bruno has no anchor


ANNE_FINDING = {
    "patient": "anne", "radiograph_number": "1", "acquired_on": "2014-01-10",
    "body_region": "hand", "radiograph_laterality": "left",
    "finding": "periarticular_osteopenia", "digit": "4", "segment": "", "joint": "pip",
}


@pytest.mark.parametrize("date_mode", ["keep", "shift", "relative"])
def test_findings_in_every_date_mode(treated, tmp_path, date_mode):
    rows = _rows(treated, tmp_path, "findings", date_mode)
    anne = next(r for r in rows if r["patient"] == "anne")
    bruno = next(r for r in rows if r["patient"] == "bruno")
    dora = next(r for r in rows if r["patient"] == "dora")
    date_column = "acquired_day" if date_mode == "relative" else "acquired_on"
    expected = {k: v for k, v in ANNE_FINDING.items() if k != "acquired_on"}
    assert {k: v for k, v in anne.items() if k != date_column} == expected
    assert (bruno["finding"], bruno["digit"], bruno["segment"], bruno["joint"],
            bruno["radiograph_laterality"]) == ("acro_osteolysis", "2", "distal_phalanx", "",
                                                "right")
    assert dora["finding"] == "erosion"  # no research export: every finding
    if date_mode == "keep":
        assert anne[date_column] == "2014-01-10"
    elif date_mode == "shift":
        offset = timedelta(days=_offset(treated.cohort.anne))
        assert anne[date_column] == (date(2014, 1, 10) + offset).isoformat()
    else:
        assert anne[date_column] == "301"
        assert bruno[date_column] == ""  # bruno has no anchor
    assert len(rows) == 3


def test_findings_join_the_radiographs_by_number(treated, tmp_path):
    """The finding's radiograph_number is the radiographs file's: same date, region, side."""
    archive = run_export(tmp_path, level="all", format="csv", project_key=PROJECT)
    radiographs = {(r["patient"], r["radiograph_number"]): r
                   for r in csv_rows(archive, "radiographs.csv")}
    findings = csv_rows(archive, "findings.csv")
    assert len(findings) == 3
    for finding in findings:
        radiograph = radiographs[(finding["patient"], finding["radiograph_number"])]
        assert (radiograph["acquired_on"], radiograph["body_region"],
                radiograph["laterality"]) == (finding["acquired_on"], finding["body_region"],
                                              finding["radiograph_laterality"])


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx", "sav", "dta", "fhir_ndjson"])
def test_free_text_never_leaves(treated, tmp_path, fmt):
    """other_text and a finding's notes are in no member of any format."""
    archive = run_export(tmp_path, level="all" if fmt != "fhir_ndjson" else "patients",
                         format=fmt, date_mode="keep")
    for name in archive.namelist():
        text = readable_text(archive, name)
        assert OTHER_TEXT not in text and FINDING_NOTE not in text, name


def test_parquet_types_of_the_new_levels(treated, tmp_path):
    archive = run_export(tmp_path, level="all", format="parquet")
    treatments = pq.read_table(archive.open("treatments.parquet"))
    assert str(treatments.schema.field("dose_amount").type) == "double"
    assert str(treatments.schema.field("started_on").type) == "date32[day]"
    assert str(treatments.schema.field("ongoing").type) == "bool"
    assert sorted(v for v in treatments.column("dose_amount").to_pylist() if v) == [2.5, 180.0]
    findings = pq.read_table(archive.open("findings.parquet"))
    assert str(findings.schema.field("digit").type) == "int64"
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["row_counts"]["treatments.parquet"] == 7
    assert manifest["row_counts"]["findings.parquet"] == 3
