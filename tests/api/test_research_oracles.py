"""Security review, issue #12, finding 2 (and the cursor part of 13): no filter, ordering,
cursor, count or error reveals to a researcher a value they cannot read."""

from __future__ import annotations

import base64
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from accounts.research_fields import NOT_AVAILABLE
from accounts.services import user_add
from api.pagination import INVALID_CURSOR
from progression.cohort_summary import cohort_summary_suppressed
from tests import factories
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

BIRTH_DATES = ("1958-07-23", "1961-02-14", "1970-12-01")


@pytest.fixture
def researcher(center):
    return client_for(user_add(email="r@north.example", center=center, role="researcher"))


@pytest.fixture
def patients(center):
    return [
        factories.make_patient(center, birth_date=date.fromisoformat(day)) for day in BIRTH_DATES
    ]


def error_fields(response) -> dict[str, str]:
    return {error["field"]: error["message"] for error in response.json()["errors"]}


def cursor_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["cursor"][0]


@pytest.mark.parametrize(
    "query",
    [
        "birth_date_after=1958-07-01&birth_date_before=1958-07-31",
        "birth_date_before=1960-01-01",
        "local_id=MRN-1",
        "ordering=birth_date",
        "ordering=-birth_date",
        "ordering=registry_id,birth_date",
        "ordering=local_id",
    ],
)
def test_finding2_hidden_filters_and_orderings_are_400_for_researchers(
    researcher, patients, query
):
    """Each names its parameter with the module's message and echoes no value."""
    response = researcher.get(f"/api/v1/patients/?{query}")
    assert response.status_code == 400
    names = {pair.split("=")[0] for pair in query.split("&")}
    assert error_fields(response) == dict.fromkeys(names, NOT_AVAILABLE)
    assert "1958" not in response.content.decode()


def test_finding2_birth_date_filter_refused_on_the_detail_too(researcher, patients):
    """DRF filters a detail's queryset too: 200 versus 404 would bisect the date."""
    pk = patients[0].pk
    response = researcher.get(f"/api/v1/patients/{pk}/?birth_date_after=1958-07-23")
    assert response.status_code == 400
    assert error_fields(response) == {"birth_date_after": NOT_AVAILABLE}


def test_finding2_researchers_filter_by_birth_year(researcher, patients):
    """A year is what they read: birth_year, birth_year_min and birth_year_max work."""
    exact = researcher.get("/api/v1/patients/?birth_year=1958").json()["results"]
    assert [row["registry_id"] for row in exact] == [patients[0].registry_id]
    ranged = researcher.get("/api/v1/patients/?birth_year_min=1960&birth_year_max=1965")
    assert [row["birth_year"] for row in ranged.json()["results"]] == [1961]


def test_finding2_allowed_orderings_and_other_lists_still_work(researcher, patients):
    assert researcher.get("/api/v1/patients/?ordering=-registry_id").status_code == 200
    assert researcher.get("/api/v1/visits/?ordering=date").status_code == 200
    assert researcher.get("/api/v1/visits/?notes=x").status_code == 400


def test_finding2_clinicians_keep_birth_date_filters_and_ordering(api, patients):
    response = api.get("/api/v1/patients/?ordering=birth_date&birth_date_after=1960-01-01")
    assert response.status_code == 200
    assert [row["birth_date"] for row in response.json()["results"]] == list(BIRTH_DATES[1:])


def test_finding2_cursor_is_opaque(api, patients):
    """The next link of ``ordering=birth_date&page_size=1`` decodes to no birth date."""
    response = api.get("/api/v1/patients/?ordering=birth_date&page_size=1")
    cursor = cursor_of(response.json()["next"])
    decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    for day in BIRTH_DATES:
        assert day not in cursor and day.encode() not in decoded
    following = api.get("/api/v1/patients/", {"ordering": "birth_date", "page_size": 1,
                                              "cursor": cursor})
    assert [row["birth_date"] for row in following.json()["results"]] == [BIRTH_DATES[1]]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        base64.b64encode(b"p=1958-07-23").decode(),  # DRF's own format
        base64.b64encode(b"p=not-a-date&r=1").decode(),
        "gAAAAA" + "A" * 80,
        "é",
    ],
)
def test_finding13_forged_cursor_is_400_not_500(api, patients, cursor):
    """A forged or foreign cursor answers the JSON error shape naming ``cursor``."""
    response = api.get("/api/v1/patients/", {"ordering": "birth_date", "cursor": cursor})
    assert response.status_code == 400
    assert error_fields(response) == {"cursor": INVALID_CURSOR}


