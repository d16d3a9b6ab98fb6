"""The progression engine's grading against DOMAIN.md, "Calcinosis progression: the registry's
rules": track and series statuses, sums, growth rate, time to progression, the patient's
status. Matching lesions to tracks: test_matching.py; the rules: test_rules.py.

Pure: no database. Every clinical number is worked out by hand in a comment. Years are
days / 365.25 (EUSTAR convention, patients.duration); 1461 days = 4 * 365.25 is exactly 4 years.
Defaults: floor 2 mm, progression and regression fraction 0.25.
"""

from __future__ import annotations

import json
import math
from datetime import date

import pytest

from progression.engine.rules import Rules
from tests.progression.engine.cases import (
    D1,
    D2,
    D3,
    INDEX,
    lesion,
    only_track,
    run,
    statuses,
    track_statuses,
    xr,
)

# --- The teaching case -------------------------------------------------------------------------


def test_teaching_case_three_views_of_one_date_are_one_track():
    """Left thumb deposit on PA 15, oblique 14 and thumb view 15.5 mm, then 18 and 21 mm."""
    radiographs = [
        xr(1, D1, "pa"), xr(2, D1, "oblique"), xr(3, D1, "digit"), xr(4, D2), xr(5, D3),
    ]  # fmt: skip
    lesions = [
        lesion(11, 1, 15.0, perpendicular_diameter_mm=9.0),
        lesion(12, 2, 14.0, perpendicular_diameter_mm=8.0),
        lesion(13, 3, 15.5, perpendicular_diameter_mm=10.0),
        lesion(14, 4, 18.0),
        lesion(15, 5, 21.0),
    ]
    result = run(
        radiographs,
        lesions,
        first_non_raynaud_onset=date(2010, 3, 2),
        raynaud_onset=date(2005, 3, 2),
    )
    # Reading order of D1: PA (11) forms the track; the thumb view (13, "digit" before
    # "oblique") has one candidate, the track, which has no lesion on radiograph 3 yet: it joins;
    # the oblique (12) likewise. One deposit, one track.
    track = only_track(result)
    assert track.ref.key == "new-1" and track.ref.existing_id is None
    assert track.site == {
        "body_region": "hand", "laterality": "left", "digit": 1,
        "segment": "distal_phalanx", "tissue": "soft_tissue",
    }  # fmt: skip
    first, second, _ = track.observations
    assert first.lesion_ids == [11, 13, 12]
    # D = largest of 15, 14, 15.5 = 15.5 (thumb view); P from the same view = 10;
    # area = pi/4 * 15.5 * 10 = 38.75 * pi = 121.737...
    assert first.longest_diameter_mm == 15.5
    assert first.perpendicular_diameter_mm == 10.0
    assert first.area_mm2 == pytest.approx(38.75 * math.pi)
    # D2: 18 mm, no P: area = pi/4 * 18^2 = 81 pi. delta = 18 - 15.5 = 2.5 >= 2 but
    # 0.25 * 15.5 = 3.875 > 2.5: stable. D3: delta = 21 - 15.5 = 5.5 >= 2 and >= 3.875: progressed.
    assert second.area_mm2 == pytest.approx(81 * math.pi)
    assert track_statuses(track) == ["baseline", "stable", "progressed"]
    # Series: SLD 15.5, 18, 21. D2: nadir 15.5, rise 2.5 < 3.875 -> not progression; SLD != 0;
    # SLD_base - SLD = -2.5 < 2 -> stable. D3: nadir = min(15.5, 18) = 15.5, rise 5.5 >= 2 and
    # >= 3.875 -> progression.
    series = result.series[0]
    assert (series.body_region, series.laterality) == ("hand", "left")
    assert [tp.sum_longest_diameter_mm for tp in series.timepoints] == [15.5, 18.0, 21.0]
    assert [tp.lesion_count for tp in series.timepoints] == [1, 1, 1]
    assert statuses(result) == ["baseline", "stable", "progression"]
    # Time to progression: D1 -> D3 = 730 days = 730 / 365.25 = 1.99863 years.
    assert series.time_to_progression_years == pytest.approx(730 / 365.25)
    assert series.censored_at_years is None
    # OLS on equally spaced x (0, a, 2a with a = 365 / 365.25): x_mean = a, SLD_mean = 18.1667;
    # sum (x - a)(y - y_mean) = -a * 15.5 + a * 21 = 5.5a; sum (x - a)^2 = 2a^2;
    # slope = 5.5 / (2a) = 5.5 * 365.25 / 730 = 2.75188 mm/year.
    assert series.growth_rate_mm_per_year == pytest.approx(5.5 * 365.25 / 730)
    # Durations at D1: 2010-03-02 -> 2020-03-02 = 10 * 365 + 3 leap days (2012, 2016, 2020)
    # = 3653 days = 10.00137 years; Raynaud 2005-03-02 -> 2020-03-02 = 15 * 365 + 4 leap days
    # (2008, 2012, 2016, 2020) = 5479 days = 15.00068 years.
    assert series.timepoints[0].disease_duration_years == pytest.approx(3653 / 365.25)
    assert series.timepoints[0].raynaud_duration_years == pytest.approx(5479 / 365.25)
    assert result.status == "progression"
    assert set(result.assignments) == {11, 12, 13, 14, 15}
    assert {ref.key for ref in result.assignments.values()} == {"new-1"}


