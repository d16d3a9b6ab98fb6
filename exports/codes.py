"""Code systems and the verified codes the exports use (DOMAIN.md, "Codes for exports"), and the
UCUM units of exported quantities. The FHIR mapping and the data dictionary both read these, so
a code is written down once.

Concept ids that DOMAIN.md marks as not verified (limited and diffuse cutaneous SSc, calcinosis
cutis in SNOMED CT, a LOINC code for a right-hand radiograph, a code for the modified Rodnan
skin score) are deliberately absent: those concepts are exported as text. Verified codes that
would misstate a fact are not used either: ICD-10 M34.0 names a disease course the registry does
not record, SNOMED CT 18115005 (pathologic calcification) is a morphology, not a condition or an
observable, and 195295006 is primary Raynaud's disease, not the phenomenon of SSc.
"""

from __future__ import annotations

from typing import NamedTuple

SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
DICOM_DCM = "http://dicom.nema.org/resources/ontology/DCM"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


class Code(NamedTuple):
    system: str
    code: str
    display: str

    def coding(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}


# SNOMED CT (DOMAIN.md).
SYSTEMIC_SCLEROSIS = Code(SNOMED, "89155008", "Systemic sclerosis")
HAND = Code(SNOMED, "85562004", "Hand structure")
THUMB = Code(SNOMED, "76505004", "Thumb structure")
FINGER = Code(SNOMED, "7569003", "Finger structure")
LEFT = Code(SNOMED, "7771000", "Left")
RIGHT = Code(SNOMED, "24028007", "Right")
PLAIN_RADIOGRAPHY = Code(SNOMED, "168537006", "Plain radiography")

# ICD-10 (WHO), chapter XIII M30-M36 and chapter XII L94.
ICD10_CREST = Code(ICD10, "M34.1", "CR(E)ST syndrome")
ICD10_OTHER_SSC = Code(ICD10, "M34.8", "Other forms of systemic sclerosis")
ICD10_SSC_UNSPECIFIED = Code(ICD10, "M34.9", "Systemic sclerosis, unspecified")
ICD10_CALCINOSIS_CUTIS = Code(ICD10, "L94.2", "Calcinosis cutis")

# LOINC radiology codes (DOMAIN.md): only the left hand has a verified code.
LOINC_XR_HAND_LEFT = Code(LOINC, "36630-2", "XR Hand - left Views")

# Body sites by registry value (imaging.choices.BodyRegion / Side / Digit).
REGION_CODES = {"hand": HAND}
SIDE_CODES = {"left": LEFT, "right": RIGHT}
DIGIT_CODES = {1: THUMB, 2: FINGER, 3: FINGER, 4: FINGER, 5: FINGER}

# UCUM units of exported quantities (https://ucum.org): annotations in braces are unity.
MM = "mm"
MM2 = "mm2"
YEARS = "a"
DAYS = "d"
PER_DAY = "/d"
SCORE = "{score}"
COUNT = "{count}"
MM_PER_YEAR = "mm/a"
UNIT_DISPLAY = {
    MM: "mm",
    MM2: "mm²",
    YEARS: "years",
    DAYS: "days",
    PER_DAY: "per day",
    SCORE: "score",
    COUNT: "count",
    MM_PER_YEAR: "mm per year",
}


def system_name(system: str) -> str:
    return {
        SNOMED: "SNOMED CT",
        ICD10: "ICD-10",
        LOINC: "LOINC",
        UCUM: "UCUM",
        DICOM_DCM: "DICOM",
    }.get(system, system)


def describe(codes: dict) -> str:
    """``hand = SNOMED CT 85562004; ...`` for the data dictionary."""
    return "; ".join(
        f"{value} = {system_name(code.system)} {code.code}" for value, code in codes.items()
    )
