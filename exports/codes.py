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
# WHO ATC, the system URI HL7 Terminology registers (CodeSystem v3-WC, OID 2.16.840.1.113883.6.73).
ATC = "http://www.whocc.no/atc"
# The registry's own vocabulary of radiographic findings (imaging.choices.Finding): no published
# code was verified for these findings, so the code is the registry value with its label.
REGISTRY_FINDING = "urn:calcinosis-registry:imaging.choices.Finding"
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

# Calcinosis treatments (patients.choices.Treatment). Drugs by WHO ATC code, checked against the
# WHOCC ATC/DDD index (atcddd.fhi.no) or, where the index page was not at hand, against two
# independent listings of the index (rxreasoner.com ATC tree; national SmPCs): diltiazem
# C08DB01, colchicine M04AC01, minocycline J01AA08 (systemic; A01AB23 is its oral-local use),
# warfarin B01AA03, rituximab L01FA01 (L01XC02 before 2022), sodium thiosulfate V03AB06
# ("thiosulfate", antidotes). A bisphosphonate is the class, 4th level M05BA (WHOCC index);
# IVIG is J06BA02 (normal human immunoglobulins for intravascular administration).
# Surgical excision: SNOMED CT 65801008 "Excision (procedure)", the general excision concept
# (the code of an excision of calcinosis was not verified). Extracorporeal shock-wave
# lithotripsy has no verified code: text only. "none" and "other" have no code.
TREATMENT_CODES = {
    "diltiazem": Code(ATC, "C08DB01", "diltiazem"),
    "bisphosphonate": Code(ATC, "M05BA", "Bisphosphonates"),
    "sodium_thiosulfate": Code(ATC, "V03AB06", "thiosulfate"),
    "colchicine": Code(ATC, "M04AC01", "colchicine"),
    "minocycline": Code(ATC, "J01AA08", "minocycline"),
    "low_dose_warfarin": Code(ATC, "B01AA03", "warfarin"),
    "ivig": Code(ATC, "J06BA02", "immunoglobulins, normal human, for intravascular adm."),
    "rituximab": Code(ATC, "L01FA01", "rituximab"),
    "surgical_excision": Code(SNOMED, "65801008", "Excision (procedure)"),
}
# Routes (patients.choices.TreatmentRoute), SNOMED CT route-of-administration values: topical
# 6064005 (FHIR ValueSet route-codes), intravenous 47625008, intralesional 372466002 (each in
# several published FHIR mappings; 372464004 is the intradermal route, not this one).
ROUTE_CODES = {
    "topical": Code(SNOMED, "6064005", "Topical route"),
    "intralesional": Code(SNOMED, "372466002", "Intralesional route"),
    "intravenous": Code(SNOMED, "47625008", "Intravenous route"),
}

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
        ATC: "ATC",
    }.get(system, system)


def describe(codes: dict) -> str:
    """``hand = SNOMED CT 85562004; ...`` for the data dictionary."""
    return "; ".join(
        f"{value} = {system_name(code.system)} {code.code}" for value, code in codes.items()
    )
