"""Security review finding 13: every path under /api/ answers the JSON error shape, never
Django's HTML pages, whether DEBUG is on or off."""

import pytest
from django.test import override_settings

from api.exception_handler import NOT_FOUND

pytestmark = pytest.mark.django_db

UNROUTED = ["/api/", "/api/nothing/", "/api/v1/nothing-here/", "/api/v2/patients/", "/api/v1/x.php"]


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", UNROUTED)
def test_finding13_unknown_api_path_is_json_404(api, path, debug):
    """Technical 404 page (DEBUG) or handler404: both become the API's error shape."""
    with override_settings(DEBUG=debug):
        response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "errors": [{"field": None, "code": "not_found", "message": NOT_FOUND}]
    }


@pytest.mark.parametrize("debug", [False, True])
def test_finding13_wrong_method_stays_json_405(api, debug):
    with override_settings(DEBUG=debug):
        response = api.put("/api/v1/cohort/progression/", {}, format="json")
    assert response.status_code == 405
    assert response.json()["errors"][0]["code"] == "method_not_allowed"


def test_a_missing_trailing_slash_still_redirects(api):
    """APPEND_SLASH runs before the JSON 404: a known route without its slash is redirected."""
    response = api.get("/api/v1/patients")
    assert response.status_code == 301 and response["Location"] == "/api/v1/patients/"


@pytest.mark.parametrize("debug", [False, True])
def test_unknown_page_outside_the_api_stays_html(client, debug):
    with override_settings(DEBUG=debug):
        response = client.get("/nothing-here/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
