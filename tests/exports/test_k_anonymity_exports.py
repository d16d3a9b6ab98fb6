"""Issue 17, re-identification risk: every export reports its k-anonymity, and a generalized one
reaches k >= K (birth bands, small centers as "other", relative days, then suppression).

The cohort of the issue: a big center of 30 patients in six groups of five alike on every
quasi-identifier, two small centers (s1: six women, s2: five women) alike but for the center, and
the only man over 80, at s2. Worked by hand (K = 5, small centers below 20 patients):
- as requested (dates kept): 9 groups (6 + s1 + s2 + him), k = 1, 1 patient below K;
- birth bands: the groups stay apart (one band each): 9 groups, k = 1;
- s1 and s2 become "other": their women merge (11): 8 groups, k = 1;
- relative days drop the onset and first-visit years: 8 groups, k = 1;
- suppressing him: 7 groups, k = 5 (each big group), nobody below K.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.services import user_add
from exports.disclosure import FHIR_KEEPS_DATES, OTHER_CENTER, RELATIVE_DATES
from exports.models import ExportJob
from imaging.models import RadiographicFinding
from imaging.services import finding_save
from patients.models import CalcinosisTreatment
from patients.services import treatment_save
from tests import factories
from tests.api.conftest import client_for
from tests.exports.conftest import csv_rows, run_export
from tests.exports.test_api import download, request_export

pytestmark = pytest.mark.django_db

BIG_GROUPS = [  # sex, birth year, subtype: each band holds one group only
    ("female", 1950, "limited_cutaneous"),
    ("female", 1962, "diffuse_cutaneous"),
    ("male", 1965, "limited_cutaneous"),
    ("female", 1970, "sine_scleroderma"),
    ("male", 1975, "diffuse_cutaneous"),
    ("female", 1981, "limited_cutaneous"),
]
SMALL = 6  # the small centers' group index: onsets 2006 and 2011-03, first visit in 2021
BEFORE = {"k": 1, "patients_below_k": 1, "groups": 9}
STEPS = [
    {"step": "birth_year_band", "k": 1, "patients_below_k": 1, "groups": 9},
    {"step": "small_centers_other", "k": 1, "patients_below_k": 1, "groups": 8,
     "centers": ["s1", "s2"]},
    {"step": "relative_dates", "k": 1, "patients_below_k": 1, "groups": 8},
    {"step": "suppression", "k": 5, "patients_below_k": 0, "groups": 7,
     "suppressed_patients": 1},
]
HIS_ROWS = {  # two visits, two radiographs a year apart with one lesion each on one track
    "patients.csv": 1, "visits.csv": 2, "treatments.csv": 1, "radiographs.csv": 2,
    "findings.csv": 1, "lesions.csv": 2, "progression_timepoints.csv": 2,
}


def _treated(patient, radiograph) -> None:
    treatment_save(treatment=CalcinosisTreatment(patient=patient, treatment="diltiazem",
                                                 started_on=radiograph.acquired_on))
    finding_save(finding=RadiographicFinding(radiograph=radiograph, finding="erosion", digit=2))


def _patient(center, group: int, n: int, **fields):
    return factories.make_patient(
        center,
        local_id=f"MRN-K-{center.code}-{group}-{n}",
        raynaud_onset=date(2000 + group, 1, 1), raynaud_onset_precision="year",
        first_non_raynaud_onset=date(2005 + group, 3, 1),
        first_non_raynaud_onset_precision="month",
        **fields,
    )


@pytest.fixture
def issue_cohort():
    big = factories.make_center("big", "Big clinic")
    s1, s2 = factories.make_center("s1", "Small one"), factories.make_center("s2", "Small two")
    for group, (sex, year, subtype) in enumerate(BIG_GROUPS):
        for n in range(5):
            patient = _patient(big, group, n, sex=sex, birth_date=date(year, 1 + n, 3 + n),
                               ssc_subtype=subtype)
            factories.make_visit(patient, date=date(2015 + group, 2, 1 + n))
            if group == 0:  # imaging of others too: only his rows may go
                radiograph = factories.make_radiograph(patient, acquired_on=date(2015, 2, 1))
                factories.make_lesion(radiograph, longest_diameter_mm=4.0)
                _treated(patient, radiograph)
    for center, count in ((s1, 6), (s2, 5)):
        for n in range(count):
            patient = _patient(center, SMALL, n, sex="female", birth_date=date(1956, 2, 1 + n),
                               ssc_subtype="limited_cutaneous")
            factories.make_visit(patient, date=date(2021, 3, 1 + n))
    him = _patient(s2, SMALL, 99, sex="male", birth_date=date(1940, 5, 20),
                   ssc_subtype="limited_cutaneous")
    track = factories.make_track(him)
    for year in (2021, 2022):
        factories.make_visit(him, date=date(year, 2, 10))
        radiograph = factories.make_radiograph(him, acquired_on=date(year, 2, 10))
        factories.make_lesion(radiograph, track=track, longest_diameter_mm=6.0)
    _treated(him, radiograph)
    return {"big": big, "s1": s1, "s2": s2}


@pytest.fixture
def research_user(issue_cohort, settings):
    settings.REGISTRY_EXPORT_RESEARCH_GENERALIZE = True  # registry/settings/base.py's default
    return user_add(email="r@k.example", center=issue_cohort["big"], role="researcher")


@pytest.fixture
def researcher(research_user):
    return client_for(research_user)


def _manifest(archive) -> dict:
    return json.loads(archive.read("manifest.json"))


def _export(client, callbacks, **body):
    response = request_export(client, callbacks, **body)
    assert response.status_code == 202, response.content[:300]
    job = ExportJob.objects.get(pk=response.json()["id"])
    assert job.status == "succeeded", job.error
    return response.json(), download(client, job.pk)


def _data_files(archive) -> list[str]:
    return [n for n in archive.namelist() if n.endswith(".csv") and n != "data_dictionary.csv"]


def test_a_researchers_package_is_generalized_by_default_and_loses_only_him(
    researcher, settings, django_capture_on_commit_callbacks
):
    """Same project key, so the same pseudonyms: every file of the generalized package holds
    the ungeneralized one's rows but his (the registry lets researchers opt out, then not)."""
    settings.REGISTRY_EXPORT_RESEARCH_GENERALIZE = False
    plain_job, plain = _export(researcher, django_capture_on_commit_callbacks, level="all",
                               format="csv", project_key="K-ANON", generalize=False)
    settings.REGISTRY_EXPORT_RESEARCH_GENERALIZE = True
    job, generalized = _export(researcher, django_capture_on_commit_callbacks, level="all",
                               format="csv", project_key="K-ANON")
    assert (plain_job["generalize"], job["generalize"], job["date_mode"]) == (False, True, "keep")
    patients = csv_rows(plain, "patients.csv")
    (his,) = [row["patient"] for row in patients if row["sex"] == "male"
              and row["birth_year"] == "1940"]
    assert len(patients) == 42
    files = _data_files(plain)
    assert set(files) == set(_data_files(generalized)) == set(HIS_ROWS)
    for name in files:
        before = csv_rows(plain, name)
        after = csv_rows(generalized, name)
        mine = [row for row in before if row["patient"] == his]
        assert len(mine) == HIS_ROWS[name], name
        assert len(after) == len(before) - len(mine), name
        assert Counter(row["patient"] for row in after) == Counter(
            row["patient"] for row in before if row["patient"] != his
        ), name

    risk = _manifest(generalized)["re_identification"]
    assert (risk["k_threshold"], risk["before"], risk["steps"]) == (5, BEFORE, STEPS)
    assert risk["after"] == {"k": 5, "patients_below_k": 0, "groups": 7}
    assert (risk["suppressed_patients"], risk["centers_as_other"]) == (1, ["s1", "s2"])
    assert (risk["date_mode"], risk["skipped_steps"]) == ("relative", [])
    manifest = _manifest(generalized)
    assert manifest["patients"] == 41 and manifest["request"]["date_mode"] == "keep"
    assert manifest["pseudonymization"]["dates"].startswith("Dates replaced by days")

    rows = csv_rows(generalized, "patients.csv")
    assert "birth_year" not in rows[0] and "raynaud_onset_day" in rows[0]
    groups = Counter((r["sex"], r["birth_year_band"], r["center"], r["ssc_subtype"])
                     for r in rows)
    assert min(groups.values()) == 5  # k recomputed from the file itself
    assert groups[("female", "1955-1959", OTHER_CENTER, "limited_cutaneous")] == 11
    assert {r["center"] for r in rows} == {"big", OTHER_CENTER}
    assert "visit_day" in csv_rows(generalized, "visits.csv")[0]
    marked = {(row["file"], row["variable"]) for row in csv_rows(generalized, "data_dictionary.csv")
              if row["quasi_identifier"] == "yes"}
    assert {variable for file, variable in marked if file == "patients.csv"} == {
        "center", "sex", "birth_year_band", "ssc_subtype"
    }
    assert not {variable for file, variable in marked if file == "visits.csv"}  # visit_day


