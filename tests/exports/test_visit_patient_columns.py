"""Issue 17: the 17 mRSS site scores and every symptom of a visit, every 2013 ACR/EULAR item, and
the date of the latest consent per scope, in every format and date mode, on PostgreSQL and SQLite
(the suite runs on both), read back by the import, and the site scores in FHIR."""

import csv
import io
import json
import sqlite3
from datetime import date

import pyarrow.parquet as pq
import pytest
from fhir.resources.R4B import get_fhir_model_class

from accounts.services import user_add
from consent.models import Scope
from consent.services import consent_withdraw
from exports.clinical_columns import mrss_site_columns
from exports.dictionary import dictionary_rows
from exports.formats.fhir.dictionary import fhir_dictionary_rows
from exports.imports.rows import (
    MRSS_COLUMN_MISSING,
    MRSS_SITE_EMPTY,
    MRSS_SITE_RANGE,
    parse_file,
)
from exports.levels import patient_columns, visit_columns
from exports.services import import_run
from exports.sql import Dialect
from patients.models import CLASSIFICATION_FIELDS, Patient, Visit
from patients.mrss import MRSS_SITES
from patients.services import patient_delete
from tests import factories
from tests.api.conftest import client_for
from tests.exports.conftest import csv_rows, run_export

pytestmark = pytest.mark.django_db

# right fingers 2 + left fingers 3 + face 1 + 14 sites at 0 = 6.
SITES = {**dict.fromkeys(MRSS_SITES, 0), "right_fingers": 2, "left_fingers": 3, "face": 1}
SITE_NAMES = [f"mrss_{site}" for site in MRSS_SITES]
CONSENT_NAMES = [f"consent_{scope}_date" for scope in Scope.values]


@pytest.fixture
def clinic(db):
    """Dora: two consent records, a visit with the 17 sites and one with a total only.
    Emil: care and research consent, research withdrawn later."""
    north = factories.make_center("north", "North clinic")
    dora = factories.make_patient(
        north, consent=False, local_id="MRN-DORA", birth_date=date(1970, 5, 5),
        first_non_raynaud_onset=date(2015, 1, 1), first_non_raynaud_onset_precision="day",
        diagnosis_date=date(2016, 1, 1), antibody_rnap3="positive", puffy_fingers=True,
    )
    factories.record_consent(dora, scopes=("research",), signed_on=date(2021, 5, 3))
    factories.record_consent(dora, scopes=("research", "radiographs"),
                             signed_on=date(2023, 2, 10))
    factories.make_visit(
        dora, date=date(2022, 4, 4), visit_type="baseline", mrss_sites=SITES,
        calcinosis_pain_vas_mm=35, ulceration=False, drainage=True, chfs_total=20,
        digital_ulcer_count=2, raynaud_attacks_per_day=1.5,
    )
    factories.make_visit(dora, date=date(2023, 4, 4), mrss_total=10, calcinosis_pain_nrs=7)
    emil = factories.make_patient(north, consent=False, local_id="MRN-EMIL", not_applicable=True,
                                 not_applicable_reason="eosinophilic fasciitis")
    factories.record_consent(emil, scopes=("care", "research"), signed_on=date(2020, 3, 1))
    consent_withdraw(patient=emil, withdrawn_on=date(2022, 6, 1), scopes=["research"],
                     recorded_by=None)
    return north


def _dora_and_emil(rows):
    """The pseudonymized rows of Dora and Emil, told apart by Dora's anti-RNA pol III."""
    dora = [r for r in rows if r["antibody_rnap3"] == "positive"]
    return dora, [r for r in rows if r not in dora]


def _visits(archive, name="visits.csv"):
    rows = csv_rows(archive, name)
    return sorted(rows, key=lambda r: r.get("visit_date") or r.get("visit_day"))


def test_the_sites_are_exported_beside_their_total(clinic, tmp_path):
    sited, total_only = _visits(run_export(tmp_path, level="visits", format="csv"))
    assert sited["mrss_total"] == "6"  # computed by visit_save from the 17 sites
    assert [sited[name] for name in SITE_NAMES] == [str(SITES[site]) for site in MRSS_SITES]
    assert (sited["mrss_right_fingers"], sited["mrss_left_fingers"], sited["mrss_face"]) == (
        "2", "3", "1")
    assert total_only["mrss_total"] == "10"
    assert all(total_only[name] == "" for name in SITE_NAMES)


