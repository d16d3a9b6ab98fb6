"""Validation rules of patients and visits, called from the models' ``clean()``.

Every message names its field (ValidationError dicts), so the admin, the API and the CLI all show
the same error next to the right input. The database backs the same rules (constraints and the
cross-table triggers of imaging 0002), with the same sentences (registry.db_rules).
"""

from __future__ import annotations

from datetime import date
from decimal import InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone

from patients.mrss import mrss_site_errors, mrss_total
from patients.partial_dates import PartialDate
from registry.db_rules import rule_message

IN_FUTURE = "This date is in the future."
BEFORE_BIRTH = "This date is before the patient's birth ({birth})."
ONSET_ENDS_BEFORE_BIRTH = "This onset period ends before the patient's birth."
RAYNAUD_NOT_APPLICABLE_REASON = "Say why the criteria do not apply."
MRSS_TOTAL_MISMATCH = "The total must equal the sum of the 17 site scores ({total})."
# The rules the database checks too: the sentences of its one table (registry.db_rules).
ONSET_AFTER_DIAGNOSIS = rule_message("patient_first_onset_not_after_diagnosis")
DIAGNOSIS_BEFORE_BIRTH = rule_message("patient_diagnosis_not_before_birth")
STOP_BEFORE_START = rule_message("treatment_stop_after_start")
ROUTE_ONLY_THIOSULFATE = rule_message("treatment_route_only_thiosulfate")
NAME_OTHER_TREATMENT = rule_message("treatment_other_named")
DOSE_INCOMPLETE = rule_message("treatment_dose_complete")
NO_DOSE_FOR_NONE = rule_message("treatment_none_has_no_dose")
LOCAL_ID_TAKEN = rule_message("patient_local_id_unique_per_center")
VISIT_TAKEN = rule_message("visit_unique_type_per_day")
BASELINE_TAKEN = rule_message("visit_one_baseline")


def today() -> date:
    return timezone.localdate()


def raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def add_error(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def patient_errors(patient) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    now = today()
    birth = patient.birth_date
    if birth and birth > now:
        add_error(errors, "birth_date", IN_FUTURE)
    if patient.diagnosis_date:
        if patient.diagnosis_date > now:
            add_error(errors, "diagnosis_date", IN_FUTURE)
        if birth and patient.diagnosis_date < birth:
            add_error(errors, "diagnosis_date", DIAGNOSIS_BEFORE_BIRTH)
    for field in ("raynaud_onset", "first_non_raynaud_onset"):
        onset: PartialDate | None = patient.onset(field)
        if onset is None:
            continue
        if onset.start > now:
            add_error(errors, field, IN_FUTURE)
        if birth and onset.end() < birth:
            add_error(errors, field, ONSET_ENDS_BEFORE_BIRTH)
        if patient.diagnosis_date and onset.start > patient.diagnosis_date:
            add_error(errors, field, ONSET_AFTER_DIAGNOSIS)
    if (
        patient.center_id
        and patient.local_id
        and (
            type(patient)
            .objects.filter(center_id=patient.center_id, local_id=patient.local_id)
            .exclude(pk=patient.pk)
            .exists()
        )
    ):
        add_error(errors, "local_id", LOCAL_ID_TAKEN)
    if patient.not_applicable and not patient.not_applicable_reason.strip():
        add_error(errors, "not_applicable_reason", RAYNAUD_NOT_APPLICABLE_REASON)
    return errors


def dated_record_errors(field: str, value: date | None, patient) -> dict[str, list[str]]:
    """A visit's or radiograph's date: not in the future, not before birth."""
    errors: dict[str, list[str]] = {}
    if value is None:
        return errors
    if value > today():
        add_error(errors, field, IN_FUTURE)
    if patient is not None and patient.birth_date and value < patient.birth_date:
        add_error(errors, field, BEFORE_BIRTH.format(birth=patient.birth_date))
    return errors


def visit_errors(visit) -> dict[str, list[str]]:
    patient = visit.patient if visit.patient_id else None
    errors = dated_record_errors("date", visit.date, patient)
    if patient is not None:
        others = type(visit).objects.filter(patient=patient).exclude(pk=visit.pk)
        if visit.visit_type == "baseline" and others.filter(visit_type="baseline").exists():
            add_error(errors, "visit_type", BASELINE_TAKEN)
        elif others.filter(date=visit.date, visit_type=visit.visit_type).exists():
            add_error(errors, "date", VISIT_TAKEN)
    if visit.mrss_sites is not None:
        if not isinstance(visit.mrss_sites, dict):
            add_error(errors, "mrss_sites", "Give the 17 site scores as an object {site: score}.")
        else:
            for message in mrss_site_errors(visit.mrss_sites):
                add_error(errors, "mrss_sites", message)
            if "mrss_sites" not in errors:
                total = mrss_total(visit.mrss_sites)
                if visit.mrss_total is not None and visit.mrss_total != total:
                    add_error(errors, "mrss_total", MRSS_TOTAL_MISMATCH.format(total=total))
    return errors


def dose_errors(amount, unit: str) -> list[str]:
    """The fields to blame when a dose breaks "an amount above 0 with its unit, or neither": the
    missing half, or a zero or negative amount."""
    if amount is None:
        return ["dose_amount"] if unit else []
    try:
        fields = [] if amount > 0 else ["dose_amount"]
    except (TypeError, InvalidOperation):  # not a number: clean_fields names it
        return []
    return fields if unit else [*fields, "dose_unit"]


def treatment_errors(treatment) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if treatment.started_on and treatment.started_on > today():
        add_error(errors, "started_on", IN_FUTURE)
    if (
        treatment.stopped_on
        and treatment.started_on
        and treatment.stopped_on < treatment.started_on
    ):
        add_error(errors, "stopped_on", STOP_BEFORE_START)
    if treatment.route and treatment.treatment != "sodium_thiosulfate":
        add_error(errors, "route", ROUTE_ONLY_THIOSULFATE)
    if treatment.treatment == "other" and not treatment.other_text.strip():
        add_error(errors, "other_text", NAME_OTHER_TREATMENT)
    for field in dose_errors(treatment.dose_amount, treatment.dose_unit):
        add_error(errors, field, DOSE_INCOMPLETE)
    if treatment.treatment == "none" and "dose_amount" not in errors:
        for field in ("dose_amount", "dose_frequency"):
            if getattr(treatment, field) not in (None, ""):
                add_error(errors, field, NO_DOSE_FOR_NONE)
    if (
        treatment.visit_id
        and treatment.patient_id
        and treatment.visit.patient_id != treatment.patient_id
    ):
        add_error(errors, "visit", "The visit belongs to another patient.")
    return errors