def test_finding13_tampered_or_reused_cursor_is_400(api, patients):
    """One changed character, or a cursor made for another ordering, is refused."""
    cursor = cursor_of(api.get("/api/v1/patients/?ordering=birth_date&page_size=1").json()["next"])
    tampered = cursor[:-5] + ("A" if cursor[-5] != "A" else "B") + cursor[-4:]
    for query in (
        {"ordering": "birth_date", "cursor": tampered},
        {"ordering": "registry_id", "cursor": cursor},
    ):
        response = api.get("/api/v1/patients/", {**query, "page_size": 1})
        assert response.status_code == 400
        assert error_fields(response) == {"cursor": INVALID_CURSOR}


def test_finding2_cohort_below_cell_size_is_suppressed(researcher, patients, settings):
    """Three patients with a cell size of 5: every count is null, with the note."""
    settings.REGISTRY_MIN_CELL_SIZE = 5
    summary = researcher.get("/api/v1/cohort/progression/").json()
    assert summary["patients"] is None
    assert set(summary["status_counts"].values()) == {None}
    assert summary["kaplan_meier"]["follow_up"]["steps"] == []
    assert "REGISTRY_MIN_CELL_SIZE" in summary["suppressed"]
    refused = researcher.get("/api/v1/cohort/progression/?birth_date_before=1960-01-01")
    assert refused.status_code == 400
    assert error_fields(refused) == {"birth_date_before": NOT_AVAILABLE}


def test_finding2_cohort_counts_shown_from_cell_size(researcher, api, patients, settings):
    """At the cell size the total shows; small cells stay null; clinicians see everything."""
    settings.REGISTRY_MIN_CELL_SIZE = 3
    summary = researcher.get("/api/v1/cohort/progression/").json()
    assert summary["patients"] == 3
    assert (summary["computed"], summary["not_computed"]) == (0, 3)
    assert "suppressed" not in api.get("/api/v1/cohort/progression/").json()


def test_finding2_suppression_is_pure_and_hides_small_cells():
    """Cells from 1 to K-1, small bands' statistics and thin Kaplan-Meier tails go."""
    band = {"label": "0-5", "lower_years": 0, "upper_years": 5, "n": 2, "sld_mean_mm": 4.0}
    curve = {
        "n": 12,
        "events": 3,
        "excluded": 0,
        "steps": [
            {"time_years": 1.0, "at_risk": 12, "events": 0, "censored": 10},
            {"time_years": 7.0, "at_risk": 2, "events": 1, "censored": 1},
        ],
        "at_risk": [{"time_years": 0, "at_risk": 12}, {"time_years": 7, "at_risk": 2}],
    }
    summary = {
        "patients": 12, "computed": 12, "not_computed": 0, "stale": 1, "rules": {},
        "status_counts": {"progression": 4, "stable": 8},
        "duration_bands": {"width_years": 5, "bands": [band]},
        "kaplan_meier": {"follow_up": curve},
    }
    shown = cohort_summary_suppressed(summary, min_cell=5)
    assert (shown["computed"], shown["not_computed"], shown["stale"]) == (12, 0, None)
    assert shown["status_counts"] == {"progression": None, "stable": 8}
    assert shown["duration_bands"]["bands"][0] == {**band, "n": None, "sld_mean_mm": None}
    km = shown["kaplan_meier"]["follow_up"]
    assert km["events"] is None and km["n"] == 12
    assert km["steps"] == curve["steps"][:1] and km["at_risk"] == curve["at_risk"][:1]


def test_researchers_filter_centers_by_their_code(researcher, center, other_center):
    """A code is something a researcher reads: filtering by it is allowed."""
    response = researcher.get("/api/v1/centers/", {"code": other_center.code})
    assert response.status_code == 200
    assert [row["code"] for row in response.json()["results"]] == [other_center.code]


@pytest.mark.parametrize("name", ["birth_year", "birth_year_min", "birth_year_max"])
@pytest.mark.parametrize("year", ["0", "10000", "-5"])
def test_years_a_date_cannot_hold_are_a_400(researcher, patients, name, year):
    """The contract check found year 0 answered 500."""
    response = researcher.get("/api/v1/patients/", {name: year})
    assert response.status_code == 400
    assert error_fields(response).keys() == {name}
