"""Issue #17: a treatment's dose where recorded: an amount above 0 with its UCUM unit (both or
neither) and a frequency; refused with the rule's own sentence next to the field (model, API,
clinic form), never a 500; refused by the database too."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts import research_fields
from accounts.services import user_add
from patients import validation
from patients.models import CalcinosisTreatment
from patients.services import treatment_save
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def _save(patient, **fields) -> CalcinosisTreatment:
    values = {"treatment": "sodium_thiosulfate", "started_on": date(2020, 3, 1)} | fields
    return treatment_save(treatment=CalcinosisTreatment(patient=patient, **values))


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"dose_amount": Decimal("2.5")}, {"dose_unit": [validation.DOSE_INCOMPLETE]}),
        ({"dose_unit": "mL"}, {"dose_amount": [validation.DOSE_INCOMPLETE]}),
        ({"dose_amount": Decimal("0"), "dose_unit": "mL"},
         {"dose_amount": [validation.DOSE_INCOMPLETE]}),
        ({"dose_amount": Decimal("-1"), "dose_unit": "mg"},
         {"dose_amount": [validation.DOSE_INCOMPLETE]}),
        ({"treatment": "none", "dose_amount": Decimal("1"), "dose_unit": "g"},
         {"dose_amount": [validation.NO_DOSE_FOR_NONE]}),
        ({"treatment": "none", "dose_frequency": "weekly"},
         {"dose_frequency": [validation.NO_DOSE_FOR_NONE]}),
        ({"dose_frequency": "hourly"},
         {"dose_frequency": ["Value 'hourly' is not a valid choice."]}),
        ({"dose_amount": "abc", "dose_unit": "mg"},
         {"dose_amount": ["“abc” value must be a decimal number."]}),
    ],
)
def test_a_bad_dose_is_refused_naming_its_field(patient, fields, errors):
    with pytest.raises(ValidationError) as excinfo:
        _save(patient, **fields)
    assert excinfo.value.message_dict == errors
    assert not CalcinosisTreatment.objects.exists()


def test_a_dose_is_kept_and_reads_in_words(patient):
    treatment = _save(patient, route="intralesional", dose_amount=Decimal("2.5"),
                      dose_unit="mL", dose_frequency="weekly", stopped_on=date(2020, 9, 1))
    treatment.refresh_from_db()
    assert treatment.dose_amount == Decimal("2.500")
    assert treatment.dose_text == "2.5 mL weekly"
    assert _save(patient, dose_amount=Decimal("10"), dose_unit="g").dose_text == "10 g"
    assert _save(patient, dose_frequency="per_session").dose_text == "per session"
    assert _save(patient).dose_text == ""
    assert treatment.history.first().dose_unit == "mL"  # history is automatic


@pytest.mark.parametrize(
    ("values", "rule"),
    [
        ({"dose_amount": Decimal("2.5")}, "treatment_dose_complete"),
        ({"dose_amount": Decimal("-2.5"), "dose_unit": "mL"}, "treatment_dose_complete"),
        ({"dose_frequency": "hourly"}, "treatment_dose_frequency_valid"),
        ({"treatment": "none", "dose_frequency": "weekly"}, "treatment_none_has_no_dose"),
    ],
)
def test_the_database_refuses_a_bad_dose(patient, values, rule):
    fields = {"treatment": "colchicine", "started_on": date(2020, 3, 1)} | values
    with pytest.raises(IntegrityError, match=rule), transaction.atomic():  # names the rule
        CalcinosisTreatment.objects.create(patient=patient, **fields)


@pytest.fixture
def api(center):
    return client_for(user_add(email="dose@north.example", center=center, role="clinician"))


BODY = {"treatment": "sodium_thiosulfate", "route": "intralesional", "started_on": "2020-03-01"}


@pytest.mark.parametrize(
    ("dose", "field", "message"),
    [
        ({"dose_amount": 2.5}, "dose_unit", validation.DOSE_INCOMPLETE),
        ({"dose_amount": -2.5, "dose_unit": "mL"}, "dose_amount", validation.DOSE_INCOMPLETE),
        ({"dose_amount": "many", "dose_unit": "mL"}, "dose_amount",
         "A valid number is required."),
        ({"dose_amount": "NaN", "dose_unit": "mL"}, "dose_amount",
         "A valid number is required."),
        ({"dose_amount": 1e12, "dose_unit": "mL"}, "dose_amount",
         "Ensure that there are no more than 9 digits in total."),
        ({"dose_amount": 2.5, "dose_unit": "drops"}, "dose_unit",
         "\"drops\" is not a valid choice."),
        ({"dose_frequency": "hourly"}, "dose_frequency", "\"hourly\" is not a valid choice."),
    ],
)
def test_the_api_answers_a_bad_dose_400_naming_the_field(api, patient, dose, field, message):
    response = api.post("/api/v1/treatments/", {**BODY, "patient": patient.pk, **dose},
                        format="json")
    assert response.status_code == 400, response.json()
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [(field, message)]
    assert not CalcinosisTreatment.objects.exists()


def test_the_api_writes_and_reads_a_dose(api, patient, center):
    body = {**BODY, "patient": patient.pk, "dose_amount": 2.5, "dose_unit": "mL",
            "dose_frequency": "weekly"}
    response = api.post("/api/v1/treatments/", body, format="json")
    assert response.status_code == 201, response.json()
    read = api.get(f"/api/v1/treatments/{response.json()['id']}/").json()
    assert (read["dose_amount"], read["dose_unit"], read["dose_frequency"]) == (2.5, "mL",
                                                                                 "weekly")
    assert {"dose_amount", "dose_unit", "dose_frequency"} <= research_fields.TREATMENT
    researcher = client_for(user_add(email="r@north.example", center=center, role="researcher"))
    seen = researcher.get(f"/api/v1/treatments/{response.json()['id']}/").json()
    assert seen["dose_amount"] == 2.5 and "other_text" not in seen


def _follow_up(**treatment) -> dict:
    data = {
        "date": "2024-03-20", "visit_type": "follow_up", "ulceration": "unknown",
        "infection": "unknown", "drainage": "unknown",
        "treatment-TOTAL_FORMS": "1", "treatment-INITIAL_FORMS": "0",
        "radiograph-TOTAL_FORMS": "0", "radiograph-INITIAL_FORMS": "0",
        "lesion-TOTAL_FORMS": "0", "lesion-INITIAL_FORMS": "0",
        "finding-TOTAL_FORMS": "0", "finding-INITIAL_FORMS": "0",
    }
    values = {"treatment": "sodium_thiosulfate", "started_on": "2024-03-20"} | treatment
    return data | {f"treatment-0-{name}": value for name, value in values.items()}


@pytest.mark.parametrize(
    ("dose", "field", "message"),
    [
        ({"dose_amount": "2.5"}, "dose_unit", validation.DOSE_INCOMPLETE),
        ({"dose_amount": "-1", "dose_unit": "mg"}, "dose_amount", validation.DOSE_INCOMPLETE),
        ({"dose_amount": "lots", "dose_unit": "mg"}, "dose_amount", "Enter a number."),
    ],
)
def test_the_clinic_form_shows_a_bad_dose_next_to_its_field(client, center, patient, dose,
                                                            field, message):
    client.force_login(user_add(email="doc@north.example", center=center, role="clinician"))
    response = client.post(f"/patients/{patient.pk}/follow-up/", _follow_up(**dose))
    assert response.status_code == 200
    form = response.context["treatments"].forms[0]
    assert list(form.errors) == [field] and form.errors[field][0] == message
    assert not CalcinosisTreatment.objects.exists()


def test_the_clinic_form_records_a_dose(client, center, patient):
    client.force_login(user_add(email="doc@north.example", center=center, role="clinician"))
    response = client.post(f"/patients/{patient.pk}/follow-up/", _follow_up(
        route="intralesional", dose_amount="2.5", dose_unit="mL", dose_frequency="weekly",
    ))
    assert response.status_code == 302
    treatment = CalcinosisTreatment.objects.get()
    assert treatment.dose_text == "2.5 mL weekly" and treatment.visit is not None
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "2.5 mL weekly" in page