def test_to_dict_is_json_ready_and_rounded_only_there():
    """to_dict: ISO dates, mm to 2 and years to 3 decimals, string lesion ids, the rules used."""
    result = run([xr(1, D1), xr(2, D2)], [lesion(11, 1, 15.5), lesion(12, 2, 18.0)],
                 first_non_raynaud_onset=date(2010, 3, 2))  # fmt: skip
    data = json.loads(json.dumps(result.to_dict()))
    tp = data["series"][0]["timepoints"][0]
    assert tp["date"] == "2020-03-02"
    # 3653 / 365.25 = 10.001369 -> 10.001; area pi/4 * 15.5^2 = 188.6919 -> 188.69.
    assert tp["disease_duration_years"] == 10.001
    assert tp["raynaud_duration_years"] is None
    assert tp["total_area_mm2"] == 188.69
    assert data["tracks"][0]["observations"][0]["area_mm2"] == 188.69
    # Unrounded in the object: 60.0625 * pi.
    assert result.series[0].timepoints[0].total_area_mm2 == pytest.approx(60.0625 * math.pi)
    # Growth 2.5 mm over 365/365.25 years = 2.50171 -> 2.5; censored at 0.99932 -> 0.999.
    assert data["series"][0]["growth_rate_mm_per_year"] == 2.5
    assert data["series"][0]["censored_at_years"] == 0.999
    assert data["rules"] == {
        "absolute_floor_mm": 2.0, "progression_fraction": 0.25, "regression_fraction": 0.25,
    }  # fmt: skip
    assert data["assignments"] == {
        "11": {"key": "new-1", "existing_id": None},
        "12": {"key": "new-1", "existing_id": None},
    }
    assert data["status"] == "stable"  # 18 - 15.5 = 2.5 < 0.25 * 15.5 = 3.875


# --- Resolution and new deposits ---------------------------------------------------------------


def test_resolved_deposit_gives_complete_resolution_then_reappearance_is_progression():
    """Absent on a later radiograph = resolved; a reappearance is graded from D0 and the nadir."""
    result = run([xr(1, D1), xr(2, D2), xr(3, D3)], [lesion(11, 1, 5.0), lesion(13, 3, 5.0)])
    track = only_track(result)
    # D2: the series has a radiograph, the track no lesion on it -> resolved, no diameter.
    # D3: seen again, 5 - D0 5 = 0 -> stable (not "new": it was seen before).
    assert track_statuses(track) == ["baseline", "resolved", "stable"]
    resolved = track.observations[1]
    assert resolved.longest_diameter_mm is None and resolved.area_mm2 is None
    assert resolved.lesion_ids == []
    # Series SLD 5, 0, 5. D2: no new track; rise 0 - 5 < 0; SLD 0 and baseline 5 > 0 ->
    # complete_resolution. D3: nadir = min(5, 0) = 0; rise 5 >= 2 and 5 >= 0.25 * 0 = 0 ->
    # progression (RECIST: growth is measured from the nadir).
    assert [tp.sum_longest_diameter_mm for tp in result.series[0].timepoints] == [5.0, 0.0, 5.0]
    assert [tp.lesion_count for tp in result.series[0].timepoints] == [1, 0, 1]
    assert statuses(result) == ["baseline", "complete_resolution", "progression"]
    assert result.series[0].time_to_progression_years == pytest.approx(730 / 365.25)


