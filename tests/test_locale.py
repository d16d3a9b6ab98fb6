"""The request's format locale (registry.locale): it reaches the clinic's pages only through
registry.formatting; the API's JSON and Django's own messages are not touched."""

from datetime import date

import pytest

from tests import factories
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(center):
    from accounts.services import user_add

    return client_for(
        user_add(email="api@north.example", center=center, role="clinician", password="x" * 14)
    )


def test_api_json_keeps_machine_formats_in_any_locale(api, center):
    patient = factories.make_patient(center, birth_date=date(1960, 11, 2))
    response = api.get(f"/api/v1/patients/{patient.pk}/", HTTP_ACCEPT_LANGUAGE="de-DE")
    assert response.status_code == 200
    assert response.json()["birth_date"] == "1960-11-02"
    refused = api.post(
        "/api/v1/patients/", {"center": "nowhere"}, format="json", HTTP_ACCEPT_LANGUAGE="de"
    )
    assert refused.status_code == 400
    messages = " ".join(error["message"] for error in refused.json()["errors"])
    assert "This field is required." in messages and "Dieses Feld" not in messages


def test_unknown_locales_fall_back_to_english_formats(client, center):
    from accounts.services import user_add

    client.force_login(
        user_add(email="doc@north.example", center=center, role="clinician", password="x" * 14)
    )
    factories.make_visit(factories.make_patient(center), date=date(2023, 3, 14))
    for header in ("xx-YY", "tlh", "*", ""):
        page = client.get("/patients/", HTTP_ACCEPT_LANGUAGE=header).content.decode()
        assert ">Mar 14, 2023</time>" in page, header
