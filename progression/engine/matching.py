"""Lesions to tracks: DOMAIN.md, "Matching lesions to tracks", and stable track ids.

Pure Python, used by :mod:`progression.engine.grading`. A lesion chosen by the user joins its track;
every other lesion is matched in reading order (dates, then views, then lesion ids) to a track
of the same site, or starts a new one. Tracks formed here reuse the database id their lesions
had before (``previous_track_id``) so that a recompute does not renumber the patient's tracks.

An existing track takes part in matching from the date of its first lesion in this run (a
lesion the user chose for it). An existing track holding no lesion yet has no last diameter or
position to compare with; letting it absorb the first lesion of its site would relabel tracks
whenever an earlier radiograph is deleted, so its id comes back through ``previous_track_id``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter
from typing import NamedTuple

from progression.engine.inputs import LesionIn, RadiographIn, TrackIn

LEFT, RIGHT, BILATERAL = "left", "right", "bilateral"
SIDES = (LEFT, RIGHT)
# Reading order of the views of one date: the dedicated digit view before the oblique so that
# the overview views come first; any other view (or none) comes last.
VIEW_ORDER = {"pa": 0, "ap": 1, "digit": 2, "oblique": 3, "lateral": 4}
OTHER_VIEW_RANK = len(VIEW_ORDER)

UNKNOWN_RADIOGRAPH = (
    "lesion {lesion}: radiograph {radiograph} is not among the patient's radiographs"
)
BAD_RADIOGRAPH_LATERALITY = (
    "radiograph {radiograph}: laterality must be left, right or bilateral, not {value!r}"
)
BAD_LESION_SIDE = (
    "lesion {lesion}: on a bilateral radiograph the lesion's own laterality must be left or "
    "right, not {value!r}"
)
BAD_DIAMETER = "lesion {lesion}: longest diameter must be a positive number of mm, not {value!r}"
UNKNOWN_CHOSEN_TRACK = "lesion {lesion}: chosen track {track} is not among the patient's tracks"
CHOSEN_TRACK_OTHER_SERIES = (
    "lesion {lesion}: chosen track {track} belongs to the {track_series} series, "
    "the lesion to the {lesion_series} series"
)

Site = tuple[str, str, int | None, str, str]  # region, laterality, digit, segment, tissue
Place = tuple[str, str, int | None, str]  # a site without its tissue plane
SeriesKey = tuple[str, str]  # region, laterality
UNKNOWN_TISSUE = ""


@lru_cache(maxsize=65536, typed=True)
def as_entered(value: float) -> Decimal:
    """The decimal a float was entered as: ``as_entered(6.1) - as_entered(4.1) == 2``.

    DOMAIN.md compares "the values as entered (no rounding before comparing)"; binary floats would
    make 6.1 - 4.1 = 1.9999999999999996 and miss an inclusive 2 mm boundary. Only differences
    and sums need it: ``a < b`` on floats orders them as their entered decimals do (the shortest
    repr of each rounds back to it, and rounding is monotonic). Cached: a cohort repeats values.
    """
    return Decimal(repr(value))


class Placed(NamedTuple):
    """A lesion with its radiograph, its region series side and its reading position (computed
    once: matching and grading read them for every comparison)."""

    lesion: LesionIn
    radiograph: RadiographIn
    laterality: str
    day: date
    series: SeriesKey
    site: Site
    order: tuple[date, int, int, int]


class MatchedTrack(NamedTuple):
    """A track as matched: its database id to reuse (None: create one) and its lesions in order."""

    key: str
    existing_id: int | None
    site: Site
    members: tuple[Placed, ...]

    @property
    def series(self) -> SeriesKey:
        return (self.site[0], self.site[1])


_ORDER = attrgetter("order")


class _Forming:
    """A track being formed; ``first_day`` and ``radiographs`` keep the candidate test O(1).

    ``tissue`` is the plane it is known to lie in: its own, else the first one a member gave
    (so once a deposit's plane is known, a lesion in another known plane is another deposit).
    A formed track takes that plane as its site; a chosen track keeps the site the user gave.
    """

    __slots__ = ("age", "chosen_id", "first_day", "members", "radiographs", "site", "tissue")

    def __init__(self, age: tuple[int, int], site: Site, chosen_id: int | None = None) -> None:
        self.age = age  # (0, database id) for existing tracks, (1, creation number) for new
        self.site = site
        self.tissue = site[4]
        self.chosen_id = chosen_id
        self.members: list[Placed] = []
        self.first_day: date | None = None
        self.radiographs: set[int] = set()

    def add(self, member: Placed) -> None:
        self.members.append(member)
        if self.first_day is None or member.day < self.first_day:
            self.first_day = member.day
        self.radiographs.add(member.radiograph.id)
        tissue = member.site[4]
        if self.tissue == UNKNOWN_TISSUE and tissue != UNKNOWN_TISSUE:
            self.tissue = tissue
            if self.chosen_id is None:
                self.site = (*self.site[:4], tissue)


def tissues_match(one: str, other: str) -> bool:
    """DOMAIN.md: an unknown tissue plane on either side matches any plane; a known plane never
    matches a different known plane."""
    return UNKNOWN_TISSUE in (one, other) or one == other


def _place(site: Site) -> Place:
    return (site[0], site[1], site[2], site[3])


def series_keys(radiograph: RadiographIn) -> tuple[SeriesKey, ...]:
    """The region series a radiograph is a timepoint of (a bilateral one: both sides)."""
    if radiograph.laterality == BILATERAL:
        return tuple((radiograph.body_region, side) for side in SIDES)
    if radiograph.laterality not in SIDES:
        raise ValueError(
            BAD_RADIOGRAPH_LATERALITY.format(radiograph=radiograph.id, value=radiograph.laterality)
        )
    return ((radiograph.body_region, radiograph.laterality),)


def _is_diameter(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def place_lesions(radiographs: Sequence[RadiographIn], lesions: Sequence[LesionIn]) -> list[Placed]:
    """Lesions with their radiograph and side, in reading order; ValueError on bad input."""
    views = {}  # radiograph id -> (radiograph, view rank, its series when not bilateral)
    for radiograph in radiographs:
        keys = series_keys(radiograph)  # validates the radiograph's laterality
        rank = VIEW_ORDER.get(radiograph.view.lower(), OTHER_VIEW_RANK)
        views[radiograph.id] = (radiograph, rank, keys[0] if len(keys) == 1 else None)
    placed = []
    for lesion in lesions:
        found = views.get(lesion.radiograph_id)
        if found is None:
            raise ValueError(
                UNKNOWN_RADIOGRAPH.format(lesion=lesion.id, radiograph=lesion.radiograph_id)
            )
        if not _is_diameter(lesion.longest_diameter_mm):
            raise ValueError(
                BAD_DIAMETER.format(lesion=lesion.id, value=lesion.longest_diameter_mm)
            )
        radiograph, rank, series = found
        if series is None:  # bilateral: the lesion says which side
            if lesion.laterality not in SIDES:
                raise ValueError(BAD_LESION_SIDE.format(lesion=lesion.id, value=lesion.laterality))
            series = (radiograph.body_region, lesion.laterality)
        day = radiograph.acquired_on
        placed.append(
            Placed(
                lesion,
                radiograph,
                series[1],
                day,
                series,
                (*series, lesion.digit, lesion.segment, lesion.tissue),
                (day, rank, radiograph.id, lesion.id),
            )
        )
    placed.sort(key=_ORDER)
    return placed


def match_tracks(placed: Sequence[Placed], tracks: Sequence[TrackIn]) -> list[MatchedTrack]:
    """Group lesions (in reading order) into tracks, ordered by their first lesion."""
    existing = {track.id: track for track in tracks}
    forming = _chosen_tracks(placed, existing)
    chosen_ids = {track.chosen_id for track in forming}
    by_place: dict[Place, list[_Forming]] = {}  # the tissue plane is compared per candidate
    for track in forming:
        by_place.setdefault(_place(track.site), []).append(track)
    formed: list[_Forming] = []
    for lesion in placed:
        if lesion.lesion.chosen_track_id is not None:
            continue
        same_place = by_place.get(_place(lesion.site))
        candidates = (
            [track for track in same_place if _is_candidate(track, lesion)] if same_place else []
        )
        if candidates:
            _nearest(lesion, candidates).add(lesion)
        else:
            track = _Forming(age=(1, len(formed)), site=lesion.site)
            track.add(lesion)
            formed.append(track)
            forming.append(track)
            by_place.setdefault(_place(lesion.site), []).append(track)
    reused = _reuse_previous_ids(formed, existing, taken=chosen_ids)
    result = []
    new_number = 0
    for track in forming:
        existing_id = track.chosen_id
        if existing_id is None:
            existing_id = reused.get(track.age[1])
        if existing_id is None:
            new_number += 1
        key = f"t{existing_id}" if existing_id is not None else f"new-{new_number}"
        members = tuple(sorted(track.members, key=_ORDER))
        result.append(MatchedTrack(key, existing_id, track.site, members))
    result.sort(key=lambda track: track.members[0].order)
    return result


def _chosen_tracks(placed: Sequence[Placed], existing: dict[int, TrackIn]) -> list[_Forming]:
    """The user's choices, placed before any matching: a chosen track is never taken away."""
    chosen: dict[int, _Forming] = {}
    for lesion in placed:
        track_id = lesion.lesion.chosen_track_id
        if track_id is None:
            continue
        track = existing.get(track_id)
        if track is None:
            raise ValueError(UNKNOWN_CHOSEN_TRACK.format(lesion=lesion.lesion.id, track=track_id))
        if (track.body_region, track.laterality) != lesion.series:
            raise ValueError(
                CHOSEN_TRACK_OTHER_SERIES.format(
                    lesion=lesion.lesion.id,
                    track=track_id,
                    track_series=f"{track.laterality} {track.body_region}",
                    lesion_series=f"{lesion.laterality} {lesion.radiograph.body_region}",
                )
            )
        if track_id not in chosen:
            site = (track.body_region, track.laterality, track.digit, track.segment, track.tissue)
            chosen[track_id] = _Forming(age=(0, track_id), site=site, chosen_id=track_id)
        chosen[track_id].add(lesion)
    return list(chosen.values())


def _is_candidate(track: _Forming, lesion: Placed) -> bool:
    """Same site (the caller's index holds region, side, digit and segment; the tissue planes
    must match), already seen by this date, and not yet on this lesion's radiograph.

    DOMAIN.md says a candidate has "no observation on that date yet", but it also makes the
    views of one date a single timepoint whose D is the largest among the views that show the
    deposit: a deposit on the PA and the oblique of one day must be one track. So the exclusion
    is read per radiograph: a track may take one lesion from each view of a date.
    """
    return (
        track.first_day <= lesion.day
        and lesion.radiograph.id not in track.radiographs
        and tissues_match(track.tissue, lesion.site[4])
    )


def _nearest(lesion: Placed, candidates: list[_Forming]) -> _Forming:
    """Nearest centre in mm when the lesion and every candidate have one (one metric ranks
    them all), else the closest last longest diameter."""
    if len(candidates) == 1:
        return candidates[0]
    references = [_latest_before(track, lesion) for track in candidates]
    here = _centre_mm(lesion)
    there = [_centre_mm(reference) for reference in references]
    distances: list[float] | list[Decimal]
    if here is not None and all(centre is not None for centre in there):
        distances = [math.dist(here, centre) for centre in there if centre is not None]
    else:
        diameter = as_entered(lesion.lesion.longest_diameter_mm)
        distances = [
            abs(as_entered(reference.lesion.longest_diameter_mm) - diameter)
            for reference in references
        ]
    # Ties go to the older track: existing ones (by id) before new ones (by creation).
    ranked = sorted(zip(distances, candidates, strict=True), key=lambda dt: (dt[0], dt[1].age))
    return ranked[0][1]


def _latest_before(track: _Forming, lesion: Placed) -> Placed:
    """The track's most recent lesion up to the lesion's date (the last in reading order)."""
    return max((m for m in track.members if m.day <= lesion.day), key=lambda m: m.order)


def _centre_mm(lesion: Placed) -> tuple[float, float] | None:
    """Centre of the longest axis in mm (x with the column spacing, y with the row spacing)."""
    axis, spacing = lesion.lesion.longest_axis_px, lesion.radiograph.pixel_spacing_mm
    if axis is None or spacing is None or not (spacing[0] > 0 and spacing[1] > 0):
        return None
    (x1, y1), (x2, y2) = axis
    row_spacing, column_spacing = spacing
    return ((x1 + x2) / 2 * column_spacing, (y1 + y2) / 2 * row_spacing)


def _reuse_previous_ids(
    formed: list[_Forming], existing: dict[int, TrackIn], taken: set[int | None]
) -> dict[int, int]:
    """Creation number -> the previous id most of that formed track's lesions had, if free.

    Greedy over (lesion count desc, creation order, id): a track keeps the id that most of its
    lesions carried; a track holding more lesions of an id wins it over one holding fewer. Only
    ids of existing tracks of the same region series qualify (a lesion's track must be of its
    radiograph's region and side); digit, segment or tissue may have been corrected since.
    """
    claims = []
    for number, track in enumerate(formed):
        counts = Counter(
            member.lesion.previous_track_id
            for member in track.members
            if member.lesion.previous_track_id in existing
        )
        for track_id, count in counts.items():
            old = existing[track_id]
            if (old.body_region, old.laterality) == (track.site[0], track.site[1]):
                claims.append((-count, number, track_id))
    reused: dict[int, int] = {}  # creation number -> existing id
    taken = set(taken)
    for _, number, track_id in sorted(claims):
        if number not in reused and track_id not in taken:
            reused[number] = track_id
            taken.add(track_id)
    return reused
