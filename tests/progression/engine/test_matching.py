"""The progression engine's matching against DOMAIN.md, "Matching lesions to tracks": views of
one date, several candidate tracks, the user's choice, stable track ids, refused input.

Pure: no database. Every clinical number is worked out by hand in a comment. Defaults: floor
2 mm, progression and regression fraction 0.25.
"""

from __future__ import annotations

import math

import pytest

from progression.engine.inputs import TrackIn
from progression.engine.matching import (
    BAD_DIAMETER,
    BAD_LESION_SIDE,
    BAD_RADIOGRAPH_LATERALITY,
    CHOSEN_TRACK_OTHER_SERIES,
    UNKNOWN_CHOSEN_TRACK,
    UNKNOWN_RADIOGRAPH,
)
from progression.engine.results import TrackRef
from tests.progression.engine.cases import (
    D1,
    D2,
    D3,
    INDEX,
    THUMB,
    lesion,
    only_track,
    run,
    statuses,
    track_statuses,
    xr,
)

# --- Views of one date -------------------------------------------------------------------------


def test_views_of_one_date_take_the_largest_diameter_with_its_own_perpendicular():
    """D is the largest longest diameter of the date; P comes from that view, not the largest P."""
    result = run(
        [xr(1, D1, "pa"), xr(2, D1, "oblique")],
        [
            lesion(11, 1, 8.0, perpendicular_diameter_mm=6.0),
            lesion(12, 2, 9.0, perpendicular_diameter_mm=4.0),
        ],
    )
    obs = only_track(result).observations[0]
    # D = max(8, 9) = 9 (oblique), P = 4 (oblique, although the PA's P is 6);
    # area = pi/4 * 9 * 4 = 9 pi = 28.274.
    assert (obs.longest_diameter_mm, obs.perpendicular_diameter_mm) == (9.0, 4.0)
    assert obs.area_mm2 == pytest.approx(9 * math.pi)
    assert result.series[0].timepoints[0].lesion_count == 1  # one deposit, two views
    assert result.series[0].timepoints[0].sum_longest_diameter_mm == 9.0


def test_equal_diameters_on_two_views_take_the_first_view_in_reading_order():
    """A tie on D keeps the view read first (PA before lateral) and that view's P."""
    result = run(
        [xr(1, D1, "lateral"), xr(2, D1, "pa")],
        [
            lesion(11, 1, 9.0, perpendicular_diameter_mm=3.0),
            lesion(12, 2, 9.0, perpendicular_diameter_mm=5.0),
        ],
    )
    obs = only_track(result).observations[0]
    # Reading order: PA (radiograph 2) then lateral (radiograph 1); D = 9 on both -> PA, P = 5.
    assert obs.lesion_ids == [12, 11]
    assert obs.perpendicular_diameter_mm == 5.0
    assert obs.area_mm2 == pytest.approx(45 / 4 * math.pi)  # pi/4 * 9 * 5


def test_two_deposits_on_one_segment_seen_on_two_views_make_two_tracks():
    """A track takes one lesion per radiograph: two deposits on PA and oblique stay two tracks."""
    result = run(
        [xr(1, D1, "pa"), xr(2, D1, "oblique")],
        [lesion(21, 1, 3.0), lesion(22, 1, 7.0), lesion(23, 2, 7.2), lesion(24, 2, 3.1)],
    )
    small, large = result.tracks
    # PA: 21 forms new-1; 22's only same-site track already has a lesion on the PA -> new-2.
    # Oblique, no spacing: 23 (7.2) vs last diameters 3 and 7: |7.2 - 3| = 4.2, |7.2 - 7| = 0.2
    # -> new-2; 24 (3.1): new-2 already has 23 on the oblique, so new-1 is the only candidate.
    assert (small.ref.key, small.observations[0].lesion_ids) == ("new-1", [21, 24])
    assert (large.ref.key, large.observations[0].lesion_ids) == ("new-2", [22, 23])
    # D = max(3, 3.1) = 3.1 and max(7, 7.2) = 7.2; SLD = 10.3 (decimal sum, as entered).
    assert small.observations[0].longest_diameter_mm == 3.1
    assert result.series[0].timepoints[0].sum_longest_diameter_mm == 10.3
    assert result.series[0].timepoints[0].lesion_count == 2


# --- Matching between several candidates -------------------------------------------------------


