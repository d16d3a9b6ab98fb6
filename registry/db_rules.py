"""One table of human messages for the database's rules (STYLE.md habit 13).

Every check and unique constraint of the patients and imaging models, and every cross-table
trigger of migration imaging 0002, has one row here: the field it concerns and the sentence a
person reads. The constraints take their ``violation_error_message`` from this table
(:func:`with_messages`), so ``full_clean`` (services, clinic forms, admin) says it; models
that mix in :class:`RuleFieldsMixin` put it next to that field instead of above the form; the
API's exception handler and :func:`registry.db.save_validated` turn an integrity error that slipped
past validation into the same message (:func:`rule_violated`). The validation modules reuse
these sentences where they check the same rule, so every path says the same thing.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, router
from django.db.models import BaseConstraint


class Rule(NamedTuple):
    field: str
    message: str


ANTIBODY_CHOICE = "Choose positive, negative or unknown."
ONSET_AFTER_DIAGNOSIS = "The onset cannot be after the diagnosis date."
ONSET_PRECISION = "Give the onset as YYYY, YYYY-MM or YYYY-MM-DD."
ANTIBODY_FIELDS = (
    "antibody_aca",
    "antibody_scl70",
    "antibody_rnap3",
    "antibody_u1rnp",
    "antibody_pmscl",
    "antibody_thto",
    "antibody_u3rnp",
)

RULES: dict[str, Rule] = {
    # patients.Patient
    "patient_local_id_unique_per_center": Rule(
        "local_id", "Another patient of this center has this local identifier."
    ),
    "patient_local_id_required": Rule("local_id", "Give the local identifier (MRN)."),
    "patient_sex_valid": Rule("sex", "Choose female, male, other or unknown."),
    "patient_subtype_valid": Rule("ssc_subtype", "Choose an SSc subtype from the list."),
    **{f"patient_{field}_valid": Rule(field, ANTIBODY_CHOICE) for field in ANTIBODY_FIELDS},
    "patient_raynaud_onset_not_after_diagnosis": Rule("raynaud_onset", ONSET_AFTER_DIAGNOSIS),
    "patient_first_onset_not_after_diagnosis": Rule(
        "first_non_raynaud_onset", ONSET_AFTER_DIAGNOSIS
    ),
    "patient_diagnosis_not_before_birth": Rule(
        "diagnosis_date", "The diagnosis date cannot be before the patient's birth."
    ),
    "patient_raynaud_onset_precision": Rule("raynaud_onset", ONSET_PRECISION),
    "patient_first_onset_precision": Rule("first_non_raynaud_onset", ONSET_PRECISION),
    "patient_score_range": Rule(
        "acr_eular_2013_score", "The ACR/EULAR 2013 score must be between 0 and 28."
    ),
    # patients.SubtypeAssessment
    "subtype_one_per_day": Rule(
        "assessed_on", "This patient already has a subtype assessment on this date."
    ),
    "subtype_valid": Rule("subtype", "Choose an SSc subtype from the list."),
    # patients.Visit
    "visit_unique_type_per_day": Rule(
        "date", "This patient already has a visit of this type on this date."
    ),
    "visit_one_baseline": Rule("visit_type", "This patient already has a baseline visit."),
    "visit_type_valid": Rule("visit_type", "Choose baseline, follow-up or unscheduled."),
    "visit_mrss_range": Rule("mrss_total", "The mRSS total must be between 0 and 51."),
    "visit_pain_nrs_range": Rule(
        "calcinosis_pain_nrs", "Calcinosis pain (NRS) must be between 0 and 10."
    ),
    "visit_pain_vas_range": Rule(
        "calcinosis_pain_vas_mm", "Calcinosis pain (VAS) must be between 0 and 100 mm."
    ),
    "visit_chfs_range": Rule(
        "chfs_total", "The Cochin Hand Function Scale total must be between 0 and 90."
    ),
    "visit_digital_ulcers_range": Rule(
        "digital_ulcer_count", "The number of digital ulcers must be between 0 and 50."
    ),
    "visit_raynaud_range": Rule(
        "raynaud_attacks_per_day", "Raynaud attacks per day must be between 0 and 100."
    ),
    "visit_mrss_sites_give_total": Rule(
        "mrss_total", "Give the mRSS total with the site scores (it is their sum)."
    ),
    # patients.CalcinosisTreatment
    "treatment_valid": Rule("treatment", "Choose a treatment from the list."),
    "treatment_stop_after_start": Rule(
        "stopped_on", "The stop date cannot be before the start date."
    ),
    "treatment_route_only_thiosulfate": Rule(
        "route", "A route is recorded for sodium thiosulfate only."
    ),
    "treatment_other_named": Rule("other_text", "Name the treatment."),
    "treatment_dose_complete": Rule(
        "dose_amount", "Give the dose as an amount above 0 with its unit, or neither."
    ),
    "treatment_dose_frequency_valid": Rule(
        "dose_frequency", "Choose a dose frequency from the list."
    ),
    "treatment_none_has_no_dose": Rule(
        "dose_amount", "No dose or frequency is recorded for \"none\"."
    ),
    # imaging.Radiograph
    "radiograph_region_valid": Rule("body_region", "Choose a body region from the list."),
    "radiograph_laterality_valid": Rule("laterality", "Choose left, right or bilateral."),
    "radiograph_view_valid": Rule("view", "Choose a view from the list."),
    "radiograph_spacing_complete_and_positive": Rule(
        "pixel_spacing_mm",  # the pair, as validation and the API name it
        "Give both row and column spacing (mm per pixel, > 0 and at most 10) and their source.",
    ),
    "radiograph_sop_instance_uid_unique_per_patient": Rule(
        "sop_instance_uid", "This patient already has this DICOM image (same SOP Instance UID)."
    ),
    # imaging.RadiographicFinding
    "finding_valid": Rule("finding", "Choose a finding from the list."),
    "finding_digit_range": Rule("digit", "The digit must be 1 (thumb) to 5 (little finger)."),
    "finding_segment_valid": Rule("segment", "Choose a segment from the list."),
    "finding_joint_valid": Rule("joint", "Choose a joint from the list."),
    "finding_other_described": Rule("notes", "Describe the finding."),
    # imaging.LesionTrack
    "track_region_valid": Rule("body_region", "Choose a body region from the list."),
    "track_laterality_valid": Rule("laterality", "Choose left or right."),
    "track_digit_range": Rule("digit", "The digit must be 1 (thumb) to 5 (little finger)."),
    "track_segment_valid": Rule("segment", "Choose a segment from the list."),
    "track_tissue_valid": Rule("tissue", "Choose a tissue plane from the list."),
    # imaging.CalcinosisLesion
    "lesion_longest_diameter_plausible": Rule(
        "longest_diameter_mm", "The longest diameter must be more than 0 mm and at most 300 mm."
    ),
    "lesion_perpendicular_not_longer": Rule(
        "perpendicular_diameter_mm",
        "The perpendicular diameter must be more than 0 mm and no longer than the longest "
        "diameter.",
    ),
    "lesion_laterality_valid": Rule("laterality", "Choose left or right."),
    "lesion_digit_range": Rule("digit", "The digit must be 1 (thumb) to 5 (little finger)."),
    "lesion_segment_valid": Rule("segment", "Choose a segment from the list."),
    "lesion_tissue_valid": Rule("tissue", "Choose a tissue plane from the list."),
    "lesion_density_valid": Rule("density", "Choose faint, dense or mixed."),
    "lesion_morphology_valid": Rule("morphology", "Choose stone, net or plate."),
    "lesion_track_assignment_consistent": Rule(
        "track", "A lesion with a track says who chose it (user or automatic); one without none."
    ),
    "lesion_pixel_measurement_has_points": Rule(
        "longest_axis_px",
        "A diameter measured on the image needs its end points and the spacing's source.",
    ),
    # imaging.DicomInstance (written by the DICOM pipeline only)
    "dicominstance_sop_instance_uid_unique_per_center": Rule(
        "sop_instance_uid", "This center already received this DICOM image."
    ),
    "dicominstance_status_consistent": Rule(
        "status",
        "A matched image has its patient and radiograph and no reason; an unmatched one has a "
        "reason and no radiograph.",
    ),
    "dicominstance_via_valid": Rule("received_via", "Received through the API, CLI or SCP only."),
    "dicominstance_preview_status_valid": Rule(
        "preview_status", "The preview is pending, ready or failed."
    ),
    "dicominstance_spacing_complete": Rule(
        "pixel_spacing_row_mm", "Give both row and column spacing (> 0) and their source."
    ),
    "dicominstance_burned_in_review_complete": Rule(
        "burned_in_verdict", "A burned-in text review needs both its verdict and its date."
    ),
    # Cross-table triggers (migration imaging 0002): validation names the precise cause first.
    "lesion_matches_radiograph_and_track": Rule(
        "track",
        "The lesion's track must belong to the radiograph's patient, body region and side.",
    ),
    "visit_consistent_with_patient": Rule(
        "date",
        "A visit cannot be dated before the patient's birth, and its radiographs must be the "
        "same patient's.",
    ),
    "radiograph_consistent_with_patient": Rule(
        "acquired_on",
        "A radiograph cannot be dated before the patient's birth, must belong to the visit's "
        "patient, and must keep its lesions' side and tracks consistent.",
    ),
    "patient_birth_before_records": Rule(
        "birth_date", "The birth date cannot be later than the patient's visits or radiographs."
    ),
    "track_matches_its_lesions": Rule(
        "body_region",
        "A track's patient, body region and side must match its lesions' radiographs.",
    ),
}

# Longest first, so a name that contains another ("patient_subtype_valid" holds
# "subtype_valid") wins; a name counts only as a whole word of the error text.
_NAMES = re.compile(
    r"(?<![\w])(" + "|".join(sorted(map(re.escape, RULES), key=len, reverse=True)) + r")(?![\w])"
)


def rule_message(name: str) -> str:
    return RULES[name].message


def with_messages(constraints: list[BaseConstraint]) -> list[BaseConstraint]:
    """The constraints with their message and code (the rule's name) from :data:`RULES`.

    A constraint missing from the table fails at import, so no rule goes without a message.
    """
    named = []
    for constraint in constraints:
        rule = RULES[constraint.name]
        _path, args, kwargs = constraint.deconstruct()
        kwargs.update(violation_error_message=rule.message, violation_error_code=constraint.name)
        named.append(type(constraint)(*args, **kwargs))
    return named


class RuleFieldsMixin:
    """``validate_constraints`` that puts each rule's message next to its field (Django puts a
    check constraint's message above the whole form). A field the caller excluded (a form
    without that input) gets it above the form instead: a form has nowhere else to show it."""

    def validate_constraints(self, exclude=None) -> None:
        using = router.db_for_write(type(self), instance=self)
        fields = {field.name for field in self._meta.concrete_fields} - set(exclude or ())
        errors: dict[str, list[ValidationError]] = {}
        for model_class, constraints in self.get_constraints():
            for constraint in constraints:
                try:
                    constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as error:
                    rule = RULES.get(constraint.name)
                    field = rule.field if rule and rule.field in fields else NON_FIELD_ERRORS
                    errors.setdefault(field, []).extend(error.error_list)
        if errors:
            raise ValidationError(errors)


def rule_violated(error: IntegrityError) -> Rule | None:
    """The rule an integrity error comes from (a check or unique constraint, a trigger).

    PostgreSQL names the constraint in the error's diagnostics; a trigger raises its rule's name
    as the message; SQLite names check constraints in the text (not unique ones: None).
    """
    diag = getattr(error.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name in RULES:
        return RULES[name]
    found = _NAMES.search(str(error))
    return RULES[found.group(1)] if found else None
