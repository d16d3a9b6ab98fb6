"""Two-factor authentication through the Django test client: enrolment gating (every other page
blocked, the API's session 403, tokens unaffected), enrolment, verification with TOTP and
backup codes, the throttle, the admin, single sign-on sessions and the audit rows."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import two_factor
from accounts.models import SignInEvent
from accounts.oidc import OIDC_SESSION
from accounts.services import token_create, user_add
from accounts.sign_in import SIGN_IN_METHOD
from accounts.two_factor_middleware import API_REFUSED, API_REFUSED_CODE, TwoFactorMiddleware
from patients.models import Patient
from tests.accounts.two_factor_helpers import enrol, totp_code
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ENROL = "/two-factor/enrol/"
VERIFY = "/two-factor/verify/"
ADMIN_EMAIL = "admin@north.example"
# Every page of the clinic and the admin a person owing a second factor might try.
BLOCKED_GETS = [
    "/",
    "/patients/",
    "/patients/new/",
    "/unmatched/",
    "/two-factor/",
    "/two-factor/backup-codes/",
    "/admin/",
    "/admin/accounts/membership/",
    "/admin/patients/patient/",
    "/login/",
]


@pytest.fixture
def center_admin(center):
    return user_add(email=ADMIN_EMAIL, center=center, role="center_admin", password=PASSWORD)


@pytest.fixture
def clinician(center):
    return user_add(email="doc@north.example", center=center, role="clinician", password=PASSWORD)


def second_browser(user) -> Client:
    """Another browser of the same person, signed in with the password only."""
    browser = Client()
    browser.force_login(user)
    return browser


def events(user, kind: str) -> list[SignInEvent]:
    return list(SignInEvent.objects.filter(user=user, kind=kind))


def codes_on(page: str) -> list[str]:
    return re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page)


def secret_on(page: str) -> str:
    return re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1)


# --- Gating -----------------------------------------------------------------------------------


def test_a_person_who_must_enrol_reaches_nothing_else(client, settings, center_admin):
    """Policy "admins": a center admin's every page redirects to enrolment, keeping ?next=."""
    settings.REGISTRY_TWO_FACTOR_POLICY = "admins"
    client.force_login(center_admin)
    for path in BLOCKED_GETS:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(f"{ENROL}?next="), path
    refused = client.post("/patients/new/", {"local_id": "SNEAKED-IN"})
    assert refused.status_code == 302 and refused["Location"].startswith(ENROL)
    assert not Patient.objects.filter(local_id="SNEAKED-IN").exists()
    assert (
        client.get("/patients/7/?tab=x")["Location"] == f"{ENROL}?next=%2Fpatients%2F7%2F%3Ftab%3Dx"
    )
    assert client.get(ENROL).status_code == 200
    assert client.get(VERIFY)["Location"].startswith(ENROL)  # nothing to verify yet
    signed_out = client.post("/logout/")
    assert signed_out.status_code == 302 and signed_out["Location"] == "/login/"


