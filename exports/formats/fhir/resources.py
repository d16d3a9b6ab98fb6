"""FHIR R4 resources of an export, built from exported rows (pure: plain dicts in and out).

Resource ids derive from the patient pseudonym and the export's ordinals (``P-…-r3`` is the
patient's third radiograph), so every reference resolves inside the export and nothing of the
registry's own ids or DICOM UIDs leaves. Codes: :mod:`exports.codes` (verified ones only; the
rest is text). Units: UCUM.

ICD-10 for SSc is chosen conservatively (:func:`ssc_icd10`): M34.1 (CR(E)ST syndrome) only when
the registry documents it — limited cutaneous SSc with calcinosis, Raynaud's phenomenon,
sclerodactyly and telangiectasia recorded (the E, oesophageal dysmotility, is in parentheses in
ICD-10 and is not recorded here); M34.0 ("progressive" SSc) is never used, because the registry
does not record the disease course it names; any other recorded subtype is M34.8 (other forms)
and an undetermined one M34.9 (unspecified). The subtype itself travels as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from exports import codes

PSEUDONYMIZED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "PSEUDED",
    "display": "pseudonymized",
}
GENDER = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}
# A birth generalized to a 5-year band (exports.disclosure) has no FHIR date: the element is
# absent for privacy (R4 data-absent-reason extension, code "masked").
BIRTH_MASKED = {
    "extension": [{
        "url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
        "valueCode": "masked",
    }]
}
LIMITED = "limited_cutaneous"
UNDETERMINED = "undetermined"

Row = Mapping[str, Any]


def fhir_id(*parts: object) -> str:
    """A FHIR id ([A-Za-z0-9-.], at most 64 characters) from export values."""
    text = "-".join(str(part).replace("_", "-") for part in parts)
    if len(text) > 64:
        raise ValueError(f"FHIR id too long: {text!r}")
    return text


def reference(resource_type: str, resource_id: str) -> dict[str, str]:
    return {"reference": f"{resource_type}/{resource_id}"}


def fhir_date(value: date | int | str | None) -> str | None:
    """``1960`` (a birth year), ``2023-03-15``; None stays None."""
    if value is None:
        return None
    if isinstance(value, int):
        return f"{value:04d}"
    return value.isoformat() if isinstance(value, date) else str(value)


def partial_date(value: date | str | None, precision: str, *, exact: bool) -> str | None:
    """A partial onset as FHIR allows it (``2013``, ``2013-03``) when dates are kept (``exact``);
    shifted dates are full dates (the midpoint, shifted)."""
    text = fhir_date(value)
    if text is None or not exact:
        return text
    return {"year": text[:4], "month": text[:7]}.get(precision, text)


def quantity(value: float | int, unit: str) -> dict[str, Any]:
    return {
        "value": value,
        "unit": codes.UNIT_DISPLAY.get(unit, unit),
        "system": codes.UCUM,
        "code": unit,
    }


def category(code: str) -> list[dict]:
    return [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": code}]}]


def resource_meta() -> dict:
    return {"security": [PSEUDONYMIZED]}


def patient_resource(row: Row) -> dict:
    birth = row.get("birth_year", row.get("birth_date"))
    resource = {
        "resourceType": "Patient",
        "id": row["patient"],
        "meta": resource_meta(),
        "gender": GENDER.get(row["sex"], "unknown"),
    }
    if birth is not None:
        resource["birthDate"] = fhir_date(birth)
    elif row.get("birth_year_band") is not None:
        resource["_birthDate"] = BIRTH_MASKED
    return resource


def ssc_icd10(row: Row) -> codes.Code:
    """See the module docstring: conservative, documented CR(E)ST only."""
    crest = all(
        row.get(item)
        for item in ("has_calcinosis", "raynaud_phenomenon", "sclerodactyly", "telangiectasia")
    )
    if row["ssc_subtype"] == LIMITED and crest:
        return codes.ICD10_CREST
    if row["ssc_subtype"] == UNDETERMINED:
        return codes.ICD10_SSC_UNSPECIFIED
    return codes.ICD10_OTHER_SSC


def ssc_condition(row: Row, subtype_label: str, *, exact_dates: bool) -> dict:
    resource = {
        "resourceType": "Condition",
        "id": fhir_id(row["patient"], "ssc"),
        "meta": resource_meta(),
        "code": {
            "coding": [codes.SYSTEMIC_SCLEROSIS.coding(), ssc_icd10(row).coding()],
            "text": f"Systemic sclerosis, {subtype_label.lower()}",
        },
        "subject": reference("Patient", row["patient"]),
    }
    onset = partial_date(
        row.get("first_non_raynaud_onset"),
        row.get("first_non_raynaud_onset_precision", ""),
        exact=exact_dates,
    )
    if onset:
        resource["onsetDateTime"] = onset
    return resource


def calcinosis_condition(row: Row) -> dict:
    """Calcinosis cutis (ICD-10 L94.2); its SNOMED CT concept was not verified: text."""
    return {
        "resourceType": "Condition",
        "id": fhir_id(row["patient"], "calcinosis"),
        "meta": resource_meta(),
        "code": {
            "coding": [codes.ICD10_CALCINOSIS_CUTIS.coding()],
            "text": "Calcinosis cutis in systemic sclerosis",
        },
        "subject": reference("Patient", row["patient"]),
    }


def _observation(resource_id: str, row: Row, when: Any, kind: str, text: str) -> dict:
    resource = {
        "resourceType": "Observation",
        "id": resource_id,
        "meta": resource_meta(),
        "status": "final",
        "category": category(kind),
        "code": {"text": text},
        "subject": reference("Patient", row["patient"]),
    }
    if when is not None:
        resource["effectiveDateTime"] = fhir_date(when)
    return resource


# Visit measures: (column, category, UCUM unit or "" for a yes/no value).
VISIT_OBSERVATIONS = (
    ("mrss_total", "exam", codes.SCORE),
    ("calcinosis_pain_nrs", "survey", codes.SCORE),
    ("calcinosis_pain_vas_mm", "survey", codes.MM),
    ("chfs_total", "survey", codes.SCORE),
    ("digital_ulcer_count", "exam", codes.COUNT),
    ("raynaud_attacks_per_day", "survey", codes.PER_DAY),
    ("ulceration", "exam", ""),
    ("infection", "exam", ""),
    ("drainage", "exam", ""),
)


MRSS_OBSERVATION = "mrss_total"  # its components: the site scores, when recorded


def mrss_components(row: Row, sites: Mapping[str, str]) -> list[dict]:
    """The recorded site scores of the mRSS (``sites``: column -> label naming the site). No
    LOINC or SNOMED CT code for the mRSS or its sites was verified (exports.codes): text only."""
    return [
        {"code": {"text": label}, "valueQuantity": quantity(row[column], codes.SCORE)}
        for column, label in sites.items()
        if row.get(column) is not None
    ]


def visit_observations(
    row: Row, number: int, labels: Mapping[str, str], sites: Mapping[str, str]
) -> list[dict]:
    """One Observation per recorded measure of a visit (``labels``: the fields' names), the
    mRSS with its site scores as components."""
    resources = []
    for column, kind, unit in VISIT_OBSERVATIONS:
        value = row.get(column)
        if value is None:
            continue
        resource = _observation(
            fhir_id(row["patient"], f"v{number}", column), row, row["visit_date"], kind,
            labels[column],
        )
        if unit:
            resource["valueQuantity"] = quantity(value, unit)
        else:
            resource["valueBoolean"] = bool(value)
        components = mrss_components(row, sites) if column == MRSS_OBSERVATION else []
        if components:
            resource["component"] = components
        resources.append(resource)
    return resources


def study_id(row: Row) -> str:
    return fhir_id(row["patient"], f"r{row['radiograph_number']}")


def imaging_study(row: Row, *, study_uid: str, series_uid: str, view_label: str) -> dict:
    """One radiograph as an ImagingStudy with one series of one image (plain radiography,
    SNOMED CT 168537006; a left hand also LOINC 36630-2)."""
    region, side = row["body_region"], row["laterality"]
    procedure = [codes.PLAIN_RADIOGRAPHY.coding()]
    if region == "hand" and side == "left":
        procedure.append(codes.LOINC_XR_HAND_LEFT.coding())
    series: dict[str, Any] = {
        "uid": series_uid,
        "number": 1,
        # (0008,0060) Modality when the image came as DICOM; OT (other) when entered by hand.
        "modality": {"system": codes.DICOM_DCM, "code": row.get("modality") or "OT"},
        "description": f"{side} {region}, {view_label}",
        "numberOfInstances": 1,
    }
    if region in codes.REGION_CODES:
        series["bodySite"] = codes.REGION_CODES[region].coding()
    if side in codes.SIDE_CODES:
        series["laterality"] = codes.SIDE_CODES[side].coding()
    resource = {
        "resourceType": "ImagingStudy",
        "id": study_id(row),
        "meta": resource_meta(),
        "identifier": [{"system": "urn:dicom:uid", "value": f"urn:oid:{study_uid}"}],
        "status": "available",
        "subject": reference("Patient", row["patient"]),
        "numberOfSeries": 1,
        "numberOfInstances": 1,
        "procedureCode": [{"coding": procedure, "text": f"XR {side} {region}"}],
        "series": [series],
    }
    started = fhir_date(row.get("acquired_on"))
    if started:
        resource["started"] = started
    return resource


def _body_site(region: str, side: str, digit: int | None, detail: str) -> dict:
    coding = []
    if digit in codes.DIGIT_CODES and region in ("hand", "wrist"):
        coding.append(codes.DIGIT_CODES[digit].coding())
    elif region in codes.REGION_CODES:
        coding.append(codes.REGION_CODES[region].coding())
    site = {"text": ", ".join(part for part in (f"{side} {region}", detail) if part)}
    if coding:
        site["coding"] = coding
    return site


def lesion_observation(row: Row, number: int) -> dict:
    """A deposit's diameters (mm) on one radiograph, derived from that ImagingStudy."""
    digit = row.get("digit")
    detail = ", ".join(
        str(part).replace("_", " ")
        for part in (f"digit {digit}" if digit else "", row.get("segment"), row.get("tissue"))
        if part
    )
    resource = _observation(
        fhir_id(study_id(row), f"l{number}"), row, row.get("acquired_on"), "imaging",
        "Calcinosis deposit diameters on a radiograph",
    )
    resource["bodySite"] = _body_site(row["body_region"], row["laterality"], digit, detail)
    resource["derivedFrom"] = [reference("ImagingStudy", study_id(row))]
    components = [
        {"code": {"text": "Longest diameter"}, "valueQuantity": quantity(
            row["longest_diameter_mm"], codes.MM)}
    ]
    if row.get("perpendicular_diameter_mm") is not None:
        components.append(
            {"code": {"text": "Perpendicular diameter"}, "valueQuantity": quantity(
                row["perpendicular_diameter_mm"], codes.MM)}
        )
    if row.get("morphology"):
        components.append(
            {"code": {"text": "Morphology (Florence classes)"},
             "valueCodeableConcept": {"text": row["morphology"]}}
        )
    resource["component"] = components
    return resource


def finding_observation(row: Row, number: int, *, finding_label: str, joint_label: str) -> dict:
    """A radiographic finding other than calcinosis, present at its site on one radiograph
    (derived from that ImagingStudy). No published code was verified for these findings: the
    code is the registry's value with its label (codes.REGISTRY_FINDING)."""
    digit = row.get("digit")
    detail = ", ".join(
        part
        for part in (
            f"digit {digit}" if digit else "",
            (row.get("segment") or "").replace("_", " "),
            f"{joint_label} joint" if joint_label else "",
        )
        if part
    )
    resource = _observation(
        fhir_id(study_id(row), f"f{number}"), row, row.get("acquired_on"), "imaging",
        finding_label,
    )
    resource["code"] = {
        "coding": [
            {"system": codes.REGISTRY_FINDING, "code": row["finding"], "display": finding_label}
        ],
        "text": finding_label,
    }
    resource["valueBoolean"] = True
    resource["bodySite"] = _body_site(
        row["body_region"], row["radiograph_laterality"], digit, detail
    )
    resource["derivedFrom"] = [reference("ImagingStudy", study_id(row))]
    return resource


def sld_observation(row: Row) -> dict:
    """A region series at one timepoint: SLD (mm) with lesion count, area and status."""
    resource = _observation(
        fhir_id(row["patient"], row["body_region"], row["laterality"],
                f"t{row['timepoint_number']}"),
        row, row.get("timepoint_date"), "imaging",
        "Sum of longest diameters of calcinosis deposits (SLD)",
    )
    resource["bodySite"] = _body_site(row["body_region"], row["laterality"], None, "")
    resource["valueQuantity"] = quantity(row["sum_longest_diameter_mm"], codes.MM)
    resource["interpretation"] = [{"text": row["status"]}]
    resource["component"] = [
        {"code": {"text": "Deposits observed"},
         "valueQuantity": quantity(row["lesion_count"], codes.COUNT)},
        {"code": {"text": "Total deposit area"},
         "valueQuantity": quantity(row["total_area_mm2"], codes.MM2)},
    ]
    return resource
