"""Issue #16: the researchers' home. The clinic home sends each role to its page, a researcher on
a clinical page gets the styled 403 (menu, reason, no traceback logged), and the exports page
requests exports through the API's service, lists one's own and shows their manifests."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.services import user_add
from clinic.access import NOT_CLINICAL
from clinic.views import home
from exports.models import ExportJob
from exports.services import PACKAGE_NOT_WIDE, TOO_FEW_PATIENTS
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort_center(settings):
    settings.REGISTRY_MIN_CELL_SIZE = 2
    # Three patients are below any K: generalizing would leave none (tests/exports/
    # test_k_anonymity_exports.py tests the page's generalized exports).
    settings.REGISTRY_EXPORT_RESEARCH_GENERALIZE = False
    center = factories.make_center("home", "Home clinic")
    for n in range(3):
        patient = factories.make_patient(center, local_id=f"MRN-PAGE-{n}")
        factories.make_visit(patient, date=date(2022, 5, 2))
        radiograph = factories.make_radiograph(patient, acquired_on=date(2022, 5, 2))
        factories.make_lesion(radiograph, longest_diameter_mm=6.0)
    return center


@pytest.fixture
def researcher(cohort_center):
    return user_add(email="res@home.example", center=cohort_center, role="researcher")


@pytest.fixture
def clinician(cohort_center):
    return user_add(email="doc@home.example", center=cohort_center, role="clinician")


def test_home_sends_each_role_to_its_page(client, researcher, clinician, monkeypatch):
    assert client.get("/")["Location"] == reverse("clinic:login")
    client.force_login(clinician)
    assert client.get("/")["Location"] == reverse("clinic:patient-list")
    client.force_login(researcher)
    assert client.get("/")["Location"] == reverse("clinic:cohort")

    def no_cohort(name, *args, **kwargs):
        raise NoReverseMatch(name)

    monkeypatch.setattr(home, "reverse", lambda name, *a, **k: (
        no_cohort(name) if name == "clinic:cohort" else reverse(name, *a, **k)
    ))
    assert client.get("/")["Location"] == reverse("clinic:exports")
    client.force_login(get_user_model().objects.create_user("nobody@example.org"))
    response = client.get("/")
    assert response.status_code == 403 and b"No center yet" in response.content


def test_a_researcher_signs_in_to_their_home(client, researcher, clinician):
    """Regression (issue #16): the sign-in sent everyone to the patient list, a 403 for them."""
    for user, home_page in ((researcher, "clinic:cohort"), (clinician, "clinic:patient-list")):
        user.set_password("a-long-passphrase-2026")
        user.save()
        response = client.post(reverse("clinic:login"), {
            "username": user.email, "password": "a-long-passphrase-2026"
        })
        assert response["Location"] == reverse(home_page)
        client.logout()


def test_a_researcher_on_a_clinical_page_gets_the_styled_403(client, researcher, caplog):
    """Regression (issue #16): not a bare '403 Forbidden' with a traceback per request."""
    client.force_login(researcher)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(reverse("clinic:patient-list"))
    assert response.status_code == 403
    page = response.content.decode()
    assert NOT_CLINICAL in page
    assert 'class="topbar"' in page and "Log out" in page
    assert f'href="{reverse("clinic:exports")}"' in page  # the pages this role has
    forbidden = [r for r in caplog.records if r.name == "django.request"]
    assert [r.levelname for r in forbidden] == ["WARNING"]
    assert all(r.exc_info is None and r.exc_text is None for r in caplog.records)


def test_a_permission_denied_raised_by_a_view_is_styled_too(client, cohort_center, caplog):
    """Center admins only: a clinician gets the page with the view's reason, no traceback."""
    clinician = user_add(email="doc2@home.example", center=cohort_center, role="clinician")
    patient = factories.make_patient(cohort_center)
    client.force_login(clinician)
    with caplog.at_level(logging.WARNING):
        response = client.get(reverse("clinic:patient-subject-access", args=[patient.pk]))
    assert response.status_code == 403 and b'class="topbar"' in response.content
    assert all(r.exc_info is None for r in caplog.records)


def test_handler403_answers_json_under_the_api_and_the_page_elsewhere(rf, researcher):
    """Refusals raised outside a view (a middleware) reach handler403."""
    from django.core.exceptions import PermissionDenied

    from registry.forbidden import NOT_ALLOWED, forbidden

    api = forbidden(rf.get("/api/v1/patients/"), PermissionDenied("Not yours."))
    assert api.status_code == 403
    assert json.loads(api.content)["errors"][0] == {
        "field": None, "code": "permission_denied", "message": "Not yours."
    }
    request = rf.get("/patients/")
    request.user = researcher
    page = forbidden(request, PermissionDenied())
    assert page.status_code == 403 and NOT_ALLOWED in page.content.decode()


def test_the_page_offers_the_research_form(client, researcher):
    client.force_login(researcher)
    response = client.get(reverse("clinic:exports"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="level" value="all"' in page and "checked" in page
    assert 'type="password" name="project_key"' in page
    assert 'value="shift"' not in page  # researchers export dates as recorded
    assert 'name="progression_fraction"' in page
    assert "No export yet." in page


def test_requesting_an_export_runs_it_and_shows_the_manifest(
    client, researcher, django_capture_on_commit_callbacks
):
    client.force_login(researcher)
    form = {"level": "all", "format": "csv", "date_mode": "keep",
            "ssc_subtype": ["limited_cutaneous"], "project_key": "PROJECT-SECRET-77"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("clinic:exports"), form)
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("clinic:export-detail", args=[job.pk])
    assert (job.level, job.research, job.filters) == (
        "all", True, {"ssc_subtype": ["limited_cutaneous"]}
    )
    page = client.get(response["Location"]).content.decode()
    assert f"Export {job.pk} requested" in page
    assert "Ready" in page and reverse("api:export-download", args=[job.pk]) in page
    assert "<code>lesions.csv</code></td><td>3</td>" in page
    assert "lesions.csv (patient, radiograph_number) = radiographs.csv" in page
    listing = client.get(reverse("clinic:exports")).content.decode()
    assert "PROJECT-SECRET-77" not in page + listing
    assert client.get(reverse("api:export-download", args=[job.pk])).status_code == 200


def test_a_refused_request_names_the_field(client, clinician, researcher, settings):
    client.force_login(clinician)
    response = client.post(reverse("clinic:exports"),
                           {"level": "all", "format": "csv_wide", "date_mode": "shift"})
    assert response.status_code == 400
    assert PACKAGE_NOT_WIDE in response.content.decode()
    settings.REGISTRY_MIN_CELL_SIZE = 10
    client.force_login(researcher)
    response = client.post(reverse("clinic:exports"),
                           {"level": "patients", "format": "csv", "date_mode": "keep"})
    assert response.status_code == 400
    assert TOO_FEW_PATIENTS.format(limit=10) in response.content.decode()
    assert not ExportJob.objects.exists()


def test_spss_and_stata_are_offered_explained_and_limited(client, researcher, settings):
    client.force_login(researcher)
    page = client.get(reverse("clinic:exports")).content.decode()
    assert '<option value="sav">SPSS (.sav, labelled)</option>' in page
    assert '<option value="dta">Stata (.dta, labelled)</option>' in page
    assert "sav and dta: SPSS and Stata files with variable labels" in page
    settings.REGISTRY_EXPORT_LABELLED_MAX_ROWS = 2  # 3 lesions
    response = client.post(reverse("clinic:exports"),
                           {"level": "lesions", "format": "dta", "date_mode": "keep"})
    assert response.status_code == 400
    assert "SPSS and Stata files are built in memory: this export has 3 rows" in (
        response.content.decode())
    assert not ExportJob.objects.exists()


def test_only_ones_own_exports_are_listed(client, researcher, clinician):
    admin = get_user_model().objects.create_superuser("root@example.org", password="x")
    theirs = factories.make_export_job(clinician)
    mine = factories.make_export_job(researcher, level="all")
    for user, shown, hidden in ((researcher, mine, theirs), (admin, None, theirs)):
        client.force_login(user)
        page = client.get(reverse("clinic:exports")).content.decode()
        assert f">Export {hidden.pk}<" not in page
        if shown:
            assert f">Export {shown.pk}<" in page and "Every level, one package" in page
            assert 'data-export-poll="/api/v1/exports/' in page  # still pending: polled
        assert client.get(reverse("clinic:export-detail", args=[theirs.pk])).status_code == 404


def test_an_expired_export_says_so(client, researcher):
    job = factories.make_export_job(researcher, status="expired", finished_at=timezone.now())
    client.force_login(researcher)
    assert "Expired: the file was deleted" in client.get(reverse("clinic:exports")).content.decode()
    page = client.get(reverse("clinic:export-detail", args=[job.pk])).content.decode()
    assert "Request it again" in page and "Download zip" not in page


def test_an_export_due_to_expire_is_expired_when_shown(
    client, researcher, django_capture_on_commit_callbacks
):
    client.force_login(researcher)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("clinic:exports"),
                    {"level": "patients", "format": "csv", "date_mode": "keep"})
    job = ExportJob.objects.get()
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    page = client.get(reverse("clinic:export-detail", args=[job.pk])).content.decode()
    assert "Expired: the file was deleted" in page
    job.refresh_from_db()
    assert job.status == "expired" and not job.file
