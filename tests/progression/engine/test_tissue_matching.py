"""Matching with an unknown tissue plane (DOMAIN.md, "Matching lesions to tracks"): an unknown
plane on either side matches any plane; a known plane never matches a different known plane.

Pure: no database. Floor 2 mm, fractions 0.25 (the defaults).
"""

from __future__ import annotations

import pytest

from progression.engine.inputs import TrackIn
from progression.engine.matching import tissues_match
from tests.progression.engine.cases import D1, D2, D3, lesion, only_track, run, track_statuses, xr

THUMB_SITE = {"digit": 1, "segment": "distal_phalanx"}
SOFT = {**THUMB_SITE, "tissue": "soft_tissue"}
PERIARTICULAR = {**THUMB_SITE, "tissue": "periarticular"}
UNKNOWN = {**THUMB_SITE, "tissue": ""}


@pytest.mark.parametrize(
    ("one", "other", "match"),
    [
        ("", "", True),
        ("", "soft_tissue", True),
        ("periarticular", "", True),
        ("tendon", "tendon", True),
        ("soft_tissue", "periarticular", False),
        ("periarticular", "tendon", False),
    ],
)
def test_tissues_match_truth_table(one, other, match):
    """Unknown matches anything, in both orders; two known planes only themselves."""
    assert tissues_match(one, other) is match
    assert tissues_match(other, one) is match


def test_unknown_plane_now_joins_the_known_plane_of_before():
    """A deposit entered once without its plane is not a second deposit."""
    result = run([xr(1, D1), xr(2, D2)], [lesion(11, 1, 5.0, SOFT), lesion(12, 2, 5.5, UNKNOWN)])
    track = only_track(result)
    # D0 = 5.0, D = 5.5: delta 0.5 mm < 2 mm -> stable, not a new deposit.
    assert track_statuses(track) == ["baseline", "stable"]
    assert track.site["tissue"] == "soft_tissue"


def test_known_plane_now_joins_an_unknown_plane_of_before_and_names_the_track():
    """The other direction: the first view lacked the plane, the next one has it; the track
    takes the plane once known."""
    result = run(
        [xr(1, D1), xr(2, D2)], [lesion(11, 1, 5.0, UNKNOWN), lesion(12, 2, 8.0, PERIARTICULAR)]
    )
    track = only_track(result)
    # delta = 8.0 - 5.0 = 3 mm >= 2 mm and >= 0.25 * 5 = 1.25 mm -> progressed.
    assert track_statuses(track) == ["baseline", "progressed"]
    assert track.site["tissue"] == "periarticular"


def test_two_known_planes_never_match():
    """Soft tissue at D1 and periarticular at D2 on the same segment are two deposits: the
    first resolves, the second is new, and the series progresses (a new track appears)."""
    result = run(
        [xr(1, D1), xr(2, D2)], [lesion(11, 1, 5.0, SOFT), lesion(12, 2, 5.0, PERIARTICULAR)]
    )
    assert len(result.tracks) == 2
    first, second = result.tracks
    assert first.site["tissue"] == "soft_tissue"
    assert track_statuses(first) == ["baseline", "resolved"]
    assert (second.site["tissue"], track_statuses(second)) == ("periarticular", ["new"])
    assert [tp.status for tp in result.series[0].timepoints] == ["baseline", "progression"]


def test_a_plane_learnt_later_refuses_a_different_plane_afterwards():
    """Unknown at D1, soft tissue at D2 (joins: the deposit's plane is now known), periarticular
    at D3: a different known plane, so another deposit."""
    result = run(
        [xr(1, D1), xr(2, D2), xr(3, D3)],
        [lesion(11, 1, 5.0, UNKNOWN), lesion(12, 2, 5.0, SOFT), lesion(13, 3, 5.0, PERIARTICULAR)],
    )
    assert [[o.lesion_ids for o in t.observations] for t in result.tracks] == [
        [[11], [12], []],
        [[13]],
    ]


def test_unknown_plane_chooses_between_two_known_planes_by_diameter():
    """Two deposits on one segment (soft tissue 4 mm, periarticular 9 mm); an unknown-plane
    lesion of 8.5 mm at D2 is a candidate for both and joins the closer diameter:
    |8.5 - 9| = 0.5 < |8.5 - 4| = 4.5 -> the periarticular one."""
    result = run(
        [xr(1, D1), xr(2, D1, "oblique"), xr(3, D2)],
        [
            lesion(11, 1, 4.0, SOFT),
            lesion(12, 1, 9.0, PERIARTICULAR),
            lesion(13, 3, 8.5, UNKNOWN),
        ],
    )
    by_plane = {t.site["tissue"]: t for t in result.tracks}
    assert set(by_plane) == {"soft_tissue", "periarticular"}
    assert by_plane["periarticular"].observations[1].lesion_ids == [13]
    assert by_plane["soft_tissue"].observations[1].status == "resolved"


def test_chosen_track_keeps_its_site_and_takes_a_lesion_of_a_known_plane():
    """A track the user chose, stored without a plane, keeps its stored site; a later automatic
    lesion with a known plane still matches it (unknown matches any)."""
    stored = TrackIn(7, "hand", "left", 1, "distal_phalanx", "")
    result = run(
        [xr(1, D1), xr(2, D2)],
        [lesion(11, 1, 5.0, UNKNOWN, chosen_track_id=7), lesion(12, 2, 5.0, SOFT)],
        tracks=[stored],
    )
    track = only_track(result)
    assert track.ref.existing_id == 7
    assert track.site["tissue"] == ""
    assert [o.lesion_ids for o in track.observations] == [[11], [12]]