def test_every_symptom_is_exported_on_its_own_scale(clinic, tmp_path):
    sited, total_only = _visits(run_export(tmp_path, level="visits", format="csv"))
    assert (sited["calcinosis_pain_vas_mm"], sited["calcinosis_pain_nrs"]) == ("35", "")
    assert (total_only["calcinosis_pain_nrs"], total_only["calcinosis_pain_vas_mm"]) == ("7", "")
    assert (sited["ulceration"], sited["infection"], sited["drainage"]) == ("false", "", "true")
    assert (sited["chfs_total"], sited["digital_ulcer_count"]) == ("20", "2")
    assert sited["raynaud_attacks_per_day"] == "1.5"


def test_the_visit_dictionary_gives_each_scale():
    rows = {row["variable"]: row for row in dictionary_rows(visit_columns("keep"))}
    for name, site in zip(SITE_NAMES, MRSS_SITES, strict=True):
        entry = rows[name]
        assert entry["type"] == "integer" and entry["unit"] == "{score} (score)"
        assert entry["allowed_values"].startswith("0-3;") and entry["import"] == "yes"
        assert entry["label"] == f"mRSS site: {site.replace('_', ' ')}"
    assert rows["mrss_right_fingers"]["label"] == "mRSS site: right fingers"
    assert rows["calcinosis_pain_nrs"]["label"] == "calcinosis pain (NRS 0-10)"
    assert rows["calcinosis_pain_vas_mm"]["label"] == "calcinosis pain (VAS 0-100 mm)"
    assert rows["calcinosis_pain_vas_mm"]["unit"] == "mm"
    assert "never converted" in rows["calcinosis_pain_nrs"]["description"]
    assert rows["chfs_total"]["label"] == "Cochin Hand Function Scale (0-90)"
    assert rows["digital_ulcer_count"]["unit"] == "{count} (count)"
    assert rows["raynaud_attacks_per_day"]["unit"] == "/d (per day)"
    for name in ("ulceration", "infection", "drainage"):
        assert rows[name]["allowed_values"] == "true; false; empty = not assessed"
    names = list(rows)
    assert names[names.index("mrss_total") + 1:names.index("mrss_total") + 18] == SITE_NAMES


@pytest.mark.parametrize("date_mode", ["keep", "shift", "relative"])
def test_latest_consent_per_scope_in_every_date_mode(clinic, tmp_path, date_mode):
    (dora,), (emil,) = _dora_and_emil(
        csv_rows(run_export(tmp_path, level="patients", format="csv", date_mode=date_mode),
                 "patients.csv"))
    if date_mode == "keep":
        assert dora["consent_research_date"] == "2023-02-10"  # not the 2021-05-03 record
        assert dora["consent_radiographs_date"] == "2023-02-10"
        assert emil["consent_care_date"] == "2020-03-01"
    elif date_mode == "shift":
        research = date.fromisoformat(dora["consent_research_date"])
        diagnosis = date.fromisoformat(dora["diagnosis_date"])
        # 2016-01-01 to 2023-02-10: 7 years with 2 leap days (2557) + 31 + 9 days = 2597.
        assert (research - diagnosis).days == 2597
        assert research != date(2023, 2, 10)
        assert dora["consent_radiographs_date"] == dora["consent_research_date"]
        assert emil["consent_care_date"] not in ("", "2020-03-01")
    else:
        # Days since the onset 2015-01-01: 8 years with 2 leap days (2922) + 40 days = 2962.
        assert dora["consent_research_day"] == dora["consent_radiographs_day"] == "2962"
        assert "consent_research_date" not in dora
        assert emil["consent_care_day"] == ""  # no onset recorded: no anchor
    suffix = "day" if date_mode == "relative" else "date"
    for scope in ("care", "recontact", "sharing"):
        assert dora[f"consent_{scope}_{suffix}"] == ""
    assert emil[f"consent_research_{suffix}"] == ""  # withdrawn on 2022-06-01


