"""FHIR R4 Bulk Data output: every resource validates with fhir.resources' R4B models, and every
reference resolves inside the export."""

import json

import pytest
from django.core.exceptions import ValidationError
from fhir.resources.R4B import get_fhir_model_class

from exports.codes import ICD10, REGISTRY_FINDING, SNOMED, UCUM
from exports.formats.fhir.ndjson import RESOURCE_TYPES
from exports.formats.fhir.resources import ssc_icd10
from exports.runner import ExportSpec
from exports.services import export_check
from tests.exports.conftest import run_export

pytestmark = pytest.mark.django_db


def _resources(archive) -> dict[str, list[dict]]:
    found = {}
    for name in RESOURCE_TYPES:
        lines = archive.read(f"{name}.ndjson").decode().splitlines()
        found[name] = [json.loads(line) for line in lines]
    return found


def _references(value):
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            yield value["reference"]
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def assert_valid_and_resolved(resources: dict[str, list[dict]]) -> None:
    """Every resource validates with its R4B model; ids are unique; every reference resolves."""
    ids = set()
    for kind, items in resources.items():
        model = get_fhir_model_class(kind)
        for item in items:
            assert item["resourceType"] == kind
            model.model_validate(item)  # raises on any invalid element
            ids.add(f"{kind}/{item['id']}")
    assert len(ids) == sum(len(items) for items in resources.values())  # ids are unique
    references = {ref for items in resources.values() for ref in _references(items)}
    assert references and references <= ids


@pytest.mark.parametrize("date_mode", ["keep", "shift"])
def test_every_resource_validates_and_every_reference_resolves(cohort, tmp_path, date_mode):
    archive = run_export(tmp_path, level="patients", format="fhir_ndjson", date_mode=date_mode)
    resources = _resources(archive)
    assert_valid_and_resolved(resources)
    assert len(resources["Patient"]) == 3
    assert len(resources["ImagingStudy"]) == 4
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["row_counts"]["Patient.ndjson"] == 3


@pytest.mark.parametrize("date_mode", ["keep", "shift"])
def test_treatments_and_findings_validate_and_resolve(treated, tmp_path, date_mode):
    """Issue #17: MedicationStatement, Procedure and the findings' Observations validate too."""
    archive = run_export(tmp_path, level="all", format="fhir_ndjson", date_mode=date_mode)
    resources = _resources(archive)
    assert_valid_and_resolved(resources)
    assert len(resources["MedicationStatement"]) == 3  # thiosulfate, diltiazem, colchicine
    assert len(resources["Procedure"]) == 2  # excision, lithotripsy; none and other: no resource
    findings = [o for o in resources["Observation"]
                if o["code"].get("coding", [{}])[0].get("system") == REGISTRY_FINDING]
    assert len(findings) == 3


def test_conditions_use_the_verified_codes(cohort, tmp_path):
    resources = _resources(run_export(tmp_path, level="patients", format="fhir_ndjson"))
    ssc = [c for c in resources["Condition"] if c["id"].endswith("-ssc")]
    codes = {
        c["code"]["text"]: {(coding["system"], coding["code"]) for coding in c["code"]["coding"]}
        for c in ssc
    }
    assert codes["Systemic sclerosis, limited cutaneous"] == {
        (SNOMED, "89155008"), (ICD10, "M34.1"),  # anne: C, R, S, T documented
    }
    assert codes["Systemic sclerosis, diffuse cutaneous"] == {
        (SNOMED, "89155008"), (ICD10, "M34.8"),
    }
    calcinosis = [c for c in resources["Condition"] if c["id"].endswith("-calcinosis")]
    assert len(calcinosis) == 2
    assert calcinosis[0]["code"]["coding"][0]["code"] == "L94.2"
    limited = next(c for c in ssc if "limited" in c["code"]["text"])
    assert limited["onsetDateTime"] == "2013-03"  # a month-precision onset, dates kept


def test_icd10_mapping_is_conservative():
    base = {"has_calcinosis": True, "raynaud_phenomenon": True, "sclerodactyly": True,
            "telangiectasia": True}
    assert ssc_icd10({**base, "ssc_subtype": "limited_cutaneous"}).code == "M34.1"
    assert ssc_icd10({**base, "ssc_subtype": "limited_cutaneous",
                      "telangiectasia": False}).code == "M34.8"
    assert ssc_icd10({**base, "ssc_subtype": "diffuse_cutaneous"}).code == "M34.8"
    assert ssc_icd10({**base, "ssc_subtype": "undetermined"}).code == "M34.9"


def test_observations_carry_ucum_units(cohort, tmp_path):
    resources = _resources(run_export(tmp_path, level="patients", format="fhir_ndjson"))
    quantities = [
        q
        for o in resources["Observation"]
        for q in [o.get("valueQuantity")] + [c.get("valueQuantity") for c in o.get("component", [])]
        if q
    ]
    assert quantities and all(q["system"] == UCUM for q in quantities)
    lesion = next(o for o in resources["Observation"] if "-l1" in o["id"])
    assert lesion["component"][0]["valueQuantity"]["code"] == "mm"
    assert lesion["derivedFrom"][0]["reference"].startswith("ImagingStudy/")
    sld = [o for o in resources["Observation"] if o["code"]["text"].startswith("Sum of longest")]
    assert sorted(o["valueQuantity"]["value"] for o in sld) == [4.2, 8.0, 11.0]
    mrss = [o for o in resources["Observation"] if o["code"]["text"] == "mRSS total"]
    assert sorted(o["valueQuantity"]["value"] for o in mrss) == [10, 12, 30]


def test_fhir_refuses_relative_dates(cohort):
    with pytest.raises(ValidationError) as error:
        export_check(ExportSpec(level="patients", format="fhir_ndjson", date_mode="relative"))
    assert "calendar dates" in error.value.messages[0]
