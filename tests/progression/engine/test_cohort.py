"""Cohort aggregation: Kaplan-Meier, status counts, SLD and lesion count by disease duration.

Pure: no database. Every number is worked out by hand in a comment.
"""

from __future__ import annotations

import math
from datetime import date

import pytest

from progression.engine.cohort import (
    BAD_TIME,
    BAD_WIDTH,
    NO_RADIOGRAPH,
    UNKNOWN_STATUS,
    DurationPoint,
    duration_bands,
    duration_points,
    kaplan_meier,
    progression_free_time,
    status_counts,
)
from progression.engine.grading import compute_progression
from progression.engine.inputs import LesionIn, RadiographIn

# --- Kaplan-Meier ------------------------------------------------------------------------------


def test_kaplan_meier_with_ties_and_censoring():
    """Product limit, events before censorings at a tied time."""
    data = [(1, True), (1, True), (1, False), (2, True), (3, False), (4, True), (4, False)]
    steps = kaplan_meier(data)
    # t=1: 7 at risk, 2 events, 1 censored (still at risk at 1): S = 1 * (1 - 2/7) = 5/7.
    # t=2: 7 - 3 = 4 at risk, 1 event: S = 5/7 * (1 - 1/4) = 15/28.
    # t=3: 4 - 1 = 3 at risk, 0 events, 1 censored: S stays 15/28.
    # t=4: 3 - 1 = 2 at risk, 1 event, 1 censored: S = 15/28 * (1 - 1/2) = 15/56.
    assert [(s.time_years, s.at_risk, s.events, s.censored) for s in steps] == [
        (1.0, 7, 2, 1),
        (2.0, 4, 1, 0),
        (3.0, 3, 0, 1),
        (4.0, 2, 1, 1),
    ]
    assert [s.survival for s in steps] == pytest.approx([5 / 7, 15 / 28, 15 / 28, 15 / 56])


def test_kaplan_meier_input_order_does_not_matter_and_to_dict_rounds():
    steps = kaplan_meier([(2.5, False), (0.5, True), (1.25, True)])
    # t=0.5: 3 at risk, 1 event: S = 2/3. t=1.25: 2 at risk, 1 event: S = 2/3 * 1/2 = 1/3.
    # t=2.5: 1 at risk, censored: S = 1/3.
    assert [s.survival for s in steps] == pytest.approx([2 / 3, 1 / 3, 1 / 3])
    assert steps[1].to_dict() == {
        "time_years": 1.25, "survival": 0.3333, "at_risk": 2, "events": 1, "censored": 0,
    }  # fmt: skip


def test_kaplan_meier_all_events_reaches_zero_and_empty_input_gives_no_step():
    # t=1: 2 at risk, 1 event: S = 1/2; t=2: 1 at risk, 1 event: S = 1/2 * 0 = 0.
    assert [s.survival for s in kaplan_meier([(1, True), (2, True)])] == [0.5, 0.0]
    assert kaplan_meier([]) == []


def test_kaplan_meier_event_at_time_zero():
    # Progression at the first radiograph cannot happen (baseline), but a caller's data may
    # contain it: t=0, 2 at risk, 1 event: S = 1/2.
    assert kaplan_meier([(0, True), (3, False)])[0].survival == 0.5


@pytest.mark.parametrize("time", [-0.1, math.nan, math.inf, "1", None])
def test_kaplan_meier_refuses_bad_times(time):
    with pytest.raises(ValueError) as error:
        kaplan_meier([(time, True)])
    assert str(error.value) == BAD_TIME.format(value=time)


# --- Status counts -----------------------------------------------------------------------------


def test_status_counts_list_every_status():
    counts = status_counts(["progression", "stable", "progression", None, "baseline"])
    assert counts == {
        "progression": 2, "stable": 1, "regression": 0, "complete_resolution": 0,
        "baseline": 1, NO_RADIOGRAPH: 1,
    }  # fmt: skip
    assert list(counts)[:2] == ["progression", "stable"]  # most severe first


def test_status_counts_refuse_an_unknown_status():
    with pytest.raises(ValueError) as error:
        status_counts(["progressed"])  # a track status, not a series status
    assert str(error.value) == UNKNOWN_STATUS.format(value="progressed")


# --- Disease-duration bands --------------------------------------------------------------------


def test_duration_bands_of_five_years():
    points = [
        DurationPoint(0.5, 10.0, 2),
        DurationPoint(4.9, 20.0, 3),
        DurationPoint(2.0, 3.0, 1),
        DurationPoint(5.0, 6.0, 1),  # 5.0 opens the 5-10 band (half-open [5, 10))
        DurationPoint(16.0, 7.0, 2),
        DurationPoint(None, 99.0, 9),
    ]
    bands = duration_bands(points, width_years=5)
    assert [b.label for b in bands] == ["0-5", "5-10", "10-15", "15-20", "unknown"]
    zero, five, ten, fifteen, unknown = bands
    # 0-5: SLD 10, 20, 3 -> mean 33/3 = 11, median 10; counts 2, 3, 1 -> mean 2, median 2.
    assert (zero.n, zero.sld_mean_mm, zero.sld_median_mm) == (3, 11.0, 10.0)
    assert (zero.lesion_count_mean, zero.lesion_count_median) == (2.0, 2)
    assert (zero.lower_years, zero.upper_years) == (0, 5)
    # 5-10: one point, SLD 6, count 1.
    assert (five.n, five.sld_mean_mm, five.sld_median_mm, five.lesion_count_mean) == (1, 6, 6, 1)
    # 10-15 is empty but kept so the axis is continuous.
    assert (ten.n, ten.sld_mean_mm, ten.lesion_count_median) == (0, None, None)
    assert (fifteen.n, fifteen.sld_median_mm) == (1, 7.0)
    # Unknown duration: counted, not dropped.
    assert (unknown.n, unknown.lower_years, unknown.sld_mean_mm) == (1, None, 99.0)


