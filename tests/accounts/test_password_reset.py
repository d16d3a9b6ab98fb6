"""Password reset by e-mail (clinic.views.account, Django's token flow): the same answer whether
or not an account exists, the per-address throttle, the validators, and every session ended."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import SignInEvent, UserSession
from accounts.passwords import RESET_THROTTLED
from accounts.services import user_add
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

EMAIL = "doc@north.example"
NEW_PASSWORD = "another-synthetic-2027"


@pytest.fixture
def clinician(center):
    return user_add(email=EMAIL, center=center, role="clinician", password=PASSWORD)


def ask(client: Client, email: str, **meta):
    return client.post("/password/reset/", {"email": email}, **meta)


def reset_link() -> str:
    return re.search(r"https?://[^/]+(/password/reset/\S+/)", mail.outbox[-1].body).group(1)


def test_the_login_page_offers_the_reset():
    """ "Forgot your password?" on the login page leads to the reset form."""
    page = Client().get("/login/").content.decode()
    assert 'href="/password/reset/"' in page and "Forgot your password?" in page


def test_an_existing_and_an_unknown_address_get_the_same_answer(clinician):
    """Both: a redirect to the same "sent" page, whose text is identical; one mail only."""
    known, unknown = ask(Client(), EMAIL), ask(Client(), "nobody@north.example")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/password/reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [EMAIL]
    requested = SignInEvent.objects.filter(kind="password_reset_requested")
    assert {(event.user, event.username) for event in requested} == {
        (clinician, EMAIL),
        (None, "nobody@north.example"),
    }


def test_reset_requests_are_throttled_per_address(clinician, settings):
    """Past the limit from one address: 429 with the message, no mail, whatever the address
    typed; another client address is not affected."""
    settings.REGISTRY_PASSWORD_RESET_LIMIT = 2
    for _ in range(2):
        assert ask(Client(), "nobody@north.example", REMOTE_ADDR="192.0.2.1").status_code == 302
    refused = ask(Client(), EMAIL, REMOTE_ADDR="192.0.2.1")
    assert refused.status_code == 429
    assert RESET_THROTTLED.format(minutes=60) in refused.content.decode()
    assert mail.outbox == []
    assert ask(Client(), EMAIL, REMOTE_ADDR="192.0.2.2").status_code == 302
    assert len(mail.outbox) == 1


def test_the_link_sets_a_valid_password_and_ends_every_session(clinician):
    """The mailed link: a short password refused; a good one set, every session of the person
    ended, password_reset recorded; the link works once."""
    signed_in = Client()
    signed_in.post("/login/", {"username": EMAIL, "password": PASSWORD})
    ask(Client(), EMAIL)
    client = Client()
    form_url = client.get(reset_link())["Location"]  # Django moves the token into the session
    weak = client.post(form_url, {"new_password1": "short-pw-1", "new_password2": "short-pw-1"})
    assert "at least 12 characters" in weak.content.decode()
    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/password/reset/done/"
    clinician.refresh_from_db()
    assert clinician.check_password(NEW_PASSWORD)
    assert signed_in.get("/patients/").status_code == 302
    assert not UserSession.objects.filter(user=clinician).exists()
    assert SignInEvent.objects.filter(kind="password_reset", user=clinician).count() == 1
    again = Client().get(reset_link(), follow=True).content.decode()
    assert "This link no longer works" in again


def test_the_mail_names_no_password_and_comes_from_the_configured_sender(clinician, settings):
    """DEFAULT_FROM_EMAIL is the sender; the mail holds the link, never a password."""
    settings.DEFAULT_FROM_EMAIL = "registry@hospital.example"
    ask(Client(), EMAIL)
    message = mail.outbox[0]
    assert message.from_email == "registry@hospital.example"
    assert PASSWORD not in message.body and "/password/reset/" in message.body