def test_researchers_get_no_consent_dates(clinic, tmp_path):
    """Researchers do not read consent records (the access rule): neither their export nor
    their dictionary holds the consent dates (security review of issue 17)."""
    rows = csv_rows(run_export(tmp_path, level="patients", format="csv", research=True),
                    "patients.csv")
    assert len(rows) == 1 and rows[0]["antibody_rnap3"] == "positive"  # Dora consented
    assert not set(CONSENT_NAMES) & set(rows[0])
    researcher = client_for(user_add(email="r@north.example", center=clinic, role="researcher"))
    clinician = client_for(user_add(email="c@north.example", center=clinic, role="clinician"))
    url = "/api/v1/exports/dictionary/?level=patients"
    names = {row["variable"] for row in researcher.get(url).json()}
    assert "sex" in names and not set(CONSENT_NAMES) & names
    assert set(CONSENT_NAMES) <= {row["variable"] for row in clinician.get(url).json()}


def test_a_new_consent_after_a_withdrawal_gives_its_own_date(clinic, tmp_path):
    emil = Patient.objects.get(local_id="MRN-EMIL")
    factories.record_consent(emil, scopes=("research",), signed_on=date(2023, 1, 5))
    _dora, (row,) = _dora_and_emil(
        csv_rows(run_export(tmp_path, level="patients", format="csv"), "patients.csv"))
    assert (row["consent_research_date"], row["consent_care_date"]) == ("2023-01-05",
                                                                        "2020-03-01")


def test_the_patient_dictionary_has_every_item_and_the_consent_rule():
    rows = {row["variable"]: row for row in dictionary_rows(patient_columns("keep"))}
    assert set(CLASSIFICATION_FIELDS) <= set(rows)
    assert rows["not_applicable"]["label"] == "criteria not applicable"
    assert rows["ssc_autoantibody"]["import"] == "no"
    assert rows["acr_eular_2013_score"]["allowed_values"].startswith("0-28;")  # 9 + 19
    for name in CONSENT_NAMES:
        entry = rows[name]
        assert entry["type"] == "date" and entry["import"] == "no", entry
        assert "later withdrawal of the scope empties it" in entry["description"]
    label = rows["consent_research_date"]["label"]
    assert label == "latest consent to pseudonymized research use"
    relative = {row["variable"]: row for row in dictionary_rows(patient_columns("relative"))}
    assert relative["consent_research_day"]["type"] == "integer"


def test_classification_items_are_exported(clinic, tmp_path):
    (dora,), (emil,) = _dora_and_emil(
        csv_rows(run_export(tmp_path, level="patients", format="csv"), "patients.csv"))
    assert (dora["puffy_fingers"], dora["ssc_autoantibody"]) == ("true", "true")
    assert dora["acr_eular_2013_score"] == "5"  # puffy fingers 2 + anti-RNA pol III 3
    assert (emil["not_applicable"], emil["ssc_autoantibody"]) == ("true", "false")
    assert (emil["acr_eular_2013_score"], emil["meets_acr_eular_2013"]) == ("", "")


def test_parquet_and_the_wide_file_carry_them_typed(clinic, tmp_path):
    visits = pq.read_table(io.BytesIO(
        run_export(tmp_path, level="visits", format="parquet").read("visits.parquet")))
    assert str(visits.schema.field("mrss_face").type) == "int64"
    sites = visits.column("mrss_left_fingers").to_pylist()
    assert sorted(sites, key=lambda v: v is None) == [3, None]
    patients = pq.read_table(io.BytesIO(
        run_export(tmp_path, level="patients", format="parquet").read("patients.parquet")))
    assert date(2023, 2, 10) in patients.column("consent_research_date").to_pylist()
    wide = csv_rows(run_export(tmp_path, level="visits", format="csv_wide"), "visits_wide.csv")
    assert sorted(row["mrss_left_fingers"] for row in wide) == ["", "3"]


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_the_dialects_read_one_site(vendor):
    sql = Dialect(vendor).json_integer("v.mrss_sites", "right_fingers")
    if vendor == "postgresql":
        assert sql == "CAST(v.mrss_sites ->> 'right_fingers' AS integer)"
    else:  # run it: the embedded default stores JSON as text
        connection = sqlite3.connect(":memory:")
        rows = connection.execute(
            f"SELECT {sql} FROM (SELECT ? AS mrss_sites UNION ALL SELECT NULL) v",
            (json.dumps(SITES),),
        ).fetchall()
        assert rows == [(2,), (None,)]