def test_a_researcher_cannot_lift_the_generalization_while_the_setting_is_on(researcher):
    """The data recipient does not switch the protection off (security review of issue 17)."""
    response = researcher.post("/api/v1/exports/", {
        "level": "patients", "format": "csv", "generalize": False,
    }, format="json")
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["generalize"]
    assert not ExportJob.objects.exists()


def test_with_the_setting_off_a_researcher_may_ask_for_the_report_only(
    researcher, settings, django_capture_on_commit_callbacks
):
    settings.REGISTRY_EXPORT_RESEARCH_GENERALIZE = False
    job, archive = _export(researcher, django_capture_on_commit_callbacks, level="patients",
                           format="csv")
    risk = _manifest(archive)["re_identification"]
    assert (job["generalize"], risk["generalized"], risk["before"]) == (False, False, BEFORE)
    assert risk["after"] == BEFORE and risk["steps"] == [] and risk["suppressed_patients"] == 0
    assert risk["quasi_identifiers"] == [
        "sex", "birth_year", "center", "ssc_subtype", "raynaud_onset_year",
        "first_non_raynaud_onset_year", "first_visit_year",
    ]
    assert len(csv_rows(archive, "patients.csv")) == 42


def test_a_clinicians_export_reports_without_generalizing(
    issue_cohort, settings, django_capture_on_commit_callbacks
):
    """A clinician of s2 exports s2: its five women and him, 2 groups, k = 1."""
    settings.REGISTRY_EXPORT_RESEARCH_GENERALIZE = True
    client = client_for(user_add(email="c@k.example", center=issue_cohort["s2"],
                                 role="clinician"))
    job, archive = _export(client, django_capture_on_commit_callbacks, level="patients",
                           format="csv", date_mode="keep")
    risk = _manifest(archive)["re_identification"]
    assert (job["generalize"], risk["generalized"]) == (False, False)
    assert risk["before"] == risk["after"] == {"k": 1, "patients_below_k": 1, "groups": 2}
    assert len(csv_rows(archive, "patients.csv")) == 6