def test_a_session_owing_a_second_factor_gets_403_from_the_api(client, settings, center_admin):
    """Session requests to the API: 403 in the API's error shape, naming the reason."""
    settings.REGISTRY_TWO_FACTOR_POLICY = "all"
    client.force_login(center_admin)
    for path in ("/api/v1/patients/", "/api/v1/memberships/"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.json() == {
            "errors": [{"field": None, "code": API_REFUSED_CODE, "message": API_REFUSED}]
        }
    assert client.post("/api/v1/patients/", {}, content_type="application/json").status_code == 403


def test_api_tokens_are_unaffected_by_the_second_factor(client, settings, center_admin):
    """A bearer token works whatever the policy, even beside an unverified session cookie."""
    settings.REGISTRY_TWO_FACTOR_POLICY = "all"
    enrol(center_admin)
    raw = token_create(user=center_admin)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/patients/").status_code == 200
    client.force_login(center_admin)  # the same person's unverified browser session
    response = client.get("/api/v1/patients/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    bad = client.get("/api/v1/patients/", HTTP_AUTHORIZATION="Bearer crg_not-a-token")
    assert bad.status_code == 401  # the token decides, never the session


def test_the_center_policy_asks_members_of_marked_centers_only(
    client, settings, center, clinician, other_center
):
    """Policy "center": a clinician of a marked center enrols; of an unmarked one, not."""
    settings.REGISTRY_TWO_FACTOR_POLICY = "center"
    center.two_factor_required = True
    center.save()
    elsewhere = user_add(email="doc@south.example", center=other_center, role="clinician")
    client.force_login(elsewhere)
    assert client.get("/patients/").status_code == 200
    client.force_login(clinician)
    assert client.get("/patients/")["Location"].startswith(ENROL)


def test_a_person_enrolled_is_asked_whatever_the_policy(client, settings, clinician):
    """Policy "off": nobody must enrol, but an enrolled clinician still types the code."""
    settings.REGISTRY_TWO_FACTOR_POLICY = "off"
    enrol(clinician)
    client.force_login(clinician)
    assert client.get("/patients/")["Location"] == f"{VERIFY}?next=%2Fpatients%2F"
    assert client.get(ENROL)["Location"] == "/two-factor/"  # already set up


# --- Enrolment --------------------------------------------------------------------------------


def test_enrolment_after_the_password_with_a_qr_code_and_backup_codes(
    client, settings, center_admin
):
    """Password -> enrolment (QR code and key) -> first code -> ten backup codes, shown once ->
    where the person was going. Wrong codes are refused and recorded."""
    settings.REGISTRY_TWO_FACTOR_POLICY = "admins"
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    signed_in = client.post("/login/", {"username": ADMIN_EMAIL, "password": PASSWORD})
    assert signed_in["Location"] == "/patients/"  # a clinician's home (clinic.views.home)
    to_enrol = client.get("/patients/")
    assert to_enrol["Location"] == f"{ENROL}?next=%2Fpatients%2F"
    page = client.get(to_enrol["Location"]).content.decode()
    assert "<svg" in page and "<path" in page
    assert " style=" not in page  # the CSP refuses inline styles
    secret = secret_on(page)
    assert secret_on(client.get(ENROL).content.decode()) == secret  # a reload keeps the key

    wrong = client.post(ENROL, {"code": "000000", "next": "/patients/"})
    assert wrong.status_code == 400
    assert two_factor.ENROL_CODE_WRONG in wrong.content.decode()
    assert not two_factor.totp_enrolled(center_admin)

    done = client.post(ENROL, {"code": totp_code(secret), "next": "/patients/"})
    assert done.status_code == 302
    assert done["Location"] == "/two-factor/backup-codes/?next=%2Fpatients%2F"
    shown = client.get(done["Location"])
    codes = codes_on(shown.content.decode())
    assert len(set(codes)) == two_factor.BACKUP_CODE_COUNT
    assert 'href="/patients/"' in shown.content.decode()
    assert client.get("/two-factor/backup-codes/")["Location"] == "/two-factor/"  # once
    assert client.get("/patients/").status_code == 200  # this session is verified
    assert len(events(center_admin, "two_factor_enrolled")) == 1
    failed = events(center_admin, "two_factor_failed")
    assert [(e.method, e.detail) for e in failed] == [("totp", "enrolment")]
    assert failed[0].address == "127.0.0.1"


def test_the_two_factor_page_makes_new_backup_codes_and_the_old_ones_die(
    client, settings, clinician
):
    """Regenerating: ten new codes shown once; an old code no longer verifies."""
    settings.REGISTRY_TWO_FACTOR_POLICY = "off"
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    device, old_codes = enrol(clinician)
    client.force_login(clinician)
    client.post(VERIFY, {"code": totp_code(device)})
    page = client.get("/two-factor/").content.decode()
    assert "set up" in page and "Backup codes left: <strong>10</strong>" in page
    made = client.post("/two-factor/backup-codes/")
    assert made["Location"] == "/two-factor/backup-codes/"
    new_codes = codes_on(client.get(made["Location"]).content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    other = second_browser(clinician)
    refused = other.post(VERIFY, {"code": old_codes[0]})
    assert refused.status_code == 400
    assert other.post(VERIFY, {"code": new_codes[0]}).status_code == 302


# --- Verification -----------------------------------------------------------------------------


def test_sign_in_with_the_authenticator_code(client, settings, clinician):
    """An enrolled person: password -> code -> the page asked for; recorded as verified."""
    settings.REGISTRY_TWO_FACTOR_POLICY = "admins"
    device, _codes = enrol(clinician)
    client.post("/login/", {"username": "doc@north.example", "password": PASSWORD})
    to_verify = client.get("/patients/")
    assert to_verify["Location"] == f"{VERIFY}?next=%2Fpatients%2F"
    assert client.get(to_verify["Location"]).status_code == 200
    done = client.post(VERIFY, {"code": totp_code(device), "next": "/patients/"})
    assert done.status_code == 302 and done["Location"] == "/patients/"
    assert client.get("/patients/").status_code == 200
    assert client.get("/api/v1/patients/").status_code == 200  # the session's API calls too
    assert [e.method for e in events(clinician, "two_factor_verified")] == ["totp"]
    replay = second_browser(clinician).post(VERIFY, {"code": totp_code(device)})
    assert replay.status_code in (400, 429)  # a code is accepted once


def test_a_backup_code_works_once(client, settings, clinician):
    """Accepted the first time (recorded as backup_code_used), refused the second."""
    settings.REGISTRY_TWO_FACTOR_POLICY = "off"
    _device, codes = enrol(clinician)
    client.force_login(clinician)
    first = client.post(VERIFY, {"code": codes[0].upper(), "next": "/unmatched/"})
    assert first.status_code == 302 and first["Location"] == "/unmatched/"
    assert client.get("/unmatched/").status_code == 200
    assert two_factor.backup_codes_left(clinician) == 9
    again = second_browser(clinician).post(VERIFY, {"code": codes[0]})
    assert again.status_code == 400
    assert two_factor.CODE_WRONG in again.content.decode()
    assert [e.method for e in events(clinician, "backup_code_used")] == ["backup_code"]
    assert [e.method for e in events(clinician, "two_factor_failed")] == ["backup_code"]


def test_wrong_codes_lock_the_second_factor_and_it_says_so(client, settings, clinician):
    """django-otp's throttle: after a wrong code the next must wait; meanwhile even the right
    code is refused with 429 and a message saying it is locked."""
    settings.REGISTRY_TWO_FACTOR_POLICY = "off"
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    device, codes = enrol(clinician)
    client.force_login(clinician)
    assert client.post(VERIFY, {"code": "123456"}).status_code == 400
    locked = client.post(VERIFY, {"code": totp_code(device)})
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "locked for" in text and "ask your center admin" in text
    assert client.post(VERIFY, {"code": codes[0]}).status_code == 429  # backup codes too
    assert client.get("/patients/")["Location"].startswith(VERIFY)
    details = [e.detail for e in events(clinician, "two_factor_failed")]
    assert sorted(details) == ["", "locked", "locked"]


def test_verification_redirects_only_within_the_site(client, settings, clinician):
    """?next= naming another host is ignored: the person's home instead."""
    settings.REGISTRY_TWO_FACTOR_POLICY = "off"
    device, _codes = enrol(clinician)
    client.force_login(clinician)
    done = client.post(VERIFY, {"code": totp_code(device), "next": "https://evil.example/x"})
    assert done["Location"] == "/"


def sso_session(client, user, *, mfa: bool) -> None:
    client.force_login(user)
    session = client.session
    session[SIGN_IN_METHOD] = "sso"
    session[OIDC_SESSION] = {"mfa": mfa, "next_check_at": time.time() + 3600}
    session.save()


def test_a_single_sign_on_with_the_providers_mfa_counts_unless_configured_not_to(
    client, settings, center_admin
):
    """REGISTRY_OIDC_COUNTS_AS_TWO_FACTOR: the provider's MFA (amr) stands for ours."""
    settings.REGISTRY_TWO_FACTOR_POLICY = "all"
    sso_session(client, center_admin, mfa=True)
    assert client.get("/patients/").status_code == 200
    settings.REGISTRY_OIDC_COUNTS_AS_TWO_FACTOR = False
    assert client.get("/patients/")["Location"].startswith(ENROL)


def test_a_single_sign_on_without_the_providers_mfa_does_not_count(client, settings, center_admin):
    """Regression (review): any SSO session counted, whatever the provider had checked."""
    settings.REGISTRY_TWO_FACTOR_POLICY = "all"
    sso_session(client, center_admin, mfa=False)
    assert client.get("/patients/")["Location"].startswith(ENROL)


def test_a_person_enrolled_here_is_asked_for_the_code_after_single_sign_on(
    client, settings, center_admin
):
    """Regression (review): a superuser's or admin's own authenticator was skipped after SSO."""
    settings.REGISTRY_TWO_FACTOR_POLICY = "off"
    enrol(center_admin)
    sso_session(client, center_admin, mfa=True)
    assert client.get("/admin/")["Location"].startswith(VERIFY)


# --- The admin --------------------------------------------------------------------------------


def test_the_admin_sign_in_lands_on_the_second_factor(client, settings, center_admin):
    """Admin password form -> /admin/ -> verification; after the code, the admin."""
    settings.REGISTRY_TWO_FACTOR_POLICY = "admins"
    device, _codes = enrol(center_admin)
    signed_in = client.post(
        "/admin/login/?next=/admin/", {"username": ADMIN_EMAIL, "password": PASSWORD}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/admin/"
    landed = client.get("/admin/", follow=True)
    assert landed.redirect_chain == [(f"{VERIFY}?next=%2Fadmin%2F", 302)]
    assert client.get("/admin/accounts/membership/")["Location"].startswith(VERIFY)
    done = client.post(VERIFY, {"code": totp_code(device), "next": "/admin/"})
    assert done["Location"] == "/admin/"
    assert client.get("/admin/accounts/membership/").status_code == 200


def test_a_superuser_must_enrol_before_the_admin_under_the_default_policy(client, settings):
    """The demo's superuser (policy "admins"): the admin sends them to enrolment."""
    settings.REGISTRY_TWO_FACTOR_POLICY = "admins"
    root = get_user_model().objects.create_superuser("root@example.org", "root@example.org")
    client.force_login(root)
    assert client.get("/admin/")["Location"] == f"{ENROL}?next=%2Fadmin%2F"


def test_the_menu_links_the_two_factor_page(client, clinician):
    """Every signed-in page links the person's Two-factor page."""
    client.force_login(clinician)
    assert f'href="{reverse("clinic:two-factor")}"' in client.get("/patients/").content.decode()
    assert "not set up" in client.get("/two-factor/").content.decode()


def test_a_misspelt_policy_stops_the_server_at_start(settings):
    """The middleware refuses to load with an unknown policy, naming the choices."""
    settings.REGISTRY_TWO_FACTOR_POLICY = "admin"
    with pytest.raises(ImproperlyConfigured, match="must be one of all, admins, center, off"):
        TwoFactorMiddleware(lambda request: None)