def _two_thumb_deposits(spacing_d2, c_diameter, c_axis):
    # D1 PA, spacing (row 0.1, column 0.2) mm/px. Deposit A: axis (100,100)-(140,100), centre
    # (120, 100) px = (120 * 0.2, 100 * 0.1) = (24, 10) mm. Deposit B: (300,500)-(320,500),
    # centre (310, 500) px = (62, 50) mm. Both 4 mm (A) and 9 mm (B) on the thumb tip.
    radiographs = [xr(1, D1, spacing=(0.1, 0.2)), xr(2, D2, spacing=spacing_d2)]
    lesions = [
        lesion(11, 1, 4.0, longest_axis_px=((100, 100), (140, 100))),
        lesion(12, 1, 9.0, longest_axis_px=((300, 500), (320, 500))),
        lesion(21, 2, c_diameter, longest_axis_px=c_axis),
    ]
    return run(radiographs, lesions)


def test_two_candidates_resolved_by_coordinates_in_mm():
    """With spacing on both radiographs the nearest centre wins, whatever the diameters."""
    # C: (305,495)-(325,505), centre (315, 500) px = (63, 50) mm. Distance to B (62, 50) = 1 mm;
    # to A (24, 10): sqrt(39^2 + 40^2) = 55.9 mm -> B, although C's 4 mm equals A's diameter.
    result = _two_thumb_deposits((0.1, 0.2), 4.0, ((305, 495), (325, 505)))
    assert result.assignments[21].key == result.assignments[12].key == "new-2"
    assert result.assignments[11].key == "new-1"
    # Track B: 4 - 9 = -5: 5 >= 2 and 5 >= 0.25 * 9 = 2.25 -> regressed; A resolved at D2.
    a, b = result.tracks
    assert track_statuses(a) == ["baseline", "resolved"]
    assert track_statuses(b) == ["baseline", "regressed"]


def test_coordinates_use_column_spacing_for_x_and_row_spacing_for_y():
    """x offsets scale by the column spacing, y offsets by the row spacing."""
    # Spacing (row 0.1, column 0.2): A centre (24, 10) mm, B centre (62, 50) mm.
    # C: (90,400)-(110,400), centre (100, 400) px = (100 * 0.2, 400 * 0.1) = (20, 40) mm:
    # to A sqrt(4^2 + 30^2) = 30.3, to B sqrt(42^2 + 10^2) = 43.2 -> A. Had the spacings been
    # swapped (x * 0.1, y * 0.2): A (12, 20), B (31, 100), C (10, 80): to A sqrt(2^2 + 60^2) =
    # 60.0, to B sqrt(21^2 + 20^2) = 29.0 -> B. C's 9 mm diameter (= B's) is not used.
    result = _two_thumb_deposits((0.1, 0.2), 9.0, ((90, 400), (110, 400)))
    assert result.assignments[21].key == "new-1"


def test_two_candidates_resolved_by_diameter_without_spacing():
    """No spacing on the new radiograph: the candidate whose last diameter is closest wins."""
    # C 8.5 mm: |8.5 - 4| = 4.5, |8.5 - 9| = 0.5 -> B (its centre, near A, is not usable).
    result = _two_thumb_deposits(None, 8.5, ((100, 100), (140, 100)))
    assert result.assignments[21].key == "new-2"


def test_diameter_tie_goes_to_the_older_track():
    """|6.5 - 4| = |6.5 - 9| = 2.5: a tie, and the older track (new-1, formed first) wins."""
    result = _two_thumb_deposits(None, 6.5, None)
    assert result.assignments[21].key == "new-1"


def test_diameter_distance_is_exact_as_entered():
    """|1.1 - 1.0| and |1.1 - 1.2| are both 0.1 as entered: a tie, so the older track wins."""
    # In binary floats |1.1 - 1.0| = 0.10000000000000009 > |1.1 - 1.2| = 0.09999999999999987,
    # which would hand the lesion to the newer 1.2 mm track; compared as entered, they tie.
    result = run(
        [xr(1, D1), xr(2, D2)],
        [lesion(11, 1, 1.0), lesion(12, 1, 1.2), lesion(21, 2, 1.1)],
    )
    assert result.assignments[21].key == "new-1"  # the 1.0 mm track, formed first


def test_tie_between_existing_and_new_track_goes_to_the_existing_one():
    """Existing tracks are older than tracks formed in this run."""
    # Track 7 is chosen for lesion 12 (5 mm) on D1; lesion 11 (5 mm, D1) is matched and cannot
    # join 7 (7 already holds 12 on radiograph 1), so it forms new-1. D2: lesion 21 (5 mm):
    # |5 - 5| = 0 for both -> tie -> the existing track 7.
    result = run(
        [xr(1, D1), xr(2, D2)],
        [lesion(11, 1, 5.0), lesion(12, 1, 5.0, chosen_track_id=7), lesion(21, 2, 5.0)],
        tracks=[TrackIn(7, "hand", "left", **THUMB)],
    )
    assert result.assignments[11].key == "new-1"
    assert result.assignments[21].key == "t7"