def test_complete_resolution_is_the_patient_status_when_it_is_the_latest():
    """Latest series status complete_resolution -> patient complete_resolution; time censored."""
    result = run([xr(1, D1), xr(2, D2)], [lesion(11, 1, 5.0)])
    assert statuses(result) == ["baseline", "complete_resolution"]
    assert result.status == "complete_resolution"
    # Never progression: censored at the last timepoint, 365 / 365.25 = 0.99932 years.
    assert result.series[0].time_to_progression_years is None
    assert result.series[0].censored_at_years == pytest.approx(365 / 365.25)
    # OLS with two points is the line through them: (0 - 5) / (365 / 365.25) = -5.00342 mm/year.
    assert result.series[0].growth_rate_mm_per_year == pytest.approx(-5 * 365.25 / 365)


def test_a_new_deposit_makes_the_series_progress_even_below_the_thresholds():
    """A new track at t is progression whatever the SLD change (rule 1)."""
    result = run(
        [xr(1, D1), xr(2, D2)],
        [lesion(11, 1, 10.0), lesion(12, 2, 10.0), lesion(13, 2, 1.0, site=INDEX)],
    )
    thumb, index = result.tracks
    assert track_statuses(thumb) == ["baseline", "stable"]  # 10 - 10 = 0
    # The index deposit first appears at D2, not the series' first timepoint -> "new".
    assert track_statuses(index) == ["new"]
    assert index.ref.key == "new-2"
    # SLD 10 -> 11: rise 1 < 2 mm, so the nadir rule alone would say stable; the new track
    # makes it progression.
    tp = result.series[0].timepoints[1]
    assert (tp.sum_longest_diameter_mm, tp.lesion_count) == (11.0, 2)
    assert tp.new_tracks == ["new-2"]
    assert result.series[0].timepoints[0].new_tracks == []
    assert statuses(result) == ["baseline", "progression"]


def test_a_deposit_first_seen_at_baseline_is_baseline_not_new():
    """Two deposits at the first timepoint are both baseline; baseline is never progression."""
    result = run([xr(1, D1)], [lesion(11, 1, 4.0), lesion(12, 1, 3.0, site=INDEX)])
    assert [track_statuses(t) for t in result.tracks] == [["baseline"], ["baseline"]]
    assert statuses(result) == ["baseline"]
    assert result.series[0].timepoints[0].sum_longest_diameter_mm == 7.0  # 4 + 3


# --- Boundaries (inclusive, as entered) --------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "now", "expected"),
    [
        # delta = 10 - 8 = 2 == floor 2 and == 0.25 * 8 = 2: inclusive -> progressed.
        (8.0, 10.0, "progressed"),
        # delta = 9.99 - 8 = 1.99 < 2 -> stable.
        (8.0, 9.99, "stable"),
        # delta = 15 - 12 = 3 >= 2 and == 0.25 * 12 = 3 -> progressed.
        (12.0, 15.0, "progressed"),
        # delta = 14.99 - 12 = 2.99 >= 2 but < 3 -> stable.
        (12.0, 14.99, "stable"),
        # delta = 6.1 - 4.1 = 2 as entered (1.9999999999999996 in binary) and >= 1.025.
        (4.1, 6.1, "progressed"),
        # -delta = 8 - 6 = 2 == floor and == 0.25 * 8 -> regressed.
        (8.0, 6.0, "regressed"),
        # -delta = 8 - 6.01 = 1.99 < 2 -> stable.
        (8.0, 6.01, "stable"),
        # Small deposit: 3 -> 4.9: delta 1.9 >= 0.75 but < the 2 mm floor -> stable.
        (3.0, 4.9, "stable"),
    ],
)
def test_track_change_boundaries(first, now, expected):
    result = run([xr(1, D1), xr(2, D2)], [lesion(11, 1, first), lesion(21, 2, now)])
    assert track_statuses(only_track(result)) == ["baseline", expected]


