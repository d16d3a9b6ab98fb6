"""The clinic web app through Django's test client: access rules, follow-up entry, errors."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.services import user_add
from clinic.auth import LOCKED
from imaging.models import CalcinosisLesion, Radiograph
from patients.models import Visit
from progression.models import ProgressionSnapshot
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinician(center):
    return user_add(
        email="doc@north.example", center=center, role="clinician", password="a-long-password-1"
    )


@pytest.fixture
def web(client, clinician):
    client.force_login(clinician)
    return client


def follow_up_data(**overrides) -> dict:
    data = {
        "date": "2024-03-20",
        "visit_type": "follow_up",
        "calcinosis_pain_nrs": "6",
        "ulceration": "unknown",
        "infection": "unknown",
        "drainage": "unknown",
        "treatment-TOTAL_FORMS": "1",
        "treatment-INITIAL_FORMS": "0",
        "radiograph-TOTAL_FORMS": "3",
        "radiograph-INITIAL_FORMS": "0",
        "lesion-TOTAL_FORMS": "3",
        "lesion-INITIAL_FORMS": "0",
        "finding-TOTAL_FORMS": "2",
        "finding-INITIAL_FORMS": "0",
        "radiograph-0-body_region": "hand",
        "radiograph-1-body_region": "hand",
        "radiograph-2-body_region": "hand",
        "lesion-0-radiograph_row": "0",
        "lesion-1-radiograph_row": "0",
        "lesion-2-radiograph_row": "0",
        "finding-0-radiograph_row": "0",
        "finding-1-radiograph_row": "0",
    }
    data.update(overrides)
    return data


def test_login_page_and_redirect(client, clinician):
    assert client.get("/patients/").status_code == 302
    response = client.post(
        "/login/", {"username": "DOC@north.example", "password": "a-long-password-1"}
    )
    assert response.status_code == 302 and response["Location"] == "/patients/"


def test_failed_logins_are_throttled(client, clinician):
    """The fifth wrong password locks the account from this address; the right one is then
    refused on the login page with the lockout message (429)."""
    for _ in range(4):
        wrong = client.post("/login/", {"username": "doc@north.example", "password": "wrong"})
        assert wrong.status_code == 200
    fifth = client.post("/login/", {"username": "doc@north.example", "password": "wrong"})
    assert fifth.status_code == 429
    locked = client.post(
        "/login/", {"username": "doc@north.example", "password": "a-long-password-1"}
    )
    assert locked.status_code == 429
    assert LOCKED.format(minutes=15) in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_researcher_cannot_use_the_clinic_app(client, center):
    client.force_login(user_add(email="r@north.example", center=center, role="researcher"))
    assert client.get("/patients/").status_code == 403


def test_another_centers_patient_is_404(web, other_center):
    foreign = factories.make_patient(other_center)
    assert web.get(f"/patients/{foreign.pk}/").status_code == 404
    assert web.get(f"/patients/{foreign.pk}/follow-up/").status_code == 404
    assert web.get(f"/radiographs/{factories.make_radiograph(foreign).pk}/").status_code == 404
    assert foreign.registry_id not in web.get("/patients/").content.decode()


def test_patient_page_shows_score_duration_and_status(web, center):
    patient = factories.make_patient(
        center,
        sclerodactyly=True,
        raynaud_phenomenon=True,
        antibody_aca="positive",
        first_non_raynaud_onset=date(2013, 3, 1),
        first_non_raynaud_onset_precision="month",
    )
    factories.make_lesion(factories.make_radiograph(patient, acquired_on=date(2023, 3, 15)))
    page = web.get(f"/patients/{patient.pk}/").content.decode()
    assert "score 10" in page and "meets" in page
    assert "(Mar 2013)" in page  # a month-precision onset, as known (registry.formatting)
    assert "Baseline only" in page  # one radiograph date: the patient's status is baseline
    assert "<svg" in page


def test_follow_up_saves_visit_radiograph_and_lesion(web, center):
    """A 17 mm lesion on a new left-hand PA: the patient's track grows from 15 mm (+2 mm,
    13 %: below the 25 % cut-off) so the status stays stable."""
    patient = factories.make_patient(center)
    factories.make_lesion(
        factories.make_radiograph(patient, acquired_on=date(2023, 3, 15)), longest_diameter_mm=15
    )
    response = web.post(
        f"/patients/{patient.pk}/follow-up/",
        follow_up_data(
            **{
                "radiograph-0-laterality": "left",
                "radiograph-0-view": "pa",
                "lesion-0-digit": "1",
                "lesion-0-segment": "distal_phalanx",
                "lesion-0-tissue": "soft_tissue",
                "lesion-0-longest_diameter_mm": "17",
            }
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    visit = Visit.objects.get(patient=patient, date=date(2024, 3, 20))
    radiograph = Radiograph.objects.get(visit=visit)
    assert radiograph.laterality == "left" and radiograph.acquired_on == visit.date
    assert CalcinosisLesion.objects.get(radiograph=radiograph).longest_diameter_mm == 17
    page = web.get(response["Location"]).content.decode()
    assert "Follow-up saved. Progression status: stable." in page


def test_follow_up_error_keeps_what_was_typed(web, center):
    patient = factories.make_patient(center)
    response = web.post(
        f"/patients/{patient.pk}/follow-up/",
        follow_up_data(
            **{
                "calcinosis_pain_nrs": "6",
                "ulceration_site": "left thumb pulp",
                "radiograph-0-laterality": "left",
                "radiograph-0-view": "pa",
                "lesion-0-longest_diameter_mm": "150",
                "lesion-0-digit": "1",
            }
        ),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "implausible for a deposit in the hand" in page
    assert 'value="left thumb pulp"' in page and 'value="150"' in page
    assert not Visit.objects.filter(patient=patient).exists()  # all or nothing
    assert not Radiograph.objects.filter(patient=patient).exists()


def test_new_patient_form(web, center):
    response = web.post(
        "/patients/new/",
        {
            "center": center.pk,
            "local_id": "WEB-1",
            "sex": "female",
            "birth_date": "1960-11-02",
            "ssc_subtype": "limited_cutaneous",
            "first_non_raynaud_onset_text": "2013-03",
            "raynaud_onset_text": "2009",
            **{
                f"antibody_{k}": "unknown"
                for k in ("aca", "scl70", "rnap3", "u1rnp", "pmscl", "thto", "u3rnp")
            },
            "sclerodactyly": "on",
        },
    )
    assert response.status_code == 302
    page = web.get(response["Location"]).content.decode()
    assert "WEB-1" in page and "(Mar 2013)" in page and "(2009)" in page


def test_new_patient_bad_partial_date_is_inline(web, center):
    response = web.post(
        "/patients/new/",
        {
            "center": center.pk,
            "local_id": "WEB-2",
            "sex": "female",
            "birth_date": "1960-11-02",
            "ssc_subtype": "undetermined",
            "first_non_raynaud_onset_text": "about 2013",
        },
    )
    assert response.status_code == 200
    assert "Enter a date as YYYY, YYYY-MM or YYYY-MM-DD." in response.content.decode()


def test_list_filters_with_any_selected(web, center):
    """The filter form sends "Any" as empty values; they must not filter (regression)."""
    patient = factories.make_patient(center, local_id="FIND-1")
    page = web.get(
        "/patients/",
        {"q": "FIND-1", "ssc_subtype": "", "aca": "", "status": "", "disease_duration_min": ""},
    ).content.decode()
    assert patient.registry_id in page


def test_untouched_radiograph_rows_create_nothing(web, center):
    """A browser sends every select; untouched radiograph rows send blanks (regression: the
    first side and view used to be sent and created phantom radiographs)."""
    patient = factories.make_patient(center)
    data = follow_up_data(
        **{f"radiograph-{i}-{name}": "" for i in range(3) for name in ("laterality", "view")}
    )
    assert web.post(f"/patients/{patient.pk}/follow-up/", data).status_code == 302
    assert Visit.objects.filter(patient=patient).count() == 1
    assert not Radiograph.objects.filter(patient=patient).exists()


def test_list_reads_snapshot_statuses_not_their_documents(web, center):
    """The badge needs the status only: no query reads the result documents, and the page
    costs the same number of queries for 2 patients as for 6."""

    def add_stable_patients(count: int) -> None:
        for _ in range(count):
            ProgressionSnapshot.objects.update_or_create(
                patient=factories.make_patient(center),
                defaults={"status": "stable", "computed_at": timezone.now(), "result": {"x": 1}},
            )

    def list_page() -> tuple[str, list[str]]:
        with CaptureQueriesContext(connection) as queries:
            page = web.get("/patients/").content.decode()
        return page, [query["sql"] for query in queries.captured_queries]

    add_stable_patients(2)
    page, two = list_page()
    assert page.count('class="badge status-stable"') == 2
    add_stable_patients(4)
    page, six = list_page()
    assert page.count('class="badge status-stable"') == 6
    assert len(two) == len(six)
    assert not any('"progression_progressionsnapshot"."result"' in sql for sql in six)
