"""The data dictionary of a FHIR export: which resource element holds what, with its unit and
code system, generated from the same constants the mapping uses
(:mod:`exports.formats.fhir.resources`, :mod:`exports.codes`) and the model fields' names."""

from __future__ import annotations

from exports import codes
from exports.clinical_columns import mrss_site_columns
from exports.columns import BOOLEAN, CATEGORY, DATE, INTEGER, NUMBER, STRING, choices_text
from exports.dictionary import unit_text
from exports.formats.fhir.resources import GENDER, MRSS_OBSERVATION, VISIT_OBSERVATIONS
from exports.formats.fhir.treatments import NOT_A_RESOURCE, PROCEDURES, TIMING
from imaging.choices import Finding
from patients.choices import DoseFrequency, DoseUnit, Sex, Treatment
from patients.models import Visit
from patients.mrss import MRSS_SITE_MAX


def _row(variable: str, label: str, kind: str, *, unit: str = "", allowed: str = "",
         system: str = "", description: str = "", quasi: bool = False) -> dict[str, str]:
    return {
        "variable": variable,
        "label": label,
        "type": kind,
        "unit": unit_text(unit) if unit else "",
        "allowed_values": allowed,
        "code_system": system,
        "description": description,
        "import": "no",
        "quasi_identifier": "yes" if quasi else "no",
    }


def _codes(*items: codes.Code) -> str:
    return "; ".join(f"{codes.system_name(c.system)} {c.code} {c.display}" for c in items)


def fhir_dictionary_rows() -> list[dict[str, str]]:
    rows = [
        _row("Patient.id", "patient pseudonym", STRING,
             description="Keyed hash of the registry id, specific to this export (or project). "
             "Consent stays out of FHIR: no Consent resource, and not the consent dates of the "
             "tabular patients file (consent_<scope>_date)."),
        _row("Patient.gender", "sex", CATEGORY,
             allowed=choices_text((GENDER[value], label) for value, label in Sex.choices),
             system="FHIR administrative-gender", quasi=True),
        _row("Patient.birthDate", "birth", DATE, quasi=True,
             description="The year when dates are kept, else the shifted date. Absent, with "
             "the data-absent-reason extension \"masked\" on _birthDate, when the export "
             "generalized it to a 5-year band (the manifest's re_identification)."),
        _row("Condition[ssc].code", "systemic sclerosis", CATEGORY,
             system=_codes(codes.SYSTEMIC_SCLEROSIS, codes.ICD10_CREST, codes.ICD10_OTHER_SSC,
                           codes.ICD10_SSC_UNSPECIFIED),
             quasi=True,
             description="SNOMED CT 89155008 always; ICD-10 M34.1 only for documented CR(E)ST "
             "(limited SSc with calcinosis, Raynaud's, sclerodactyly, telangiectasia), M34.9 "
             "when the subtype is undetermined, else M34.8; the subtype in code.text."),
        _row("Condition[ssc].onsetDateTime", "first non-Raynaud manifestation", DATE,
             quasi=True,
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
        _row(f"Observation[{MRSS_OBSERVATION}].component[{site.name}].valueQuantity",
             site.label, INTEGER, unit=codes.SCORE, allowed=f"0-{MRSS_SITE_MAX}",
             system=codes.UCUM,
             description="One site score of the mRSS observation; component.code.text names "
             "the site (no verified LOINC or SNOMED CT code: text only). All 17 components, or "
             "none when only the total was recorded.")
        for site in mrss_site_columns()
    ]
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
        *_treatment_rows(),
        _row("Observation[finding].code", "radiographic finding", CATEGORY,
             allowed=choices_text(Finding.choices),
             system=f"{codes.REGISTRY_FINDING} (registry vocabulary imaging.choices.Finding)",
             description="A finding other than calcinosis on one radiograph (derivedFrom its "
             "ImagingStudy; effectiveDateTime its date; valueBoolean true: present); the code "
             "is the registry value with its label (no published code verified); bodySite "
             f"{_codes(codes.HAND, codes.THUMB, codes.FINGER)}, with digit, segment and joint "
             "in its text. The notes of a finding never leave (\"other\" is not described)."),
    ]
    return rows


def _treatment_rows() -> list[dict[str, str]]:
    labels = dict(Treatment.choices)
    drugs = [code for value, code in codes.TREATMENT_CODES.items() if value not in PROCEDURES]
    skipped = " and ".join(f"\"{labels[value]}\"" for value in NOT_A_RESOURCE)
    return [
        _row("MedicationStatement.medicationCodeableConcept", "calcinosis treatment (drug)",
             CATEGORY, system=_codes(*drugs),
             description="One drug treatment from its start to its stop date "
             "(effectivePeriod; status completed once a stop date is recorded, else active); "
             f"reasonCode ICD-10 {codes.ICD10_CALCINOSIS_CUTIS.code}. A bisphosphonate is its "
             f"ATC class. {skipped} are no resource (free text never leaves; FHIR R4 has no "
             "statement of no treatment): the treatments file of the tabular formats holds "
             "them."),
        _row("MedicationStatement.dosage", "route, dose and frequency", NUMBER,
             allowed=choices_text(DoseUnit.choices),
             system=f"route {_codes(*codes.ROUTE_CODES.values())}; dose UCUM",
             description="As recorded: route (sodium thiosulfate), doseAndRate.doseQuantity "
             "(UCUM unit), timing (its text always; Timing.repeat for "
             f"{', '.join(DoseFrequency(value).label.lower() for value in TIMING)}); the same "
             "in words in dosage.text."),
        _row("Procedure.code", "calcinosis treatment (procedure)", CATEGORY,
             system=_codes(codes.TREATMENT_CODES["surgical_excision"]),
             description=f"{'; '.join(PROCEDURES.values())}. Lithotripsy has no verified code "
             "(text only). performedDateTime for an excision or a one-day treatment, "
             "performedPeriod otherwise (status in-progress while no stop date is recorded). "
             "No dose."),
    ]