def test_fhir_keeps_calendar_dates_and_masks_the_band(issue_cohort, tmp_path):
    archive = run_export(tmp_path, level="patients", format="fhir_ndjson", generalize=True)
    risk = _manifest(archive)["re_identification"]
    assert [step["step"] for step in risk["steps"]] == [
        "birth_year_band", "small_centers_other", "suppression"
    ]
    assert risk["skipped_steps"] == [{"step": RELATIVE_DATES, "reason": FHIR_KEEPS_DATES}]
    assert risk["steps"][-1]["suppressed_patients"] == 1 and risk["date_mode"] == "keep"
    assert risk["after"] == {"k": 5, "patients_below_k": 0, "groups": 7}
    patients = [json.loads(line) for line in archive.read("Patient.ndjson").splitlines()]
    assert len(patients) == 41 and not any("birthDate" in p for p in patients)
    assert {p["_birthDate"]["extension"][0]["valueCode"] for p in patients} == {"masked"}
    dictionary = {row["variable"]: row for row in csv_rows(archive, "data_dictionary.csv")}
    assert dictionary["Patient.birthDate"]["quasi_identifier"] == "yes"


def test_a_shifted_export_with_a_project_key_is_generalized_too(issue_cohort, tmp_path):
    """Shifted years differ per patient, so the report counts more patients below K; the
    relative step drops them and only he is suppressed."""
    archive = run_export(tmp_path, level="visits", format="csv_wide", date_mode="shift",
                         generalize=True, project_key="K-SHIFT")
    risk = _manifest(archive)["re_identification"]
    assert risk["before"]["k"] == 1 and risk["suppressed_patients"] == 1
    assert risk["date_mode"] == "relative" and risk["after"]["k"] == 5
    rows = csv_rows(archive, "visits_wide.csv")
    assert len(rows) == 43 - 2 and "birth_year_band" in rows[0] and "visit_day" in rows[0]


