"""The only writers of radiographs, findings, lesion tracks and lesions."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from imaging import measurement
from imaging.choices import MeasurementSource, TrackAssignment
from imaging.models import CalcinosisLesion, LesionTrack, Radiograph, RadiographicFinding
from progression.services import progression_mark_dirty, progression_recompute
from registry.db import save_validated

logger = logging.getLogger(__name__)

NO_SPACING = (
    "This radiograph has no pixel spacing, so pixel points cannot be converted to mm: "
    "enter the diameters in mm."
)
PERPENDICULAR_NEEDS_LONGEST = "A perpendicular axis needs the longest axis too."


@transaction.atomic
def radiograph_save(*, radiograph: Radiograph) -> Radiograph:
    save_validated(radiograph)
    progression_mark_dirty(patient_id=radiograph.patient_id)
    return radiograph


@transaction.atomic
def finding_save(*, finding: RadiographicFinding) -> RadiographicFinding:
    return save_validated(finding)


@transaction.atomic
def track_save(*, track: LesionTrack) -> LesionTrack:
    save_validated(track)
    progression_mark_dirty(patient_id=track.patient_id)
    return track


def _measure_from_pixels(lesion: CalcinosisLesion, radiograph: Radiograph) -> None:
    """Fill the mm diameters from the pixel end points and the radiograph's spacing."""
    errors: dict[str, list[str]] = {}
    axes = {}
    for field in ("longest_axis_px", "perpendicular_axis_px"):
        value = getattr(lesion, field)
        if value is None:
            continue
        try:
            axes[field] = measurement.parse_axis(value)
        except ValueError as exc:
            errors[field] = [str(exc)]
    if "perpendicular_axis_px" in axes and lesion.longest_axis_px is None:
        errors["perpendicular_axis_px"] = [PERPENDICULAR_NEEDS_LONGEST]
    if axes and radiograph.pixel_spacing_mm is None:
        errors["longest_axis_px"] = [NO_SPACING]
    if errors:
        raise ValidationError(errors)
    if not axes:
        lesion.measurement_source = MeasurementSource.MANUAL
        lesion.spacing_source = ""
        return
    spacing = radiograph.pixel_spacing_mm
    # Store as entered from the image; the points keep full precision, mm to 0.01 mm.
    lesion.longest_diameter_mm = round(
        measurement.axis_length_mm(axes["longest_axis_px"], spacing), 2
    )
    lesion.longest_axis_px = [list(p) for p in axes["longest_axis_px"]]
    if "perpendicular_axis_px" in axes:
        lesion.perpendicular_diameter_mm = round(
            measurement.axis_length_mm(axes["perpendicular_axis_px"], spacing), 2
        )
        lesion.perpendicular_axis_px = [list(p) for p in axes["perpendicular_axis_px"]]
    lesion.measurement_source = MeasurementSource.PIXELS
    lesion.spacing_source = radiograph.pixel_spacing_source


def _track_changed(lesion: CalcinosisLesion) -> bool:
    if lesion.pk is None:
        return False
    stored = CalcinosisLesion.objects.filter(pk=lesion.pk).values_list("track_id", flat=True)
    return stored.first() != lesion.track_id


@transaction.atomic
def lesion_save(*, lesion: CalcinosisLesion) -> CalcinosisLesion:
    """Create or update a lesion: side from the radiograph unless bilateral, mm from pixel points
    when given, and a track chosen here counts as the user's choice."""
    radiograph = lesion.radiograph
    if not lesion.laterality and radiograph.laterality != "bilateral":
        lesion.laterality = radiograph.laterality
    _measure_from_pixels(lesion, radiograph)
    if lesion.track_id is None:
        lesion.track_assignment = TrackAssignment.NONE
    elif not lesion.track_assignment or _track_changed(lesion):
        # A track chosen here (new, or changed from the engine's) is the user's: it wins.
        lesion.track_assignment = TrackAssignment.USER
    save_validated(lesion)
    progression_mark_dirty(patient_id=radiograph.patient_id)
    return lesion


@transaction.atomic
def lesion_save_matched(*, lesion: CalcinosisLesion) -> CalcinosisLesion:
    """:func:`lesion_save`, then, unless the user chose the track, the patient's progression
    recomputed by the service the queued recomputation uses, so the answer carries the track the
    engine matched (a new deposit's or an earlier timepoint's) instead of ``null``.

    The matching is a courtesy, never a cost to the write (review findings): it runs in a
    savepoint, so an engine failure leaves the saved lesion as it is; and it does not wait for
    rows another transaction holds (``nowait``), so it cannot deadlock with a worker or a
    colleague's write. Either way the recomputation queued after commit matches the lesion, and
    the answer says ``track: null`` until then, as before.
    """
    lesion_save(lesion=lesion)
    if lesion.track_assignment == TrackAssignment.USER:
        return lesion
    try:
        with transaction.atomic():
            progression_recompute(patient_id=lesion.radiograph.patient_id, nowait=True)
    except DatabaseError:
        logger.info("Lesion %s: rows busy, the queued recomputation matches it.", lesion.pk)
    except Exception:
        logger.exception("Lesion %s: matching failed; the queued recomputation retries.", lesion.pk)
    lesion.refresh_from_db()
    return lesion


@transaction.atomic
def radiograph_delete(*, radiograph: Radiograph, reason: str) -> None:
    """Delete a radiograph with its lesions, findings and received DICOM instance (whose files
    leave after commit, :mod:`imaging.dicom.file_cleanup`), as the API's DELETE does. The history
    keeps why; the progression is marked by the deletion signal (:mod:`progression.signals`)."""
    if not reason.strip():
        raise ValueError("Deleting a radiograph needs a reason.")
    radiograph._change_reason = reason
    radiograph.delete()


@transaction.atomic
def lesion_delete(*, lesion: CalcinosisLesion, reason: str) -> None:
    """Delete a lesion; its track stays for its other lesions (the next recomputation removes an
    engine-made track left empty), as the API's DELETE does."""
    if not reason.strip():
        raise ValueError("Deleting a lesion needs a reason.")
    lesion._change_reason = reason
    lesion.delete()