# --- The user's choice -------------------------------------------------------------------------


def test_user_chosen_track_wins_over_matching():
    """A chosen lesion stays on its track even when matching would put it elsewhere."""
    # D1: lesion 11 (5 mm) chosen for track 7. D2: lesion 21 (12 mm) chosen for 7, lesion 22
    # (5 mm) not chosen. Matching 22: track 7 already has 21 on radiograph 2 -> no candidate ->
    # a new track, although 22's 5 mm is the exact D0 of track 7.
    result = run(
        [xr(1, D1), xr(2, D2)],
        [
            lesion(11, 1, 5.0, chosen_track_id=7),
            lesion(21, 2, 12.0, chosen_track_id=7),
            lesion(22, 2, 5.0),
        ],
        tracks=[TrackIn(7, "hand", "left", **THUMB), TrackIn(8, "hand", "left", **INDEX)],
    )
    chosen, new = result.tracks
    assert (chosen.ref.key, chosen.ref.existing_id) == ("t7", 7)
    assert (new.ref.key, new.ref.existing_id) == ("new-1", None)
    assert result.assignments[21] == chosen.ref and result.assignments[22] == new.ref
    # Track 7: 12 - 5 = 7 >= 2 and >= 1.25 -> progressed. The new track -> series progression.
    assert track_statuses(chosen) == ["baseline", "progressed"]
    assert track_statuses(new) == ["new"]
    assert statuses(result) == ["baseline", "progression"]
    # Track 8 has no lesion: not in the result.
    assert {t.ref.key for t in result.tracks} == {"t7", "new-1"}


def test_chosen_track_keeps_its_own_site_and_is_a_candidate_from_its_first_date():
    """A chosen track is a candidate from the date of its first chosen lesion on."""
    # Track 9 (thumb) is chosen for lesion 21 on D2 only. D1 lesion 11: no track of the thumb
    # site has a lesion yet (9's first is D2) -> new-1. D3 lesion 31 (6 mm): candidates new-1
    # (last 5 mm) and 9 (last 6 mm): |6 - 5| = 1, |6 - 6| = 0 -> 9.
    result = run(
        [xr(1, D1), xr(2, D2), xr(3, D3)],
        [
            lesion(11, 1, 5.0),
            lesion(21, 2, 6.0, chosen_track_id=9),
            lesion(31, 3, 6.0),
        ],
        tracks=[TrackIn(9, "hand", "left", **THUMB)],
    )
    assert result.assignments[11].key == "new-1"
    assert result.assignments[21].key == result.assignments[31].key == "t9"
    new, chosen = result.tracks
    # new-1: baseline, then resolved at D2 and D3. Track 9: first seen at D2 -> new, then
    # 6 - 6 = 0 -> stable. Series D2: new track 9 -> progression.
    assert track_statuses(new) == ["baseline", "resolved", "resolved"]
    assert track_statuses(chosen) == ["new", "stable"]
    assert statuses(result) == ["baseline", "progression", "stable"]


def test_chosen_track_must_exist_and_belong_to_the_lesions_series():
    """A choice of an unknown track, or of a track of another region or side, is refused."""
    with pytest.raises(ValueError) as unknown:
        run([xr(1, D1)], [lesion(11, 1, 5.0, chosen_track_id=4)])
    assert str(unknown.value) == UNKNOWN_CHOSEN_TRACK.format(lesion=11, track=4)
    with pytest.raises(ValueError) as other:
        run(
            [xr(1, D1)],
            [lesion(11, 1, 5.0, chosen_track_id=4)],
            tracks=[TrackIn(4, "hand", "right", **THUMB)],
        )
    assert str(other.value) == CHOSEN_TRACK_OTHER_SERIES.format(
        lesion=11, track=4, track_series="right hand", lesion_series="left hand"
    )


# --- Stable track ids --------------------------------------------------------------------------


def test_tracks_formed_again_keep_the_ids_their_lesions_had():
    """previous_track_id: a recompute gives the same database ids; a new deposit gets none."""
    ring = {"digit": 4, "segment": "distal_phalanx", "tissue": "soft_tissue"}
    tracks = [
        TrackIn(11, "hand", "left", **THUMB),
        TrackIn(12, "hand", "left", **INDEX),
        TrackIn(13, "hand", "left", **ring),  # its lesion was deleted: not in the result
    ]
    result = run(
        [xr(1, D1), xr(2, D2), xr(3, D3)],
        [
            lesion(101, 1, 5.0, previous_track_id=11),
            lesion(102, 1, 3.0, site=INDEX, previous_track_id=12),
            lesion(201, 2, 5.5, previous_track_id=11),
            lesion(202, 2, 3.0, site=INDEX),  # entered after the last run: no previous id
            lesion(301, 3, 2.0, site=ring),  # a new deposit
        ],
        tracks=tracks,
    )
    refs = {lesion_id: (ref.key, ref.existing_id) for lesion_id, ref in result.assignments.items()}
    assert refs == {
        101: ("t11", 11), 201: ("t11", 11),
        102: ("t12", 12), 202: ("t12", 12),  # 1 lesion of 2 carried 12, the other none -> 12
        301: ("new-1", None),  # no previous id: a new row; 13 is not given to it
    }  # fmt: skip
    assert [t.ref.key for t in result.tracks] == ["t11", "t12", "new-1"]


