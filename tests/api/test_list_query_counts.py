"""Every list endpoint runs as many SQL queries for 50 rows as for 1, for each role that reads
it (the lists come from the role walk, :mod:`tests.api.role_matrix`)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Center, Membership, SignInEvent
from imaging.models import RadiographicFinding
from imaging.services import finding_save
from patients.models import CalcinosisTreatment
from patients.services import treatment_save
from tests import factories
from tests.api.role_matrix import World, expected_status, operations, results_of, url_for

ROWS = 50


def fifty_of_each(world: World) -> None:
    """50 rows of every kind reachable by center A's clinician (and admin)."""
    a = world.a
    patient, radiograph = a["patient"], a["radiograph"]
    for n in range(1, ROWS):
        factories.make_patient(a["center"], local_id=f"A-BULK-{n}")
        factories.make_visit(patient, date=date(2020, 1, 1) + timedelta(days=n))
        treatment_save(
            treatment=CalcinosisTreatment(
                patient=patient, treatment="diltiazem", started_on=date(2022, 1, 1)
            )
        )
        factories.make_radiograph(patient)
        factories.make_track(patient, digit=1 + n % 5)
        factories.make_lesion(radiograph, digit=1 + n % 5)
        finding_save(finding=RadiographicFinding(radiograph=radiograph, finding="erosion"))
    clinician = get_user_model().objects.get(username="clinician@a.example.org")
    extra_centers = Center.objects.bulk_create(
        Center(code=f"extra-{n}", name=f"Extra {n}") for n in range(1, ROWS)
    )
    Membership.objects.bulk_create(
        Membership(user=clinician, center=center, role="clinician") for center in extra_centers
    )
    colleagues = get_user_model().objects.bulk_create(
        get_user_model()(username=f"bulk-{n}@a.example.org") for n in range(ROWS)
    )
    Membership.objects.bulk_create(
        Membership(user=user, center=a["center"], role="clinician") for user in colleagues
    )
    SignInEvent.objects.bulk_create(
        SignInEvent(kind="failed", user=user, actor=clinician) for user in colleagues[1:]
    )


def count_queries(client: APIClient, url: str, page_size: int) -> tuple[int, int]:
    """(queries, rows) of a page; a first call absorbs the token's last-use write."""
    url = f"{url}{'&' if '?' in url else '?'}page_size={page_size}"
    client.get(url)
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content)
    return len(queries), len(results_of(response))


@pytest.mark.parametrize("role", ["clinician_a", "researcher", "admin_a"])
def test_list_endpoints_run_constant_queries(world, role):
    """Every list runs as many SQL queries for 50 rows as for 1 (no per-row queries)."""
    fifty_of_each(world)
    client = world.clients[role]
    problems = []
    lists = [
        op
        for op in operations()
        if op.method == "GET"
        and op.shape in ("list", "nested")
        and expected_status(role, op) == 200
        and (op.admin or role != "admin_a")
    ]
    assert lists
    for op in lists:
        url = url_for(op, world.a)
        one, one_rows = count_queries(client, url, 1)
        fifty, fifty_rows = count_queries(client, url, ROWS)
        if (one_rows, fifty_rows) != (1, ROWS):
            problems.append(f"{op}: {one_rows} and {fifty_rows} rows, expected 1 and {ROWS}")
        if one != fifty:
            problems.append(f"{op}: {one} queries for 1 row, {fifty} for {ROWS}")
    assert not problems, "\n".join(problems)
