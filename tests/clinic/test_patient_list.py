"""The patient list: sortable columns from an allow-list, age, the query count, the locale."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.services import user_add
from clinic.patient_sort import DEFAULT_SORT, header, parse_sort
from patients.models import Patient
from progression.services import progression_recompute
from tests import factories

pytestmark = pytest.mark.django_db
ROW_ID = re.compile(r'<a href="/patients/\d+/">([^<]+)</a>')


@pytest.fixture
def web(client, center):
    client.force_login(
        user_add(email="doc@north.example", center=center, role="clinician", password="x" * 14)
    )
    return client


def registry_ids(web, query: str = "") -> list[str]:
    return ROW_ID.findall(web.get(f"/patients/{query}").content.decode())


@pytest.fixture
def three(center):
    """A: 40 years old, onset known to the year 2010 (midpoint 1 July 2010), visit 2024-01-10;
    B: 70, onset 2010-06-20 (day), no visit; C: 55, onset 2015-03 (midpoint 15 March 2015),
    visit 2022-05-01. Onset order: B (20 June 2010) < A (1 July 2010) < C."""
    today = timezone.localdate()
    a = factories.make_patient(
        center,
        local_id="A",
        birth_date=date(today.year - 40, 1, 1),
        first_non_raynaud_onset=date(2010, 1, 1),
        first_non_raynaud_onset_precision="year",
    )
    b = factories.make_patient(
        center,
        local_id="B",
        birth_date=date(today.year - 70, 1, 1),
        first_non_raynaud_onset=date(2010, 6, 20),
        first_non_raynaud_onset_precision="day",
    )
    c = factories.make_patient(
        center,
        local_id="C",
        birth_date=date(today.year - 55, 1, 1),
        first_non_raynaud_onset=date(2015, 3, 1),
        first_non_raynaud_onset_precision="month",
    )
    factories.make_visit(a, date=date(2024, 1, 10))
    factories.make_visit(c, date=date(2022, 5, 1))
    return {p.local_id: p.registry_id for p in (a, b, c)}


def locals_of(ids: list[str], three: dict) -> str:
    by_registry = {v: k for k, v in three.items()}
    return "".join(by_registry[i] for i in ids)


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("local_id", "ABC"),
        ("-local_id", "CBA"),
        ("age", "ACB"),  # youngest first
        ("-age", "BCA"),
        ("duration", "CAB"),  # shortest first: the latest onset
        ("-duration", "BAC"),  # B's onset (20 June 2010) is before A's midpoint (1 July 2010)
        ("last_visit", "CAB"),  # oldest visit first, no visit last
        ("-last_visit", "ACB"),  # newest first, no visit still last
    ],
)
def test_columns_sort_both_ways(web, three, sort, order):
    assert locals_of(registry_ids(web, f"?sort={sort}"), three) == order


def test_registry_id_and_updated_sort(web, three):
    ids = sorted(three.values())
    assert registry_ids(web, "?sort=registry_id") == ids
    assert registry_ids(web, "?sort=-registry_id") == ids[::-1]
    Patient.objects.filter(local_id="A").update(updated_at=timezone.now() + timedelta(hours=1))
    assert locals_of(registry_ids(web, "?sort=-updated"), three)[0] == "A"
    assert locals_of(registry_ids(web, "?sort=updated"), three)[-1] == "A"


def test_status_sorts_the_most_severe_first(web, center):
    grown = factories.make_patient(center, local_id="GROWN")
    for day, mm in ((date(2022, 1, 1), 10), (date(2023, 1, 1), 20)):  # +10 mm, +100 %
        radiograph = factories.make_radiograph(grown, acquired_on=day)
        factories.make_lesion(radiograph, longest_diameter_mm=mm)
    none = factories.make_patient(center, local_id="NONE")
    for patient in (grown, none):
        progression_recompute(patient_id=patient.pk)
    assert grown.progression_snapshot.status == "progression"
    page = web.get("/patients/?sort=status").content.decode()
    assert page.index("GROWN") < page.index("NONE")
    page = web.get("/patients/?sort=-status").content.decode()
    assert page.index("NONE") < page.index("GROWN")


@pytest.mark.parametrize("sort", ["nonsense", "-", "--age", "birth_date", "password", ""])
def test_unknown_sort_keys_fall_back_to_the_default(web, three, sort):
    response = web.get(f"/patients/?sort={sort}")
    assert response.status_code == 200
    assert response.context["sort"] == parse_sort(DEFAULT_SORT)


def test_headers_link_the_sort_and_say_it(web, three):
    page = web.get("/patients/?sort=age&ssc_subtype=limited_cutaneous&page=1").content.decode()
    # The sorted column says so and its link reverses it, keeping the filter, not the page.
    assert 'aria-sort="ascending"' in page and page.count("aria-sort=") == 1
    assert 'href="?sort=-age&amp;ssc_subtype=limited_cutaneous"' in page
    assert 'href="?sort=duration&amp;ssc_subtype=limited_cutaneous"' in page
    # The filter form keeps the sort when it is submitted.
    assert '<input type="hidden" name="sort" value="age">' in page
    assert header("age", parse_sort("-age"))["aria_sort"] == "descending"


def test_paging_keeps_the_sort(web, center):
    for number in range(27):
        factories.make_patient(center, local_id=f"P{number:02d}", consent=False)
    first = web.get("/patients/?sort=local_id").content.decode()
    assert "P00" in first and "P26" not in first
    assert 'href="?sort=local_id&amp;page=2"' in first
    second = web.get("/patients/?sort=local_id&page=2").content.decode()
    assert "P26" in second and "P00" not in second


def test_age_column(web, center):
    """Born 50 years ago on a day of this month no later than today: 50 today."""
    today = timezone.localdate()
    factories.make_patient(center, birth_date=date(today.year - 50, today.month, 1))
    assert "<td>50</td>" in web.get("/patients/").content.decode()


def _queries(web, query: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert web.get(f"/patients/{query}").status_code == 200
    return len(captured)


@pytest.mark.parametrize("sort", ["-updated", "age", "-duration", "status", "last_visit"])
def test_query_count_does_not_grow_with_the_patients(web, center, sort):
    """3 or 30 patients (a full page of 25), each with a visit: the same number of queries."""
    for _ in range(3):
        factories.make_visit(factories.make_patient(center))
    few = _queries(web, f"?sort={sort}")
    for _ in range(27):
        factories.make_visit(factories.make_patient(center))
    assert _queries(web, f"?sort={sort}") == few


def test_dates_and_numbers_follow_the_browser(web, center):
    patient = factories.make_patient(
        center,
        first_non_raynaud_onset=date(2013, 3, 1),
        first_non_raynaud_onset_precision="month",
    )
    factories.make_visit(patient, date=date(2023, 3, 14))
    english = web.get("/patients/").content.decode()
    assert ">Mar 14, 2023</time>" in english
    german = web.get("/patients/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()
    assert ">14. Mär 2023</time>" in german
    assert re.search(r"<td>\d+,\d y</td>", german)  # disease duration with a decimal comma
    british = web.get("/patients/", HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()
    assert ">14 Mar 2023</time>" in british
    response = web.get("/patients/", HTTP_ACCEPT_LANGUAGE="de")
    assert "Accept-Language" in response["Vary"]


def test_the_words_stay_english_in_any_locale(web, center):
    """Only formats follow the browser: Django's own messages are not translated beside ours."""
    response = web.post("/patients/new/", {"center": center.pk}, HTTP_ACCEPT_LANGUAGE="de")
    page = response.content.decode()
    assert "This field is required." in page and "Dieses Feld" not in page