def test_a_previous_id_goes_to_the_track_holding_most_of_its_lesions():
    """Two tracks claim id 11: the one with 2 lesions of 11 wins over the one with 1."""
    # D1: lesion 101 (thumb, 5 mm, prev 11). D2: lesions 201 (5 mm, prev 11) and 202 (12 mm,
    # prev 11; an earlier run had put them together, say). Matching: 201 joins 101's track
    # (|5 - 5| = 0, only candidate), 202 finds it taken on radiograph 2 -> a second track.
    # Claims: track A (101, 201) holds 2 lesions of 11, track B (202) 1 -> A gets 11, B is new.
    result = run(
        [xr(1, D1), xr(2, D2)],
        [
            lesion(101, 1, 5.0, previous_track_id=11),
            lesion(202, 2, 12.0, previous_track_id=11),
            lesion(201, 2, 5.0, previous_track_id=11),
        ],
        tracks=[TrackIn(11, "hand", "left", **THUMB)],
    )
    assert result.assignments[101].key == result.assignments[201].key == "t11"
    assert result.assignments[202] == result.tracks[1].ref
    assert result.tracks[1].ref.existing_id is None


def test_previous_id_is_not_reused_when_taken_by_a_choice_or_in_another_series():
    """A chosen id is never given to a formed track; nor is a track of another side."""
    tracks = [TrackIn(11, "hand", "left", **THUMB), TrackIn(12, "hand", "right", **THUMB)]
    result = run(
        [xr(1, D1), xr(2, D1, "oblique")],
        [
            lesion(101, 1, 5.0, chosen_track_id=11),
            # Same radiograph as 101 so it cannot join track 11; it says it was in 11 before.
            lesion(102, 1, 9.0, previous_track_id=11),
            # Another deposit seen on the oblique only, once in track 12 (right hand).
            lesion(201, 2, 2.0, site=INDEX, previous_track_id=12),
        ],
        tracks=tracks,
    )
    assert result.assignments[101].key == "t11"
    assert result.assignments[102] == TrackRef("new-1", None)
    assert result.assignments[201] == TrackRef("new-2", None)


def test_previous_id_follows_a_corrected_site_in_the_same_series():
    """A lesion moved from thumb to index keeps its old track id; the result has the new site."""
    result = run(
        [xr(1, D1)],
        [lesion(101, 1, 5.0, site=INDEX, previous_track_id=11)],
        tracks=[TrackIn(11, "hand", "left", **THUMB)],
    )
    track = only_track(result)
    assert (track.ref.key, track.site["digit"]) == ("t11", 2)


# --- Refused input -----------------------------------------------------------------------------


def test_inconsistent_input_is_refused_with_a_message():
    with pytest.raises(ValueError) as error:
        run([xr(1, D1)], [lesion(11, 2, 5.0)])
    assert str(error.value) == UNKNOWN_RADIOGRAPH.format(lesion=11, radiograph=2)
    with pytest.raises(ValueError) as error:
        run([xr(1, D1, side="bilateral")], [lesion(11, 1, 5.0, side="bilateral")])
    assert str(error.value) == BAD_LESION_SIDE.format(lesion=11, value="bilateral")
    with pytest.raises(ValueError) as error:
        run([xr(1, D1, side="")], [])
    assert str(error.value) == BAD_RADIOGRAPH_LATERALITY.format(radiograph=1, value="")
    with pytest.raises(ValueError) as error:
        run([xr(1, D1)], [lesion(11, 1, 0.0)])
    assert str(error.value) == BAD_DIAMETER.format(lesion=11, value=0.0)


def test_a_lesion_on_a_one_sided_radiograph_takes_the_radiographs_side():
    """Outside bilateral images the radiograph's side is the lesion's series."""
    result = run([xr(1, D1, side="right")], [lesion(11, 1, 5.0, side="left")])
    assert only_track(result).site["laterality"] == "right"
    assert result.series[0].laterality == "right"
