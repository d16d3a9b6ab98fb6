"""Validation rules of radiographs, findings and lesions, called from the models' ``clean()``.

A lesion's site (DOMAIN.md, "A lesion's site: what is required, what may be unknown"): on a hand
or foot radiograph a deposit needs its segment, and on a phalanx or a metacarpal (metatarsal) its
digit, or it cannot be followed over time; the tissue plane may stay unknown. A wrist film shows
carpals and the bases of the metacarpals: the segment is optional there (DOMAIN names hand and
foot only), but a metacarpal or phalanx named on it needs its digit, for the same reason.
The rule is here, in the model's validation, so the API, the clinic forms, the viewer and the
cohort import refuse alike. Lesions stored before the rule keep their rows and their place in the
burden (dropping them would silently change a patient's progression); editing one asks for the
missing site, like a new one, and the admin's lesion list finds them (:func:`site_incomplete`).
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q

from imaging.choices import BodyRegion, Segment
from imaging.track_names import FOOT_SEGMENTS
from patients.validation import add_error, dated_record_errors
from registry.db_rules import rule_message

VISIT_OF_OTHER_PATIENT = "This visit belongs to another patient."
# The rules the database checks too: the sentences of its one table (registry.db_rules).
SPACING_INCOMPLETE = rule_message("radiograph_spacing_complete_and_positive")
LONGEST_NOT_POSITIVE = rule_message("lesion_longest_diameter_plausible")
PERPENDICULAR_LONGER = rule_message("lesion_perpendicular_not_longer")
FINDING_NOT_DESCRIBED = rule_message("finding_other_described")
NOT_POSITIVE = {
    "longest_diameter_mm": LONGEST_NOT_POSITIVE,
    "perpendicular_diameter_mm": PERPENDICULAR_LONGER,
}
DIAMETER_IMPLAUSIBLE = (
    "{value:g} mm is implausible for a deposit in the {region} (at most {limit} mm): "
    "check the entry (cm instead of mm?)."
)
SIDE_MISMATCH = "The lesion's side must be the radiograph's side ({side})."
TRACK_MISMATCH = "This track belongs to another patient, body region or side."
DIGIT_OUTSIDE_HAND = "A digit is recorded only for hand, wrist and foot radiographs."
SEGMENT_REQUIRED = (
    "Choose the segment (the bone the deposit lies on): on a {region} radiograph a deposit "
    "without it cannot be followed over time."
)
DIGIT_REQUIRED = (
    "Choose the digit (1 = {first} to 5): a deposit on a {segment} cannot be followed over time "
    "without it."
)
FOOT_OR_HAND_DIGIT = {BodyRegion.HAND, BodyRegion.WRIST, BodyRegion.FOOT}
SEGMENT_REQUIRED_REGIONS = {BodyRegion.HAND, BodyRegion.FOOT}
DIGIT_SEGMENTS = {
    Segment.DISTAL_PHALANX,
    Segment.MIDDLE_PHALANX,
    Segment.PROXIMAL_PHALANX,
    Segment.METACARPAL,
}


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
            add_error(errors, field, NOT_POSITIVE[field])
        elif value > limit:
            add_error(
                errors, field, DIAMETER_IMPLAUSIBLE.format(value=value, region=region, limit=limit)
            )
    if longest is not None and perpendicular is not None and perpendicular > longest:
        add_error(errors, "perpendicular_diameter_mm", PERPENDICULAR_LONGER)
    return errors


def site_errors(region: str, digit: int | None, segment: str) -> dict[str, list[str]]:
    """The site a deposit needs to be followed over time (DOMAIN.md); tissue may be unknown."""
    errors: dict[str, list[str]] = {}
    if not segment and region in SEGMENT_REQUIRED_REGIONS:
        add_error(errors, "segment", SEGMENT_REQUIRED.format(region=region))
    if digit is None and segment in DIGIT_SEGMENTS and region in FOOT_OR_HAND_DIGIT:
        foot = region == BodyRegion.FOOT
        bone = FOOT_SEGMENTS.get(segment) if foot else None
        add_error(
            errors,
            "digit",
            DIGIT_REQUIRED.format(
                first="great toe" if foot else "thumb",
                segment=bone or Segment(segment).label.lower(),
            ),
        )
    return errors


def site_incomplete() -> Q:
    """Stored lesions :func:`site_errors` would refuse (rows from before the rule)."""
    no_segment = Q(radiograph__body_region__in=SEGMENT_REQUIRED_REGIONS, segment="")
    no_digit = Q(
        radiograph__body_region__in=FOOT_OR_HAND_DIGIT,
        segment__in=DIGIT_SEGMENTS,
        digit__isnull=True,
    )
    return no_segment | no_digit


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
    for field, messages in site_errors(
        radiograph.body_region, lesion.digit, lesion.segment
    ).items():
        errors.setdefault(field, []).extend(messages)
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
        add_error(errors, "notes", FINDING_NOT_DESCRIBED)
    if (
        finding.digit is not None
        and finding.radiograph_id
        and (finding.radiograph.body_region not in FOOT_OR_HAND_DIGIT)
    ):
        add_error(errors, "digit", DIGIT_OUTSIDE_HAND)
    return errors
