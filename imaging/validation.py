"""Validation rules of radiographs, findings and lesions, called from the models' ``clean()``."""

from __future__ import annotations

from django.conf import settings

from patients.validation import add_error, dated_record_errors

VISIT_OF_OTHER_PATIENT = "This visit belongs to another patient."
SPACING_INCOMPLETE = "Give both row and column spacing (mm per pixel, > 0) and their source."
DIAMETER_NOT_POSITIVE = "A diameter must be greater than 0 mm."
DIAMETER_IMPLAUSIBLE = (
    "{value:g} mm is implausible for a deposit in the {region} (at most {limit} mm): "
    "check the entry (cm instead of mm?)."
)
PERPENDICULAR_LONGER = "The perpendicular diameter cannot exceed the longest diameter."
SIDE_MISMATCH = "The lesion's side must be the radiograph's side ({side})."
TRACK_MISMATCH = "This track belongs to another patient, body region or side."
DIGIT_OUTSIDE_HAND = "A digit is recorded only for hand and wrist radiographs."
FOOT_OR_HAND_DIGIT = {"hand", "wrist", "foot"}


def radiograph_errors(radiograph) -> dict[str, list[str]]:
    patient = radiograph.patient if radiograph.patient_id else None
    errors = dated_record_errors("acquired_on", radiograph.acquired_on, patient)
    if (
        radiograph.visit_id
        and radiograph.patient_id
        and radiograph.visit.patient_id != radiograph.patient_id
    ):
        add_error(errors, "visit", VISIT_OF_OTHER_PATIENT)
    values = (radiograph.pixel_spacing_row_mm, radiograph.pixel_spacing_column_mm)
    given = [v is not None for v in values] + [bool(radiograph.pixel_spacing_source)]
    if any(given) and not (all(given) and all(0 < v <= 10 for v in values)):
        add_error(errors, "pixel_spacing_mm", SPACING_INCOMPLETE)
    return errors


def max_diameter_mm(region: str) -> float:
    limits = settings.REGISTRY_MAX_LESION_DIAMETER_MM
    return limits.get(region, limits["other"])


def diameter_errors(longest: float | None, perpendicular: float | None, region: str) -> dict:
    errors: dict[str, list[str]] = {}
    limit = max_diameter_mm(region)
    for field, value in (
        ("longest_diameter_mm", longest),
        ("perpendicular_diameter_mm", perpendicular),
    ):
        if value is None:
            continue
        if value <= 0:
            add_error(errors, field, DIAMETER_NOT_POSITIVE)
        elif value > limit:
            add_error(
                errors, field, DIAMETER_IMPLAUSIBLE.format(value=value, region=region, limit=limit)
            )
    if longest is not None and perpendicular is not None and perpendicular > longest:
        add_error(errors, "perpendicular_diameter_mm", PERPENDICULAR_LONGER)
    return errors


def lesion_errors(lesion) -> dict[str, list[str]]:
    if not lesion.radiograph_id:
        return {}
    radiograph = lesion.radiograph
    errors = diameter_errors(
        lesion.longest_diameter_mm, lesion.perpendicular_diameter_mm, radiograph.body_region
    )
    if radiograph.laterality != "bilateral" and lesion.laterality != radiograph.laterality:
        add_error(errors, "laterality", SIDE_MISMATCH.format(side=radiograph.laterality))
    if lesion.digit is not None and radiograph.body_region not in FOOT_OR_HAND_DIGIT:
        add_error(errors, "digit", DIGIT_OUTSIDE_HAND)
    if lesion.track_id:
        track = lesion.track
        if (
            track.patient_id != radiograph.patient_id
            or track.body_region != radiograph.body_region
            or track.laterality != lesion.laterality
        ):
            add_error(errors, "track", TRACK_MISMATCH)
    return errors


def finding_errors(finding) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if finding.finding == "other" and not finding.notes.strip():
        add_error(errors, "notes", "Describe the finding.")
    if (
        finding.digit is not None
        and finding.radiograph_id
        and (finding.radiograph.body_region not in FOOT_OR_HAND_DIGIT)
    ):
        add_error(errors, "digit", DIGIT_OUTSIDE_HAND)
    return errors
