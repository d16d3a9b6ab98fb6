"""The data dictionary of a FHIR export: which resource element holds what, with its unit and
code system, generated from the same constants the mapping uses
(:mod:`exports.formats.fhir.resources`, :mod:`exports.codes`) and the model fields' names."""

from __future__ import annotations

from exports import codes
from exports.columns import BOOLEAN, CATEGORY, DATE, NUMBER, STRING, choices_text
from exports.dictionary import unit_text
from exports.formats.fhir.resources import GENDER, VISIT_OBSERVATIONS
from patients.choices import Sex
from patients.models import Visit


def _row(variable: str, label: str, kind: str, *, unit: str = "", allowed: str = "",
         system: str = "", description: str = "") -> dict[str, str]:
    return {
        "variable": variable,
        "label": label,
        "type": kind,
        "unit": unit_text(unit) if unit else "",
        "allowed_values": allowed,
        "code_system": system,
        "description": description,
        "import": "no",
    }


def _codes(*items: codes.Code) -> str:
    return "; ".join(f"{codes.system_name(c.system)} {c.code} {c.display}" for c in items)


def fhir_dictionary_rows() -> list[dict[str, str]]:
    rows = [
        _row("Patient.id", "patient pseudonym", STRING,
             description="Keyed hash of the registry id, specific to this export (or project)."),
        _row("Patient.gender", "sex", CATEGORY,
             allowed=choices_text((GENDER[value], label) for value, label in Sex.choices),
             system="FHIR administrative-gender"),
        _row("Patient.birthDate", "birth", DATE,
             description="The year when dates are kept, else the shifted date."),
        _row("Condition[ssc].code", "systemic sclerosis", CATEGORY,
             system=_codes(codes.SYSTEMIC_SCLEROSIS, codes.ICD10_CREST, codes.ICD10_OTHER_SSC,
                           codes.ICD10_SSC_UNSPECIFIED),
             description="SNOMED CT 89155008 always; ICD-10 M34.1 only for documented CR(E)ST "
             "(limited SSc with calcinosis, Raynaud's, sclerodactyly, telangiectasia), M34.9 "
             "when the subtype is undetermined, else M34.8; the subtype in code.text."),
        _row("Condition[ssc].onsetDateTime", "first non-Raynaud manifestation", DATE,
             description="As recorded (YYYY or YYYY-MM) when dates are kept; else the shifted "
             "midpoint of the period."),
        _row("Condition[calcinosis].code", "calcinosis cutis", CATEGORY,
             system=_codes(codes.ICD10_CALCINOSIS_CUTIS),
             description="Present when any calcinosis lesion is recorded."),
    ]
    for column, category, unit in VISIT_OBSERVATIONS:
        field = Visit._meta.get_field(column)
        rows.append(_row(
            f"Observation[{column}].value{'Quantity' if unit else 'Boolean'}",
            str(field.verbose_name), NUMBER if unit else BOOLEAN, unit=unit, system=codes.UCUM
            if unit else "", description=f"Visit observation, category {category}; the visit "
            "date is effectiveDateTime.",
        ))
    rows += [
        _row("Observation[lesion].component", "deposit diameters", NUMBER, unit=codes.MM,
             system=codes.UCUM, description="Longest and perpendicular diameter of one deposit "
             "on one radiograph (derivedFrom its ImagingStudy), morphology as text; bodySite "
             f"{_codes(codes.HAND, codes.THUMB, codes.FINGER)}."),
        _row("Observation[sld].valueQuantity", "sum of longest diameters (SLD)", NUMBER,
             unit=codes.MM, system=codes.UCUM,
             description="One region series at one timepoint; components: deposits observed "
             "({count}) and total area (mm2); interpretation.text: the series status."),
        _row("ImagingStudy.procedureCode", "plain radiography", CATEGORY,
             system=_codes(codes.PLAIN_RADIOGRAPHY, codes.LOINC_XR_HAND_LEFT),
             description="LOINC 36630-2 for a left hand only (no verified code for the right)."),
        _row("ImagingStudy.series", "the radiograph", STRING,
             system=f"{_codes(codes.HAND, codes.LEFT, codes.RIGHT)}; DICOM modality",
             description="One series of one image; UIDs generated per export (2.25.<n>)."),
    ]
    return rows