def test_duration_bands_even_count_median_and_fractional_width():
    points = [DurationPoint(2.5, 4.0, 1), DurationPoint(4.0, 9.0, 4), DurationPoint(3.0, 5.0, 2)]
    # Width 2.5: 2.5, 4.0 and 3.0 all fall in [2.5, 5) -> label "2.5-5"; nothing in 0-2.5 (the
    # bands start at the lowest one holding a point). SLD 4, 9, 5 -> mean 6, median 5;
    # counts 1, 4, 2 -> mean 7/3, median 2.
    (band,) = duration_bands(points, width_years=2.5)
    assert band.label == "2.5-5"
    assert (band.sld_mean_mm, band.sld_median_mm) == (6.0, 5.0)
    assert band.lesion_count_mean == pytest.approx(7 / 3)
    assert band.to_dict()["lesion_count_mean"] == 2.33
    # Two points: median of 4 and 8 is (4 + 8) / 2 = 6.
    (pair,) = duration_bands([DurationPoint(1, 4.0, 1), DurationPoint(2, 8.0, 2)])
    assert (pair.label, pair.sld_median_mm, pair.lesion_count_median) == ("0-5", 6.0, 1.5)


@pytest.mark.parametrize("width", [0, -5, math.nan, True])
def test_duration_bands_refuse_a_bad_width(width):
    with pytest.raises(ValueError) as error:
        duration_bands([], width_years=width)
    assert str(error.value) == BAD_WIDTH.format(value=width)


# --- From a patient's progression --------------------------------------------------------------


def _patient(onset=date(2012, 1, 1)):
    # Left hand: 2016-01-01 SLD 10 (baseline), 2020-01-01 SLD 13 (13 - 10 = 3 >= 2 and >= 2.5:
    # progression). Right hand: 2016-01-01 SLD 4, 2024-01-01 SLD 4 (stable).
    # 2012-01-01 -> 2016-01-01 = 1461 days = 4 years; -> 2020-01-01: 8 years; -> 2024: 12 years.
    days = [date(2016, 1, 1), date(2020, 1, 1), date(2016, 1, 1), date(2024, 1, 1)]
    sides = ["left", "left", "right", "right"]
    radiographs = [
        RadiographIn(i, day, "hand", side, None, "pa")
        for i, (day, side) in enumerate(zip(days, sides, strict=True), start=1)
    ]
    lesions = [
        LesionIn(10 + i, i, side, 1, "distal_phalanx", "soft_tissue", diameter)
        for i, side, diameter in [(1, "left", 10.0), (2, "left", 13.0), (3, "right", 4.0),
                                  (4, "right", 4.0)]
    ]  # fmt: skip
    return compute_progression(
        radiographs=radiographs, lesions=lesions, first_non_raynaud_onset=onset
    )


def test_progression_free_time_from_the_first_radiograph_and_from_onset():
    result = _patient()
    # First radiograph 2016-01-01; first progression 2020-01-01 (left hand) = 4 years, event.
    assert progression_free_time(result) == (pytest.approx(4.0), True)
    # On the disease-duration scale: 2012-01-01 -> 2020-01-01 = 2922 days = 8 years.
    assert progression_free_time(result, scale="disease_duration") == (pytest.approx(8.0), True)
    assert progression_free_time(_patient(onset=None), scale="disease_duration") is None


def test_progression_free_time_censored_at_the_last_timepoint():
    result = compute_progression(
        radiographs=[
            RadiographIn(1, date(2016, 1, 1), "hand", "left", None),
            RadiographIn(2, date(2020, 1, 1), "hand", "left", None),
        ],
        lesions=[],
    )
    # No progression: censored at 2020-01-01, 1461 days = 4 years after the first radiograph.
    assert progression_free_time(result) == (pytest.approx(4.0), False)
    empty = compute_progression(radiographs=[], lesions=[])
    assert progression_free_time(empty) is None


def test_duration_points_give_one_point_per_series_timepoint():
    points = duration_points(_patient())
    # Left 4 y SLD 10, left 8 y SLD 13, right 4 y SLD 4, right 12 y SLD 4.
    assert [(p.sum_longest_diameter_mm, p.lesion_count) for p in points] == [
        (10.0, 1), (13.0, 1), (4.0, 1), (4.0, 1),
    ]  # fmt: skip
    assert [p.disease_duration_years for p in points] == pytest.approx([4.0, 8.0, 4.0, 12.0])
    bands = duration_bands(points)
    # 0-5: SLD 10 and 4 -> mean 7; 5-10: 13; 10-15: 4.
    assert [(b.label, b.n, b.sld_mean_mm) for b in bands] == [
        ("0-5", 2, 7.0), ("5-10", 1, 13.0), ("10-15", 1, 4.0),
    ]  # fmt: skip
