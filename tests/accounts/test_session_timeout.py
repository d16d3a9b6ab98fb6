"""The idle timeout and absolute lifetime enforced on the server (accounts.session_timeout): the
clinic, the admin and the session API, the session_expired event, the page's status and
"Stay signed in" endpoints, and what counts as activity."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import SignInEvent, UserSession
from accounts.services import token_create, user_add
from accounts.session_timeout import IDLE_EXPIRED, LAST_ACTIVITY, LIFETIME_EXPIRED
from accounts.sign_in import SIGNED_IN_AT
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

EMAIL = "doc@north.example"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.REGISTRY_SESSION_IDLE_SECONDS = 600
    settings.REGISTRY_SESSION_MAX_SECONDS = 3600


@pytest.fixture
def clinician(center):
    return user_add(email=EMAIL, center=center, role="clinician", password=PASSWORD)


def signed_in(user, client: Client | None = None) -> Client:
    """Through the login page (the signals run); an API client gets the session cookie."""
    browser = Client()
    response = browser.post("/login/", {"username": user.get_username(), "password": PASSWORD})
    assert response.status_code == 302
    if client is None:
        return browser
    client.cookies = browser.cookies
    return client


def age(client: Client, *, idle: float = 0, since_sign_in: float = 0) -> None:
    """Pretend the session's last activity was ``idle`` s ago and its sign-in ``since_sign_in``."""
    session = client.session
    now = time.time()
    session[LAST_ACTIVITY] = now - idle
    session[SIGNED_IN_AT] = now - max(idle, since_sign_in)
    session.save()


def test_sign_in_sets_the_cookie_to_the_lifetime_not_two_weeks(clinician, settings):
    """The session cookie lasts the absolute lifetime (12 h by default), not Django's 14 days."""
    client = signed_in(clinician)
    assert client.cookies["sessionid"]["max-age"] == settings.SESSION_COOKIE_AGE == 12 * 3600


def test_an_idle_clinic_session_lands_on_the_login_page_with_a_message(clinician):
    """Idle past the limit: the next page redirects to login, which says why; the session is
    gone, session_expired recorded (idle)."""
    client = signed_in(clinician)
    old_key = client.session.session_key
    age(client, idle=601)
    response = client.get("/patients/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    page = client.get(response["Location"]).content.decode()
    assert IDLE_EXPIRED.format(duration="10 minute(s)") in page
    event = SignInEvent.objects.get(kind="session_expired")
    assert (event.user, event.detail, event.method) == (clinician, "idle", "password")
    assert not UserSession.objects.filter(session_key=old_key).exists()
    assert client.get("/patients/").status_code == 302


def test_an_active_session_past_its_lifetime_ends(clinician):
    """Active a second ago but signed in an hour ago (the limit): ended, for its lifetime."""
    client = signed_in(clinician)
    age(client, idle=1, since_sign_in=3600)
    response = client.get("/patients/", follow=True)
    assert LIFETIME_EXPIRED.format(duration="1 hour(s)") in response.content.decode()
    assert SignInEvent.objects.get(kind="session_expired").detail == "lifetime"


def test_a_request_within_the_limit_is_activity(clinician):
    """Nine idle minutes, a page: the idle time starts again."""
    client = signed_in(clinician)
    age(client, idle=540)
    assert client.get("/patients/").status_code == 200
    assert time.time() - client.session[LAST_ACTIVITY] < 5


def test_the_status_endpoint_is_not_activity(clinician):
    """Polling the time left does not refresh it: the session still ends on time."""
    client = signed_in(clinician)
    age(client, idle=500)
    response = client.get("/session/status/")
    assert response.status_code == 200
    assert 95 <= response.json()["seconds_left"] <= 100
    assert time.time() - client.session[LAST_ACTIVITY] >= 500
    age(client, idle=601)
    expired = client.get("/session/status/")
    assert expired.status_code == 401 and expired.json()["signed_in"] is False


def test_stay_signed_in_refreshes_the_idle_time(clinician):
    """The notice's button (POST keepalive): the idle time starts again, nearly the full limit."""
    client = signed_in(clinician)
    age(client, idle=560)
    response = client.post("/session/keepalive/")
    assert response.status_code == 200 and response.json()["seconds_left"] >= 595
    assert client.get("/session/status/").json()["seconds_left"] >= 595


def test_keepalive_needs_a_post(clinician):
    """A GET of the keepalive is refused: 405."""
    client = signed_in(clinician)
    assert client.get("/session/keepalive/").status_code == 405


def test_the_session_api_answers_401_after_expiry(clinician):
    """A session-authenticated API call after the idle limit: 401 in the API's error shape."""
    client = APIClient()
    signed_in(clinician, client)
    assert client.get("/api/v1/patients/").status_code == 200
    age(client, idle=601)
    response = client.get("/api/v1/patients/")
    assert response.status_code == 401
    assert response.json()["errors"]
    assert SignInEvent.objects.filter(kind="session_expired").count() == 1


def test_an_api_token_is_not_a_session(clinician):
    """Bearer requests pass untouched: no expiry, whatever an old session cookie says."""
    client = APIClient()
    signed_in(clinician, client)
    age(client, idle=601)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_create(user=clinician)}")
    assert client.get("/api/v1/patients/").status_code == 200
    assert not SignInEvent.objects.filter(kind="session_expired").exists()


def test_the_admin_sends_an_expired_session_to_its_login(db):
    """An idle admin session: the admin's login page, session_expired recorded."""
    root = get_user_model().objects.create_superuser(
        "root@registry.example", "root@registry.example", PASSWORD
    )
    client = Client()
    client.post("/admin/login/", {"username": root.username, "password": PASSWORD})
    assert client.get("/admin/").status_code == 200
    age(client, idle=601)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert SignInEvent.objects.get(kind="session_expired").user == root


def test_the_page_carries_the_notice_and_its_script(clinician):
    """A signed-in page has the notice (hidden), the seconds left and the static script; the
    admin's pages too."""
    client = signed_in(clinician)
    page = client.get("/patients/").content.decode()
    assert 'id="session-notice"' in page and "Stay signed in" in page
    assert 'data-seconds-left="' in page and "clinic/session.js" in page
    assert "<script>" not in page  # CSP: no inline script
    anonymous = Client().get("/login/").content.decode()
    assert 'id="session-notice"' not in anonymous
    root = get_user_model().objects.create_superuser(
        "root@registry.example", "root@registry.example", PASSWORD
    )
    admin = Client()
    admin.force_login(root)
    admin_page = admin.get("/admin/").content.decode()
    assert 'id="session-notice"' in admin_page and 'data-login-url="/admin/login/"' in admin_page
