"""The cohort page (issue #16): counts, burden by disease duration, Kaplan-Meier, per role."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access_log.models import AccessedPatient, AccessKind, AccessLogEntry
from accounts import research_fields
from accounts.services import user_add
from clinic.views.cohort import COHORT_FILTERS
from progression.services import progression_recompute_many
from tests import factories

pytestmark = pytest.mark.django_db
URL = "/cohort/"
ONSET = {"first_non_raynaud_onset": date(2014, 1, 1), "first_non_raynaud_onset_precision": "day"}


def followed(center, diameters: list[tuple[date, float]], **fields):
    """A patient with one left-hand radiograph per date and one lesion of that diameter."""
    patient = factories.make_patient(center, **{**ONSET, **fields})
    for day, diameter in diameters:
        radiograph = factories.make_radiograph(patient, acquired_on=day)
        factories.make_lesion(radiograph, longest_diameter_mm=diameter)
    return patient


@pytest.fixture
def tiny(center):
    """Four patients worked by hand, first radiograph 2020-01-01 each (onset 2014-01-01):

    A 10 -> 15 mm on 2021-01-01: +5 mm >= 2 and >= 25 % of 10: progression at 366 / 365.25 =
      1.002 years; B 10 -> 10 mm on 2022-01-01: stable, censored at 731 / 365.25 = 2.001;
    C (diffuse, onset 2008-01-01) 10 -> 20 mm on 2023-01-01: progression at 1096 / 365.25 =
      3.001;
    D 10 mm once: baseline only, censored at 0.
    """
    start = date(2020, 1, 1)
    patients = [
        followed(center, [(start, 10.0), (date(2021, 1, 1), 15.0)], local_id="LOCAL-A"),
        followed(center, [(start, 10.0), (date(2022, 1, 1), 10.0)], local_id="LOCAL-B"),
        followed(
            center,
            [(start, 10.0), (date(2023, 1, 1), 20.0)],
            local_id="LOCAL-C",
            ssc_subtype="diffuse_cutaneous",
            first_non_raynaud_onset=date(2008, 1, 1),
        ),
        followed(center, [(start, 10.0)], local_id="LOCAL-D"),
    ]
    progression_recompute_many(patient_ids=[p.pk for p in patients])
    return patients


@pytest.fixture
def clinician(center):
    return user_add(email="doc@north.example", center=center, role="clinician")


@pytest.fixture
def researcher(center):
    return user_add(email="res@north.example", center=center, role="researcher")


def cells(html: str, caption: str) -> list[list[str]]:
    """The text of each body row of the table with ``caption`` (tags stripped)."""
    table = html.split(caption, 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [
        [
            unescape(re.sub(r"<[^>]+>|\s+", " ", cell)).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_clinician_sees_counts_bands_curve_and_rules(client, clinician, tiny):
    """Hand-worked: 2 progression, 1 stable, 1 baseline; S = 1 - 1/3 = 66.7 % after 1.002 years
    (3 at risk: D was censored at 0), 0 after 3.001; at risk 4, 3, 2, 1 at years 0 to 3."""
    client.force_login(clinician)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    statuses = {row[0]: row[1] for row in cells(html, "Patients per current progression status")}
    assert statuses == {
        "Progression": "2",
        "Stable": "1",
        "Regression": "0",
        "Complete resolution": "0",
        "Baseline only": "1",
        "No radiograph": "0",
        "Not computed yet": "0",
    }
    steps = cells(html, "Product-limit steps")
    assert steps == [
        ["0.00", "4", "0", "1", "100.0 %"],
        ["1.00", "3", "1", "0", "66.7 %"],
        ["2.00", "2", "0", "1", "66.7 %"],
        ["3.00", "1", "1", "0", "0.0 %"],
    ]
    assert cells(html, "Numbers at risk at each whole year") == [
        ["0", "4"],
        ["1", "3"],
        ["2", "2"],
        ["3", "1"],
    ]
    # Under the chart's axis: the same numbers at the yearly ticks, 0 at year 4 (axis end).
    at_risk = re.findall(r'class="at-risk">(\d+)<', html)
    assert at_risk == ["4", "3", "2", "1", "0"]
    assert 'role="img"' in html and '<title id="km-title">' in html
    # Onset 2014-01-01: A, B, D's points (5 of them, all 10 mm but A's 15) fall in 5-10 years;
    # C's 10 mm at 4383 / 365.25 = 12.0 years and 20 mm at 5479 / 365.25 = 15.0007 years.
    bands = {row[0]: row[1:] for row in cells(html, "by disease-duration band")}
    assert bands["5-10"] == ["3", "5", "10.0 (10.0\u201310.0)", "1 (1\u20131)"]
    assert bands["10-15"][:3] == ["1", "1", "10.0 (10.0\u201310.0)"]
    assert bands["15-20"][:3] == ["1", "1", "20.0 (20.0\u201320.0)"]
    assert bands["<5"][:2] == ["0", "0"] and bands["≥20"][:2] == ["0", "0"]
    assert "absolute_floor_mm" in html and "2.0 mm" in html and "25 %" in html


def test_filters_by_subtype(client, clinician, tiny):
    client.force_login(clinician)
    html = client.get(URL, {"ssc_subtype": "diffuse_cutaneous", "aca": ""}).content.decode()
    statuses = {row[0]: row[1] for row in cells(html, "Patients per current progression status")}
    assert (statuses["Progression"], statuses["Stable"]) == ("1", "0")


def test_a_bad_filter_answers_400_naming_it(client, clinician, tiny):
    client.force_login(clinician)
    response = client.get(URL, {"disease_duration_min": "-1"})
    assert response.status_code == 400
    assert "disease_duration_min" in response.content.decode()


def test_clinician_counts_only_their_centers(client, clinician, tiny, other_center):
    followed(other_center, [(date(2020, 1, 1), 10.0), (date(2021, 1, 1), 30.0)])
    client.force_login(clinician)
    html = client.get(URL).content.decode()
    assert "4 patients;" in html
    other = user_add(email="doc@south.example", center=other_center, role="clinician")
    client.force_login(other)
    assert "1 patient;" in client.get(URL).content.decode()


def test_researcher_sees_suppressed_counts_and_no_identifier(client, researcher, tiny, settings):
    """Min cell 2: 4 consented patients show, 2 progressed show; 1 stable and 1 baseline read
    "fewer than 2"; the patient without consent is not counted at all."""
    settings.REGISTRY_MIN_CELL_SIZE = 2
    hidden = followed(tiny[0].center, [(date(2020, 1, 1), 10.0)], local_id="LOCAL-E", consent=False)
    progression_recompute_many(patient_ids=[hidden.pk])
    client.force_login(researcher)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "4 patients;" in html
    statuses = {row[0]: row[1] for row in cells(html, "Patients per current progression status")}
    assert statuses["Progression"] == "2"
    assert statuses["Stable"] == statuses["Baseline only"] == "fewer than 2"
    # A band of 1 patient hides everything; steps and years with 1 at risk are dropped.
    bands = {row[0]: row[1:] for row in cells(html, "by disease-duration band")}
    assert bands["5-10"][:2] == ["3", "5"] and bands["10-15"][0] == "fewer than 2"
    assert [row[0] for row in cells(html, "Product-limit steps")] == ["0.00", "1.00", "2.00"]
    assert re.findall(r'class="at-risk">([^<]+)<', html) == ["4", "3", "2", "&lt;2"]
    for patient in [*tiny, hidden]:
        assert patient.local_id not in html and patient.registry_id not in html


def test_researcher_small_cohort_shows_no_figure(client, researcher, tiny):
    """Four patients under the default minimum cell of 5: only the shape of the page."""
    client.force_login(researcher)
    html = client.get(URL).content.decode()
    assert "Fewer than 5 patients match" in html
    assert "Product-limit steps" not in html and "absolute_floor_mm" in html


def test_the_read_is_logged_as_a_count(client, clinician, tiny):
    client.force_login(clinician)
    client.get(URL)
    entry = AccessLogEntry.objects.get(kind=AccessKind.CLINIC_COHORT)
    assert (entry.patient_count, entry.route) == (4, "clinic:cohort")
    assert not AccessedPatient.objects.filter(entry=entry).exists()


def test_no_role_gets_the_styled_page_and_anonymous_the_login(client):
    from django.contrib.auth import get_user_model

    assert "/login/" in client.get(URL)["Location"]
    client.force_login(get_user_model().objects.create_user("nobody@example.org"))
    response = client.get(URL)
    assert response.status_code == 403
    assert "clinic/no_center.html" in [t.name for t in response.templates]


def test_menu_links_the_page(client, clinician):
    client.force_login(clinician)
    html = client.get(reverse("clinic:cohort")).content.decode()
    assert f'<a href="{URL}">Cohort</a>' in html


def _queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, {"ssc_subtype": "limited_cutaneous"}).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_cohort(client, clinician, center):
    """3 patients or 30: the same number of queries (the stored snapshots, read in bulk)."""
    start = date(2020, 1, 1)
    first = [followed(center, [(start, 10.0), (date(2021, 1, 1), 12.0)]) for _ in range(3)]
    progression_recompute_many(patient_ids=[p.pk for p in first])
    small = _queries(client, clinician)
    more = [followed(center, [(start, 10.0), (date(2021, 1, 1), 15.0)]) for _ in range(27)]
    progression_recompute_many(patient_ids=[p.pk for p in more])
    assert _queries(client, clinician) == small


def test_every_filter_of_the_page_is_on_the_research_allow_list():
    """The page offers researchers its filters: each must be one they may use."""
    assert set(COHORT_FILTERS) <= research_fields.PATIENT_FILTERS
