"""Finding 1 (critical): every page of every registered admin model, for every role.

The walk takes its models from ``admin.site._registry``, so a model registered later is walked
too: changelist, add, change, delete, history list and history detail, GET and POST, as each
role of centers A and B. What must hold:

- clinicians, researchers, people without a role and anonymous visitors never get an admin page
  (the admin is for superusers and center admins);
- a center admin of A never sees a row of B nor any of its identifying values, and no POST of
  theirs changes, moves or resurrects a row of B;
- history pages are read-only for everyone (a revert would bypass the services);
- no page answers 500.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import NoReverseMatch, reverse

from accounts.access import center_path_of
from accounts.models import Membership, SignInEvent
from accounts.services import token_create, user_add
from consent.services import consent_withdraw
from imaging.dicom import ingest
from imaging.models import RadiographicFinding
from patients.models import CalcinosisTreatment, Patient, SubtypeAssessment
from patients.services import patient_delete
from tests import factories
from tests.imaging.dicom_factory import make_dx, to_bytes

pytestmark = pytest.mark.django_db

OUTSIDERS = ["anonymous", "no_role", "researcher", "clinician_a"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def _clinical_world(center, tag: str) -> dict:
    """One of each clinical row in ``center``, every save through the services (history)."""
    patient = factories.make_patient(center, local_id=f"LOCAL-{tag}-7")
    visit = factories.make_visit(patient)
    SubtypeAssessment.objects.create(
        patient=patient, assessed_on=visit.date, subtype="limited_cutaneous"
    )
    CalcinosisTreatment.objects.create(
        patient=patient, treatment="diltiazem", started_on=visit.date
    )
    radiograph = factories.make_radiograph(patient, visit=visit)
    RadiographicFinding.objects.create(
        radiograph=radiograph, finding="periarticular_osteopenia", digit=4, joint="pip"
    )
    track = factories.make_track(patient)
    factories.make_lesion(radiograph, track=track)
    factories.record_consent(patient, scopes=["recontact"], signed_on=date(2021, 1, 1))
    consent_withdraw(
        patient=patient, withdrawn_on=date(2022, 1, 1), scopes=["recontact"], recorded_by=None
    )
    ds = make_dx(sop_instance_uid=f"1.2.826.0.1.3680043.8.498.77{len(tag)}{ord(tag[0])}")
    ingest.radiograph_ingest(to_bytes(ds), center=center, via="cli")
    return {"patient": patient}


@pytest.fixture
def world(center, other_center):
    users = {
        "superuser": get_user_model().objects.create_superuser(
            "root@registry.example", "root@registry.example", "walk-the-admin-1"
        ),
        "admin_a": user_add(email="admin@a.example.org", center=center, role="center_admin"),
        "clinician_a": user_add(email="clinician@a.example.org", center=center, role="clinician"),
        "researcher": user_add(email="researcher@a.example.org", center=center, role="researcher"),
        "no_role": get_user_model().objects.create_user("norole@example.org"),
    }
    a = _clinical_world(center, "A")
    before_b = _all_rows()
    b = _clinical_world(other_center, "B")
    member_b = user_add(email="secret-member@b.example.org", center=other_center, role="clinician")
    token_create(user=member_b)
    SignInEvent.objects.create(
        kind="failed", user=member_b, username="secret-member@b.example.org", address="10.9.8.7"
    )
    gone = factories.make_patient(other_center, local_id="LOCAL-B-DELETED")
    gone_pk = gone.pk
    patient_delete(patient=gone, reason="walk: a deleted patient's history")
    b_rows = {
        model: pks - before_b.get(model, set())
        for model, pks in _all_rows().items()
        if pks - before_b.get(model, set())
    }
    b_rows[type(other_center)] = {other_center.pk}
    secrets = [
        b["patient"].local_id,
        b["patient"].registry_id,
        "secret-member@b.example.org",
        other_center.name,  # a list filter offered every center's name
    ]
    return {"users": users, "a": a, "b": b, "b_rows": b_rows, "secrets": secrets, "gone": gone_pk}


def _all_rows() -> dict:
    return {
        model: set(model._default_manager.values_list("pk", flat=True))
        for model in admin.site._registry
    }


def _snapshot(b_rows: dict) -> dict:
    return {
        model: sorted(model._default_manager.filter(pk__in=pks).values_list())
        for model, pks in b_rows.items()
    }


def _urls(model, obj_pk) -> list[tuple[str, str]]:
    """(kind, url) of every page the admin has for one row of ``model``."""
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    urls = [
        ("change", reverse(f"{info}_change", args=[obj_pk])),
        ("delete", reverse(f"{info}_delete", args=[obj_pk])),
        ("history", reverse(f"{info}_history", args=[obj_pk])),
    ]
    history = getattr(model, "history", None)
    if history is not None and hasattr(history, "model"):
        for version in history.model.objects.filter(**{model._meta.pk.attname: obj_pk}):
            try:
                url = reverse(f"{info}_simple_history", args=[obj_pk, version.history_id])
            except NoReverseMatch:
                break
            urls.append(("history_form", url))
    return urls


def _model_urls(model) -> list[tuple[str, str]]:
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    return [("changelist", reverse(f"{info}_changelist")), ("add", reverse(f"{info}_add"))]


def _client(world, role) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


def _walk(client, urls, *, post: bool):
    for kind, url in urls:
        yield kind, url, "GET", client.get(url)
        if post:
            # A hostile form: every center and patient field pointed at center A / nothing.
            yield kind, url, "POST", client.post(url, {"center": 1, "post": "yes"})


def test_every_registered_model_with_rows_of_b_has_them_in_the_walk(world):
    """Guard: a model the access rule covers must have rows of B here, or the walk proves
    nothing for it (extend ``_clinical_world`` when you register a new one)."""
    for model in admin.site._registry:
        try:
            center_path_of(model)
        except LookupError:
            continue
        assert world["b_rows"].get(model), f"no row of center B for {model.__name__}"


@pytest.mark.parametrize("role", OUTSIDERS)
def test_finding1_outsiders_get_no_admin_page(world, role):
    """Clinicians, researchers, people without a role and anonymous visitors: the login page."""
    client = _client(world, role)
    before = _snapshot(world["b_rows"])
    for model in admin.site._registry:
        urls = _model_urls(model)
        for pk in sorted(world["b_rows"].get(model, ()))[:2]:
            urls += _urls(model, pk)
        for kind, url, method, response in _walk(client, urls, post=True):
            assert response.status_code == 302, (role, kind, method, url, response.status_code)
            assert reverse("admin:login") in response["Location"], (role, url)
    assert _snapshot(world["b_rows"]) == before


def test_finding1_center_admin_never_reaches_another_centers_rows(world):
    """A center admin of A: no row of B is shown, changed, moved or brought back."""
    client = _client(world, "admin_a")
    before = _snapshot(world["b_rows"])
    for model in admin.site._registry:
        for kind, url, _method, response in _walk(client, _model_urls(model), post=False):
            assert response.status_code in (200, 403), (kind, url, response.status_code)
            text = response.content.decode()
            for secret in world["secrets"]:
                assert secret not in text, (kind, url, secret)
        for pk in sorted(world["b_rows"].get(model, ())):
            for kind, url, method, response in _walk(client, _urls(model, pk), post=True):
                assert response.status_code in (302, 403, 404), (kind, method, url)
                if response.status_code == 302:  # the admin's "does not exist" redirect
                    assert response["Location"] in (reverse("admin:index"), "/admin/"), url
                text = response.content.decode()
                for secret in world["secrets"]:
                    assert secret not in text, (kind, method, url, secret)
    assert _snapshot(world["b_rows"]) == before
    assert Patient.objects.get(pk=world["b"]["patient"].pk).center.code == "south"
    assert not Patient.objects.filter(pk=world["gone"]).exists()


def test_finding1_center_admin_works_on_their_own_center(world):
    """The other half of the rule: A's rows, their history included, are there for A's admin."""
    client = _client(world, "admin_a")
    patient = world["a"]["patient"]
    for kind, url in _urls(Patient, patient.pk):
        if kind == "delete":
            assert client.get(url).status_code == 403  # deleting is for superusers (audited)
            continue
        response = client.get(url)
        assert response.status_code == 200, (kind, url)
        assert patient.registry_id in response.content.decode()


def test_finding1_history_pages_never_revert(world):
    """POSTing a history form (even a superuser's, even of a deleted patient) changes nothing."""
    client = _client(world, "superuser")
    patient = world["b"]["patient"]
    version = Patient.history.filter(id=patient.pk).earliest("history_date")
    url = reverse("admin:patients_patient_simple_history", args=[patient.pk, version.history_id])
    assert client.get(url).status_code == 200
    assert client.post(url, {"center": world["a"]["patient"].center_id}).status_code == 403
    gone = Patient.history.filter(id=world["gone"]).earliest("history_date")
    url = reverse("admin:patients_patient_simple_history", args=[world["gone"], gone.history_id])
    assert client.post(url, {"local_id": "BACK"}).status_code == 403
    assert not Patient.objects.filter(pk=world["gone"]).exists()
    assert Patient.objects.get(pk=patient.pk).center.code == "south"


def test_finding1_no_admin_page_answers_500_for_the_superuser(world):
    """The DICOM instance history answered 500: every page of every model, as the superuser."""
    client = _client(world, "superuser")
    for model in admin.site._registry:
        urls = _model_urls(model)
        for pk in sorted(model._default_manager.values_list("pk", flat=True))[:3]:
            urls += _urls(model, pk)
        for kind, url, _method, response in _walk(client, urls, post=False):
            assert response.status_code < 500, (kind, url, response.status_code)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/patients/patient/not-a-number/history/",
        "/admin/patients/patient/{pk}/history/not-a-number/",
    ],
)
@pytest.mark.parametrize("role", ["superuser", "admin_a"])
def test_history_pages_answer_404_for_ids_that_are_not_ids(world, role, url):
    """A review found 500s on these: a 404, for everyone."""
    client = _client(world, role)
    assert client.get(url.format(pk=world["a"]["patient"].pk)).status_code == 404


def test_center_admin_membership_form_lists_only_their_people(world):
    """Finding 7: the membership form offered every user of the registry, the superuser too."""
    client = _client(world, "admin_a")
    membership = Membership.objects.get(user=world["users"]["clinician_a"])
    page = client.get(reverse("admin:accounts_membership_change", args=[membership.pk]))
    text = page.content.decode()
    assert "clinician@a.example.org" in text
    assert "root@registry.example" not in text and "secret-member@b.example.org" not in text
