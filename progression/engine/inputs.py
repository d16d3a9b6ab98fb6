"""The progression engine's inputs: plain values of the patient's radiographs, lesions and
tracks (loaded from the database by :mod:`progression.loading`)."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple


class RadiographIn(NamedTuple):
    id: int
    acquired_on: date
    body_region: str  # hand, wrist, forearm, elbow, knee, foot, other
    laterality: str  # left, right, bilateral
    pixel_spacing_mm: tuple[float, float] | None  # (row, column) spacing, mm per pixel
    view: str = ""  # pa, ap, oblique, lateral, digit


class LesionIn(NamedTuple):
    id: int
    radiograph_id: int
    laterality: str  # the lesion's own side; used only when the radiograph is bilateral
    digit: int | None  # 1 = thumb .. 5 = little finger
    segment: str  # distal_phalanx, middle_phalanx, proximal_phalanx, metacarpal, carpal, other, ""
    tissue: str  # soft_tissue, periarticular, tendon, ""
    longest_diameter_mm: float
    perpendicular_diameter_mm: float | None = None
    longest_axis_px: tuple[tuple[float, float], tuple[float, float]] | None = None  # (x, y) ends
    chosen_track_id: int | None = None  # the user's choice: always wins
    previous_track_id: int | None = None  # an earlier automatic run's track: keeps ids stable


class TrackIn(NamedTuple):
    """An existing track of the patient (a smaller id is an older track)."""

    id: int
    body_region: str
    laterality: str
    digit: int | None
    segment: str
    tissue: str
