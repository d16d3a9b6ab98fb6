"""The engine's inputs for a batch of patients, read in four queries whatever the batch size.

The pure engine (:func:`patients.progression.compute_progression`) takes plain values; this is
the only place that turns database rows into them. Rows are read with ``values_list`` (no model
instances): a cohort recomputation reads every lesion of the registry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from imaging.choices import TrackAssignment
from imaging.models import CalcinosisLesion, LesionTrack, Radiograph
from patients.models import Patient
from patients.partial_dates import DAY, PartialDate
from patients.progression import LesionIn, RadiographIn, TrackIn


@dataclass
class PatientInputs:
    """One patient's engine inputs, plus the lesions' stored track assignments (to write only
    what changed) and the ids of the tracks the engine created earlier (to clean up)."""

    patient_id: int
    first_non_raynaud_onset: date | None = None
    raynaud_onset: date | None = None
    radiographs: list[RadiographIn] = field(default_factory=list)
    lesions: list[LesionIn] = field(default_factory=list)
    tracks: list[TrackIn] = field(default_factory=list)
    stored_assignments: dict[int, tuple[int | None, str]] = field(default_factory=dict)
    auto_track_ids: set[int] = field(default_factory=set)

    def engine_arguments(self) -> dict[str, Any]:
        return {
            "radiographs": self.radiographs,
            "lesions": self.lesions,
            "tracks": self.tracks,
            "first_non_raynaud_onset": self.first_non_raynaud_onset,
            "raynaud_onset": self.raynaud_onset,
        }


def _midpoint(value: date | None, precision: str) -> date | None:
    """DOMAIN.md: a partial onset counts from the middle of its period."""
    return None if value is None else PartialDate(value, precision or DAY).midpoint()


def _axis(value: Any) -> tuple[tuple[float, float], tuple[float, float]] | None:
    if not value:
        return None
    (x1, y1), (x2, y2) = value
    return ((float(x1), float(y1)), (float(x2), float(y2)))


def load_inputs(patient_ids: Iterable[int]) -> dict[int, PatientInputs]:
    """Inputs of the patients that exist among ``patient_ids`` (deleted ones are left out)."""
    ids = list(patient_ids)
    inputs: dict[int, PatientInputs] = {}
    for pk, first, first_precision, raynaud, raynaud_precision in Patient.objects.filter(
        pk__in=ids
    ).values_list(
        "pk",
        "first_non_raynaud_onset",
        "first_non_raynaud_onset_precision",
        "raynaud_onset",
        "raynaud_onset_precision",
    ):
        inputs[pk] = PatientInputs(
            pk, _midpoint(first, first_precision), _midpoint(raynaud, raynaud_precision)
        )
    if not inputs:
        return inputs
    ids = list(inputs)
    for pk, patient_id, day, region, side, row, column, view in Radiograph.objects.filter(
        patient_id__in=ids
    ).values_list(
        "pk",
        "patient_id",
        "acquired_on",
        "body_region",
        "laterality",
        "pixel_spacing_row_mm",
        "pixel_spacing_column_mm",
        "view",
    ):
        spacing = None if row is None or column is None else (row, column)
        inputs[patient_id].radiographs.append(RadiographIn(pk, day, region, side, spacing, view))
    for row in CalcinosisLesion.objects.filter(radiograph__patient_id__in=ids).values_list(
        "pk",
        "radiograph_id",
        "radiograph__patient_id",
        "laterality",
        "digit",
        "segment",
        "tissue",
        "longest_diameter_mm",
        "perpendicular_diameter_mm",
        "longest_axis_px",
        "track_id",
        "track_assignment",
    ):
        pk, radiograph_id, patient_id, side, digit, segment, tissue = row[:7]
        longest, perpendicular, axis, track_id, assignment = row[7:]
        chosen = track_id if assignment == TrackAssignment.USER else None
        previous = track_id if assignment == TrackAssignment.AUTO else None
        patient = inputs[patient_id]
        patient.lesions.append(
            LesionIn(
                pk,
                radiograph_id,
                side,
                digit,
                segment,
                tissue,
                longest,
                perpendicular,
                _axis(axis),
                chosen_track_id=chosen,
                previous_track_id=previous,
            )
        )
        patient.stored_assignments[pk] = (track_id, assignment)
    for pk, patient_id, region, side, digit, segment, tissue, auto in LesionTrack.objects.filter(
        patient_id__in=ids
    ).values_list(
        "pk",
        "patient_id",
        "body_region",
        "laterality",
        "digit",
        "segment",
        "tissue",
        "auto_origin__track_id",
    ):
        inputs[patient_id].tracks.append(TrackIn(pk, region, side, digit, segment, tissue))
        if auto is not None:
            inputs[patient_id].auto_track_ids.add(pk)
    return inputs
