"""Issue #17 in FHIR: treatments as MedicationStatement (ATC) or Procedure, radiographic findings
as Observations with their body site, from the values set by hand in tests/exports/treated.py."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B import get_fhir_model_class

from exports.codes import ATC, ICD10, REGISTRY_FINDING, SNOMED, UCUM
from exports.formats.fhir.dictionary import fhir_dictionary_rows
from exports.formats.fhir.treatments import TIMING, dosage, procedure, treatment_resource
from patients.choices import DoseFrequency, Treatment
from tests.exports.conftest import run_export

LABELS = {
    "treatment": dict(Treatment.choices),
    "route": {"intralesional": "Intralesional"},
    "dose_frequency": dict(DoseFrequency.choices),
}
THIOSULFATE = {
    "patient": "P-anne", "treatment": "sodium_thiosulfate", "route": "intralesional",
    "dose_amount": 2.5, "dose_unit": "mL", "dose_frequency": "weekly",
    "started_on": "2020-03-01", "stopped_on": "2020-09-01",
}


def _lines(archive, kind: str) -> list[dict]:
    return [json.loads(line) for line in archive.read(f"{kind}.ndjson").decode().splitlines()]


def test_a_thiosulfate_treatment_is_a_medication_statement():
    resource = treatment_resource(THIOSULFATE, 1, LABELS)
    assert resource["id"] == "P-anne-tr1" and resource["status"] == "completed"
    assert resource["medicationCodeableConcept"] == {
        "text": "Sodium thiosulfate",
        "coding": [{"system": ATC, "code": "V03AB06", "display": "thiosulfate"}],
    }
    assert resource["effectivePeriod"] == {"start": "2020-03-01", "end": "2020-09-01"}
    assert resource["dosage"] == [{
        "text": "2.5 mL, intralesional, weekly",
        "doseAndRate": [{"doseQuantity": {"value": 2.5, "unit": "mL", "system": UCUM,
                                          "code": "mL"}}],
        "route": {"coding": [{"system": SNOMED, "code": "372466002",
                              "display": "Intralesional route"}], "text": "Intralesional"},
        "timing": {"code": {"text": "Weekly"},
                   "repeat": {"frequency": 1, "period": 1, "periodUnit": "wk"}},
    }]
    assert resource["reasonCode"][0]["coding"][0] == {
        "system": ICD10, "code": "L94.2", "display": "Calcinosis cutis"
    }
    get_fhir_model_class("MedicationStatement").model_validate(resource)


def test_an_ongoing_drug_is_active_and_none_or_other_is_no_resource():
    ongoing = {**THIOSULFATE, "treatment": "diltiazem", "route": "", "stopped_on": None,
               "dose_amount": 180.0, "dose_unit": "mg", "dose_frequency": "per_session"}
    resource = treatment_resource(ongoing, 2, LABELS)
    assert resource["status"] == "active" and resource["effectivePeriod"] == {
        "start": "2020-03-01"
    }
    assert resource["medicationCodeableConcept"]["coding"][0]["code"] == "C08DB01"
    assert resource["dosage"][0]["timing"] == {"code": {"text": "Per session"}}  # no period
    assert resource["dosage"][0]["text"] == "180 mg, per session"
    for kind in ("none", "other"):
        assert treatment_resource({**THIOSULFATE, "treatment": kind}, 3, LABELS) is None
    assert dosage({"dose_amount": None, "route": "", "dose_frequency": ""},
                  route_label="", frequency_label="") is None


def test_every_frequency_but_per_session_has_a_period():
    assert set(TIMING) == set(DoseFrequency.values) - {"per_session"}


@pytest.mark.parametrize(
    ("kind", "stop", "status", "performed"),
    [
        ("surgical_excision", None, "completed", {"performedDateTime": "2022-02-02"}),
        ("surgical_excision", "2022-02-02", "completed", {"performedDateTime": "2022-02-02"}),
        ("eswl", None, "in-progress", {"performedPeriod": {"start": "2022-02-02"}}),
        ("eswl", "2022-05-02", "completed",
         {"performedPeriod": {"start": "2022-02-02", "end": "2022-05-02"}}),
    ],
)
def test_procedures(kind, stop, status, performed):
    row = {"patient": "P-b", "treatment": kind, "started_on": "2022-02-02", "stopped_on": stop}
    resource = procedure(row, 4)
    assert resource["status"] == status
    assert {k: v for k, v in resource.items() if k.startswith("performed")} == performed
    coding = resource["code"].get("coding")
    if kind == "surgical_excision":
        assert coding == [{"system": SNOMED, "code": "65801008",
                           "display": "Excision (procedure)"}]
    else:
        assert coding is None  # no verified code for lithotripsy: text only
        assert resource["code"]["text"] == "Extracorporeal shock-wave lithotripsy of calcinosis"
    get_fhir_model_class("Procedure").model_validate(resource)


@pytest.mark.django_db
def test_exported_treatments_and_findings(treated, tmp_path):
    archive = run_export(tmp_path, level="all", format="fhir_ndjson", date_mode="keep")
    statements = _lines(archive, "MedicationStatement")
    thiosulfate = next(s for s in statements
                       if s["medicationCodeableConcept"]["text"] == "Sodium thiosulfate")
    assert thiosulfate["id"].endswith("-tr1")  # anne's first treatment
    assert thiosulfate["effectivePeriod"] == {"start": "2020-03-01", "end": "2020-09-01"}
    assert thiosulfate["dosage"][0]["text"] == "2.5 mL, intralesional, weekly"
    procedures = {p["code"]["text"]: p for p in _lines(archive, "Procedure")}
    excision = procedures["Surgical excision of calcinosis"]
    assert excision["id"].endswith("-tr3") and excision["performedDateTime"] == "2022-02-02"
    eswl = procedures["Extracorporeal shock-wave lithotripsy of calcinosis"]
    assert eswl["id"].endswith("-tr2")  # bruno's second row: "none" is the first
    assert eswl["status"] == "in-progress"
    findings = [o for o in _lines(archive, "Observation")
                if o["code"].get("coding", [{}])[0].get("system") == REGISTRY_FINDING]
    osteopenia = next(o for o in findings
                      if o["code"]["coding"][0]["code"] == "periarticular_osteopenia")
    assert osteopenia["code"]["coding"][0]["display"] == "Periarticular osteopenia"
    assert osteopenia["valueBoolean"] is True
    assert osteopenia["effectiveDateTime"] == "2014-01-10"
    assert osteopenia["bodySite"] == {
        "text": "left hand, digit 4, PIP joint",
        "coding": [{"system": SNOMED, "code": "7569003", "display": "Finger structure"}],
    }
    study = osteopenia["derivedFrom"][0]["reference"]
    assert study == f"ImagingStudy/{osteopenia['subject']['reference'][8:]}-r1"
    assert osteopenia["id"] == f"{study[13:]}-f1"
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["row_counts"]["MedicationStatement.ndjson"] == 3
    assert manifest["row_counts"]["Procedure.ndjson"] == 2


def test_the_fhir_dictionary_describes_them():
    variables = {row["variable"]: row for row in fhir_dictionary_rows()}
    drugs = variables["MedicationStatement.medicationCodeableConcept"]
    assert "ATC C08DB01 diltiazem" in drugs["code_system"]
    assert '"None" and "Other" are no resource' in drugs["description"]
    assert "SNOMED CT 372466002 Intralesional route" in (
        variables["MedicationStatement.dosage"]["code_system"]
    )
    assert variables["Procedure.code"]["code_system"] == "SNOMED CT 65801008 Excision (procedure)"
    assert REGISTRY_FINDING in variables["Observation[finding].code"]["code_system"]