@pytest.mark.parametrize(
    ("first", "now", "expected"),
    [
        (8.0, 10.0, "progression"),  # rise from the nadir 8: 2 >= 2 and 2 >= 2
        (8.0, 9.99, "stable"),  # 1.99 < 2
        (4.1, 6.1, "progression"),  # 2 as entered >= 2 and >= 1.025
        # base 8 -> 6: 8 - 6 = 2 >= 2 and 6 <= 0.75 * 8 = 6 -> regression.
        (8.0, 6.0, "regression"),
        # base 8 -> 6.01: 1.99 < 2 -> stable.
        (8.0, 6.01, "stable"),
        # base 40 -> 30.5: 9.5 >= 2 but 30.5 > 0.75 * 40 = 30 -> stable.
        (40.0, 30.5, "stable"),
        # base 40 -> 30: 10 >= 2 and 30 <= 30 -> regression.
        (40.0, 30.0, "regression"),
    ],
)
def test_series_change_boundaries(first, now, expected):
    result = run([xr(1, D1), xr(2, D2)], [lesion(11, 1, first), lesion(21, 2, now)])
    assert statuses(result) == ["baseline", expected]


def test_progression_is_measured_from_the_nadir():
    """SLD 10 -> 6 -> 8: regression, then 8 - 6 = 2 >= 2 and 2 >= 0.25 * 6 = 1.5: progression."""
    result = run(
        [xr(1, D1), xr(2, D2), xr(3, D3)],
        [lesion(11, 1, 10.0), lesion(21, 2, 6.0), lesion(31, 3, 8.0)],
    )
    # Track against D0 = 10: 6 -> -delta 4 >= 2 and >= 2.5 -> regressed; 8 -> -delta 2 >= 2
    # but < 2.5 -> stable (the track is graded from D0, the series from the nadir).
    assert track_statuses(only_track(result)) == ["baseline", "regressed", "stable"]
    # Series D2: 10 - 6 = 4 >= 2 and 6 <= 7.5 -> regression. D3: nadir min(10, 6) = 6, rise 2.
    assert statuses(result) == ["baseline", "regression", "progression"]
    assert result.status == "progression"
    assert result.series[0].time_to_progression_years == pytest.approx(730 / 365.25)
    # OLS, x = 0, a, 2a: slope = (8 - 10) / (2a) = -1 / a = -365.25 / 365 = -1.00068 mm/year.
    assert result.series[0].growth_rate_mm_per_year == pytest.approx(-365.25 / 365)


def test_regression_of_the_sum_over_two_deposits():
    """Thumb 12 -> 12 and index 8 -> 2: SLD 20 -> 14 is regression; the patient's status too."""
    result = run(
        [xr(1, D1), xr(2, D2)],
        [
            lesion(11, 1, 12.0), lesion(12, 1, 8.0, site=INDEX),
            lesion(21, 2, 12.0), lesion(22, 2, 2.0, site=INDEX),
        ],
    )  # fmt: skip
    thumb, index = result.tracks
    assert track_statuses(thumb) == ["baseline", "stable"]
    # Index: -delta = 6 >= 2 and >= 0.25 * 8 = 2 -> regressed.
    assert track_statuses(index) == ["baseline", "regressed"]
    # SLD 20 -> 14: 20 - 14 = 6 >= 2 and 14 <= 0.75 * 20 = 15 -> regression.
    assert [tp.sum_longest_diameter_mm for tp in result.series[0].timepoints] == [20.0, 14.0]
    assert statuses(result) == ["baseline", "regression"]
    assert result.status == "regression"


def test_a_single_timepoint():
    """One timepoint: baseline, no growth rate, censored at 0 years."""
    result = run([xr(1, D1)], [lesion(11, 1, 5.0)])
    series = result.series[0]
    assert statuses(result) == ["baseline"]
    assert series.growth_rate_mm_per_year is None
    assert series.time_to_progression_years is None
    assert series.censored_at_years == 0.0
    assert result.status == "baseline"


def test_growth_rate_is_the_ols_slope_over_all_timepoints():
    """Years 0, 4, 12 (1461 days = 4 years), SLD 10, 12, 20: slope 6/7 mm/year."""
    days = [date(2016, 1, 1), date(2020, 1, 1), date(2028, 1, 1)]  # 1461 and 2922 days later
    result = run(
        [xr(i, day) for i, day in enumerate(days, start=1)],
        [lesion(11, 1, 10.0), lesion(21, 2, 12.0), lesion(31, 3, 20.0)],
    )
    series = result.series[0]
    # x_mean = 16/3, y_mean = 14; dx = -16/3, -4/3, 20/3; dy = -4, -2, 6.
    # sum dx*dy = 64/3 + 8/3 + 120/3 = 64; sum dx^2 = (256 + 16 + 400) / 9 = 224/3.
    # slope = 64 / (224/3) = 192/224 = 6/7 = 0.857 mm/year.
    assert series.growth_rate_mm_per_year == pytest.approx(6 / 7)
    # Year 4: 12 - 10 = 2 >= 2 but < 2.5 -> stable; year 12: nadir 10, 10 >= 2.5 -> progression.
    assert statuses(result) == ["baseline", "stable", "progression"]
    assert series.time_to_progression_years == pytest.approx(12.0)