def test_every_tabular_format_writes_the_generalized_package(issue_cohort, tmp_path):
    for fmt in ("parquet", "xlsx", "sav", "dta"):
        archive = run_export(tmp_path, level="all", format=fmt, generalize=True)
        manifest = _manifest(archive)
        assert manifest["patients"] == 41, fmt
        assert manifest["re_identification"]["steps"] == STEPS, fmt


def test_the_command_generalizes_on_request(issue_cohort, tmp_path):
    out = StringIO()
    output = tmp_path / "k.zip"
    call_command("export_cohort", "--level", "patients", "--format", "csv", "--date-mode",
                 "keep", "--generalize", "--output", str(output), stdout=out, stderr=StringIO())
    assert "41 patients; patients.csv: 41" in out.getvalue()
    assert ("k-anonymity (K = 5): k = 1, 1 patients below K; generalized: k = 5, 1 patients "
            "suppressed") in out.getvalue()


@pytest.fixture
def lone_researcher(settings):
    """A researcher of an empty center: requests refused before any patient is read."""
    return client_for(user_add(email="lone@k.example", center=factories.make_center("lone"),
                               role="researcher"))


def test_a_malformed_generalize_is_refused_naming_it(lone_researcher):
    response = lone_researcher.post("/api/v1/exports/", {
        "level": "patients", "format": "csv", "generalize": "maybe",
    }, format="json")
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["generalize"]
    assert not ExportJob.objects.exists()


def test_a_researcher_cannot_ask_for_relative_dates_even_generalized(lone_researcher):
    response = lone_researcher.post("/api/v1/exports/", {
        "level": "patients", "format": "csv", "generalize": True, "date_mode": "relative",
    }, format="json")
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["date_mode"]


def test_the_exports_page_offers_the_option_and_shows_the_steps(
    client, research_user, settings, django_capture_on_commit_callbacks
):
    client.force_login(research_user)
    page = client.get(reverse("clinic:exports")).content.decode()
    (checkbox,) = re.findall(r'<input[^>]*name="generalize"[^>]*>', page)
    assert " checked" in checkbox and " disabled" in checkbox  # the researchers' rule
    form = {"level": "patients", "format": "csv", "date_mode": "keep"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("clinic:exports"), form)  # unticked, yet generalized
    settings.REGISTRY_EXPORT_RESEARCH_GENERALIZE = False  # then researchers choose
    (checkbox,) = re.findall(r'<input[^>]*name="generalize"[^>]*>',
                             client.get(reverse("clinic:exports")).content.decode())
    assert " checked" not in checkbox and " disabled" not in checkbox
    client.post(reverse("clinic:exports"), form)
    ticked, unticked = ExportJob.objects.order_by("pk")
    assert (ticked.generalize, unticked.generalize) == (True, False)
    detail = client.get(reverse("clinic:export-detail", args=[ticked.pk])).content.decode()
    assert "Re-identification risk" in detail and "Centers now “(other)”: s1, s2" in detail
    assert "<code>suppression</code></td><td>5</td>" in detail
