"""The admin is for superusers and center admins; a center admin sees only their centers."""

import pytest
from django.urls import reverse

from accounts.services import user_add
from registry.admin_site import NOT_FOR_YOU
from tests.factories import make_center, make_patient

PASSWORD = "pw-long-enough-1"

pytestmark = pytest.mark.django_db


@pytest.fixture
def center_admin_client(client, center):
    user = user_add(
        email="doc@north.example", center=center, role="center_admin", password="pw-long-enough-1"
    )
    client.force_login(user)
    return client


def test_changelist_is_scoped_to_the_center_admins_center(center_admin_client, center):
    mine = make_patient(center, local_id="MINE-1")
    theirs = make_patient(make_center("far"), local_id="THEIRS-1")
    page = center_admin_client.get(reverse("admin:patients_patient_changelist"))
    assert page.status_code == 200
    assert mine.registry_id in page.content.decode()
    assert theirs.registry_id not in page.content.decode()
    other = center_admin_client.get(reverse("admin:patients_patient_change", args=[theirs.pk]))
    assert other.status_code in (302, 404)  # the admin redirects "does not exist" to the index


def test_search_by_local_id(center_admin_client, center):
    patient = make_patient(center, local_id="FIND-ME-7")
    page = center_admin_client.get(reverse("admin:patients_patient_changelist"), {"q": "FIND-ME-7"})
    assert patient.registry_id in page.content.decode()


def test_admin_add_patient_computes_the_score(center_admin_client, center):
    """Adding through the admin goes through the service: sclerodactyly 4 + Raynaud 3 = 7."""
    url = reverse("admin:patients_patient_add")
    form = {
        "center": center.pk,
        "local_id": "ADM-1",
        "sex": "female",
        "birth_date": "1970-05-01",
        "ssc_subtype": "limited_cutaneous",
        "sclerodactyly": "on",
        "raynaud_phenomenon": "on",
        **{
            f"antibody_{k}": "unknown"
            for k in ("aca", "scl70", "rnap3", "u1rnp", "pmscl", "thto", "u3rnp")
        },
    }
    for prefix in ("subtype_assessments", "visits", "treatments", "radiographs"):
        form.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = center_admin_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    from patients.models import Patient

    patient = Patient.objects.get(local_id="ADM-1")
    assert patient.acr_eular_2013_score == 7
    assert patient.history.first().history_source == "admin"


@pytest.mark.parametrize("role", ["researcher", "clinician"])
def test_clinicians_and_researchers_have_no_admin(client, center, role):
    """Clinicians work in the clinic app, researchers in the API: the admin sends them to its
    login, which refuses them with the reason."""
    user = user_add(email="u@north.example", center=center, role=role, password="pw-long-enough-1")
    client.force_login(user)
    assert client.get(reverse("admin:patients_patient_changelist")).status_code == 302
    client.logout()
    page = client.post(
        reverse("admin:login"), {"username": "u@north.example", "password": "pw-long-enough-1"}
    )
    assert NOT_FOR_YOU in page.content.decode()


def test_a_right_password_the_admin_refuses_is_not_a_failed_sign_in(client, center):
    """Five admin sign-ins of a clinician with the right password did lock the clinic login."""
    user_add(email="doc@north.example", center=center, role="clinician", password=PASSWORD)
    for _ in range(6):
        client.post(reverse("admin:login"), {"username": "doc@north.example", "password": PASSWORD})
    signed_in = client.post("/login/", {"username": "doc@north.example", "password": PASSWORD})
    assert signed_in.status_code == 302


@pytest.mark.parametrize(
    "model", ["progression_progressionsnapshot", "progression_recomputejob", "exports_exportjob"]
)
def test_job_records_are_read_only_and_for_superusers(center_admin_client, model):
    """Records the registry's own jobs write: superusers read them, nobody adds or edits."""
    from django.contrib.auth import get_user_model

    assert center_admin_client.get(reverse(f"admin:{model}_changelist")).status_code == 403
    admin_user = get_user_model().objects.create_superuser(
        username="root", email="root@registry.example", password="pw-long-enough-1"
    )
    center_admin_client.force_login(admin_user)  # the same test client, now the superuser's
    assert center_admin_client.get(reverse(f"admin:{model}_changelist")).status_code == 200
    assert center_admin_client.get(reverse(f"admin:{model}_add")).status_code == 403