def test_radiographs_without_deposits():
    """No lesion at all: SLD 0 at every timepoint is baseline then stable, even with a 0 floor."""
    result = run([xr(1, D1), xr(2, D2)], [], rules=Rules(absolute_floor_mm=0.0))
    # Rule 1: no new track; rise 0 - 0 = 0 is no change. Rule 2 needs a baseline SLD > 0.
    # Rule 3: fall 0 is no change. -> stable.
    assert statuses(result) == ["baseline", "stable"]
    assert result.tracks == [] and result.assignments == {}
    assert result.series[0].growth_rate_mm_per_year == 0.0


def test_no_radiograph_means_no_status():
    result = run([], [])
    assert (result.status, result.series, result.tracks) == (None, [], [])
    assert result.to_dict()["status"] is None


# --- Bilateral radiographs and several series --------------------------------------------------


def test_bilateral_radiograph_counts_for_both_sides():
    """A bilateral image is a timepoint of both sides' series; its lesions keep their own side."""
    radiographs = [xr(1, D1, side="bilateral"), xr(2, D2, side="left"), xr(3, D3, side="bilateral")]
    lesions = [
        lesion(11, 1, 5.0, side="left"),
        lesion(12, 1, 3.0, site=INDEX, side="right"),
        lesion(21, 2, 5.0, side="left"),
        lesion(31, 3, 5.0, side="left"),
    ]
    result = run(radiographs, lesions)
    left, right = result.series
    assert (left.laterality, right.laterality) == ("left", "right")
    # Left: D1, D2, D3 with 5 mm each: baseline, stable, stable.
    assert [tp.date for tp in left.timepoints] == [D1, D2, D3]
    assert statuses(result, 0) == ["baseline", "stable", "stable"]
    # Right: D1 and D3 (the left-only D2 radiograph is not a right timepoint). The index deposit
    # is absent on the D3 bilateral image -> resolved; SLD 3 -> 0 -> complete_resolution.
    assert [tp.date for tp in right.timepoints] == [D1, D3]
    assert statuses(result, 1) == ["baseline", "complete_resolution"]
    right_track = next(t for t in result.tracks if t.site["laterality"] == "right")
    assert track_statuses(right_track) == ["baseline", "resolved"]
    # Patient: latest statuses stable and complete_resolution -> the more severe, stable.
    assert result.status == "stable"


def test_patient_status_is_the_most_severe_latest_series_status():
    """Left hand progression at D2 but stable at D3, right hand regression: stable > regression."""
    radiographs = [
        xr(1, D1), xr(2, D2), xr(3, D3),
        xr(4, D1, side="right"), xr(5, D2, side="right"),
    ]  # fmt: skip
    lesions = [
        lesion(11, 1, 4.0), lesion(21, 2, 8.0), lesion(31, 3, 8.0),
        lesion(41, 4, 10.0, side="right"), lesion(51, 5, 5.0, side="right"),
    ]  # fmt: skip
    result = run(radiographs, lesions)
    # Left: 4 -> 8: rise 4 >= 2 and >= 1 -> progression; 8 at D3: nadir 4, rise 4 -> progression
    # again (the nadir stays 4). Right: 10 -> 5: fall 5 >= 2 and 5 <= 7.5 -> regression.
    assert statuses(result, 0) == ["baseline", "progression", "progression"]
    assert statuses(result, 1) == ["baseline", "regression"]
    assert result.status == "progression"
    # Make the left stable at D3: with D3 = 4.5, nadir 4, rise 0.5 < 2 -> stable.
    lesions[2] = lesion(31, 3, 4.5)
    result = run(radiographs, lesions)
    assert statuses(result, 0)[-1] == "stable"
    assert result.status == "stable"  # stable > regression


def test_series_are_ordered_by_region_then_side():
    result = run([xr(1, D1, region="foot"), xr(2, D1, side="right"), xr(3, D1, region="wrist")], [])
    assert [(s.body_region, s.laterality) for s in result.series] == [
        ("hand", "right"), ("wrist", "left"), ("foot", "left"),
    ]  # fmt: skip
