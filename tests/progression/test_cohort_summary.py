"""The cohort summary over stored snapshots, and the SVG charts."""

from __future__ import annotations

from datetime import date
from xml.etree import ElementTree

import pytest

from patients.models import Patient
from progression.charts import kaplan_meier_chart_svg, progression_chart_svg
from progression.cohort_summary import cohort_progression_summary
from progression.enqueue import bump_data_version
from progression.services import progression_detail, progression_recompute
from tests import factories

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def cohort(teaching_case, commit):
    """The teaching case (progression), a stable patient without onset date, a patient without
    radiograph, and one seeded in bulk and never computed."""
    progression_recompute(patient_id=teaching_case.pk)
    stable = commit(factories.make_patient)
    for day, diameter in ((date(2022, 1, 10), 5.0), (date(2023, 1, 10), 5.5)):
        radiograph = commit(factories.make_radiograph, stable, acquired_on=day)
        commit(factories.make_lesion, radiograph, longest_diameter_mm=diameter)
    commit(factories.make_patient)
    Patient.objects.create(center=stable.center, local_id="BULK-1", birth_date=date(1970, 1, 1))
    return teaching_case


def test_cohort_summary_counts_bands_and_kaplan_meier(cohort):
    summary = cohort_progression_summary(Patient.objects.all())
    assert (summary["patients"], summary["computed"], summary["not_computed"]) == (4, 3, 1)
    assert summary["stale"] == 0
    counts = summary["status_counts"]
    assert (counts["progression"], counts["stable"], counts["no_radiograph"]) == (1, 1, 1)
    # Teaching case: left and right hand at durations 9.999, 11.014, 12.008 years (onset
    # 2013-03-15): band 5-10 holds SLD 15.0 and 0 (mean 7.5); band 10-15 holds 17.0, 0, 19.5,
    # 0 (mean 9.125, 9.12 as a rounded float). The stable patient has no onset: two points in
    # "unknown" (5.0, 5.5).
    bands = {band["label"]: band for band in summary["duration_bands"]["bands"]}
    assert (bands["5-10"]["n"], bands["5-10"]["sld_mean_mm"]) == (2, 7.5)
    assert (bands["10-15"]["n"], bands["10-15"]["sld_mean_mm"]) == (4, 9.12)
    assert (bands["unknown"]["n"], bands["unknown"]["sld_mean_mm"]) == (2, 5.25)
    # Follow-up: stable patient censored at 365 / 365.25 = 0.999 years; the teaching case
    # progresses at 734 / 365.25 = 2.010 (the no-radiograph patient has no follow-up).
    # S = 1 after the censoring (2 at risk, no event); S = 1 * (1 - 1/1) = 0 at 2.010.
    km = summary["kaplan_meier"]["follow_up"]
    assert (km["n"], km["events"]) == (2, 1)
    assert [(s["time_years"], s["survival"], s["at_risk"]) for s in km["steps"]] == [
        (0.999, 1.0, 2),
        (2.01, 0.0, 1),
    ]
    assert km["at_risk"] == [
        {"time_years": 0, "at_risk": 2},
        {"time_years": 1, "at_risk": 1},
        {"time_years": 2, "at_risk": 1},
    ]
    # Against disease duration only the teaching case counts: event at 12.008 years.
    by_duration = summary["kaplan_meier"]["disease_duration"]
    assert by_duration["n"] == 1 and by_duration["steps"][0]["time_years"] == 12.008


def test_cohort_summary_follows_the_patient_queryset_and_staleness(cohort):
    only = cohort_progression_summary(Patient.objects.filter(pk=cohort.pk))
    assert (only["patients"], only["status_counts"]["progression"]) == (1, 1)
    bump_data_version(cohort.pk)  # a change not recomputed yet
    assert cohort_progression_summary(Patient.objects.all())["stale"] == 1


def parse(svg: str) -> tuple[ElementTree.Element, list[str]]:
    root = ElementTree.fromstring(svg)
    return root, ["".join(text.itertext()) for text in root.iter(f"{SVG}text")]


def test_patient_chart_labels_every_point(teaching_case):
    root, texts = parse(progression_chart_svg(progression_detail(patient_id=teaching_case.pk)))
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text.endswith("patient status: progression")
    # Millimetres with one decimal (registry.formatting): 2.238 mm/year -> 2.2.
    assert "Left hand — growth +2.2 mm/year" in texts
    assert "Right hand — growth +0.0 mm/year" in texts
    assert texts.count("progression") == 1 and texts.count("baseline") == 2
    assert {
        "15.0 mm, 1 lesion",
        "17.0 mm, 1 lesion",
        "19.5 mm, 1 lesion",
        "0.0 mm, 0 lesions",
    } <= set(texts)
    assert len(root.findall(f"{SVG}polyline")) == 2


def test_patient_chart_without_radiograph():
    _, texts = parse(progression_chart_svg({"status": "no_radiograph", "series": []}))
    assert "No radiograph: nothing to chart." in texts


def test_kaplan_meier_chart_prints_numbers_at_risk(cohort):
    km = cohort_progression_summary(Patient.objects.all())["kaplan_meier"]["follow_up"]
    root, texts = parse(kaplan_meier_chart_svg(km))
    assert "Proportion free of calcinosis progression (2 patients)" in texts
    assert "At risk" in texts and texts.count("2") >= 2
    assert root.find(f"{SVG}path") is not None


def test_a_researchers_kaplan_meier_steps_hide_small_event_and_censoring_counts():
    """Regression (review of issue #16): with REGISTRY_MIN_CELL_SIZE 3, a step of 8 at risk with
    1 progression and 2 censored printed both, under a total that read "fewer than 3"."""
    from progression.cohort_summary import cohort_summary_suppressed

    step = {"time_years": 1.0, "survival": 0.875, "percent": 87.5, "at_risk": 8}
    curve = {
        "n": 8,
        "events": 1,
        "excluded": 0,
        "steps": [{**step, "events": 1, "censored": 2}, {**step, "events": 3, "censored": 0}],
        "at_risk": [{"time_years": 0, "at_risk": 8}],
    }
    summary = {
        "patients": 8,
        "computed": 8,
        "not_computed": 0,
        "stale": 0,
        "rules": {},
        "status_counts": {"progression": 1, "stable": 7},
        "duration_bands": {"bands": []},
        "kaplan_meier": {"follow_up": curve},
    }
    steps = cohort_summary_suppressed(summary, min_cell=3)["kaplan_meier"]["follow_up"]["steps"]
    assert [(s["events"], s["censored"]) for s in steps] == [(None, None), (3, 0)]