def test_the_sites_round_trip_through_the_import(clinic, tmp_path):
    # Emil's "criteria not applicable" needs its reason, free text that is never exported.
    patient_delete(patient=Patient.objects.get(local_id="MRN-EMIL"), reason="not imported")
    spec = {"format": "csv", "project_key": "SITES"}
    files = {level: run_export(tmp_path, level=level, **spec).read(f"{level}.csv")
             for level in ("patients", "visits")}
    for patient in Patient.objects.all():
        patient_delete(patient=patient, reason="round-trip test")
    for level in ("patients", "visits"):
        report = import_run(data=files[level], center=clinic, commit=True)
        assert report.committed, report.errors
    sited, total_only = Visit.objects.order_by("date")
    assert sited.mrss_sites == SITES and sited.mrss_total == 6
    assert total_only.mrss_sites is None and total_only.mrss_total == 10


def _visits_file(**changes):
    header = ["local_id", "visit_date", "visit_type", "mrss_total", *SITE_NAMES]
    values = {"local_id": "MRN-DORA", "visit_date": "2022-04-04", "visit_type": "baseline",
              "mrss_total": "", **{f"mrss_{s}": str(v) for s, v in SITES.items()}, **changes}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([name for name in header if values.get(name) is not None])
    writer.writerow([values[name] for name in header if values.get(name) is not None])
    return buffer.getvalue().encode()


def test_a_partial_or_out_of_range_set_names_the_column():
    parsed = parse_file(_visits_file(mrss_face="", mrss_abdomen="4"), max_rows=10)
    assert {(e.row, e.column, e.message) for e in parsed.errors} == {
        (2, "mrss_face", MRSS_SITE_EMPTY.format(count=17)),
        (2, "mrss_abdomen", MRSS_SITE_RANGE.format(high=3)),
    }
    parsed = parse_file(_visits_file(mrss_left_foot_dorsum=None), max_rows=10)
    assert [(e.row, e.column, e.message) for e in parsed.errors] == [
        (1, "mrss_left_foot_dorsum", MRSS_COLUMN_MISSING.format(count=17)),
    ]
    blank = {name: "" for name in SITE_NAMES}
    ((_number, values),) = parse_file(_visits_file(**blank), max_rows=10).rows
    assert values["mrss_sites"] is None and "mrss_face" not in values
    ((_number, values),) = parse_file(_visits_file(), max_rows=10).rows
    assert values["mrss_sites"] == SITES


def test_an_import_with_sites_computes_the_total(clinic):
    Visit.objects.all().delete()
    report = import_run(data=_visits_file(), center=clinic, commit=True)
    assert report.committed, report.errors
    assert Visit.objects.get().mrss_total == 6


def test_fhir_carries_the_sites_as_components_and_no_consent(clinic, tmp_path):
    archive = run_export(tmp_path, level="patients", format="fhir_ndjson")
    observations = [json.loads(line) for line in
                    archive.read("Observation.ndjson").decode().splitlines()]
    mrss = sorted((o for o in observations if o["code"]["text"] == "mRSS total"),
                  key=lambda o: o["effectiveDateTime"])
    model = get_fhir_model_class("Observation")
    for observation in mrss:
        model.model_validate(observation)
    components = mrss[0]["component"]
    labels = [column.label for column in mrss_site_columns()]
    assert [c["code"]["text"] for c in components] == labels
    assert sum(c["valueQuantity"]["value"] for c in components) == 6
    assert components[3] == {"code": {"text": "mRSS site: right fingers"}, "valueQuantity": {
        "value": 2, "unit": "score", "system": "http://unitsofmeasure.org", "code": "{score}"}}
    assert "component" not in mrss[1]  # only the total was recorded
    assert b"consent" not in archive.read("Patient.ndjson").lower()
    rows = {row["variable"]: row for row in fhir_dictionary_rows()}
    sited = [name for name in rows if name.startswith("Observation[mrss_total].component[")]
    assert len(sited) == 17
    entry = rows["Observation[mrss_total].component[mrss_right_fingers].valueQuantity"]
    assert (entry["label"], entry["allowed_values"]) == ("mRSS site: right fingers", "0-3")
    assert "Consent stays out of FHIR" in rows["Patient.id"]["description"]
