"""``/tasks/``: every background job a person may see, of every kind, newest first (issue #13)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import user_add
from api.pagination import INVALID_CURSOR
from exports.models import ExportJob
from progression.models import RecomputeJob
from tests.api.role_users import client_for

pytestmark = pytest.mark.django_db

# One instant for every job made here, so that "7 minutes ago" twice is a real tie.
NOW = timezone.now().replace(microsecond=0)


def _export(user, minutes_ago: int) -> ExportJob:
    job = ExportJob.objects.create(requested_by=user, level="patients", format="csv")
    ExportJob.objects.filter(pk=job.pk).update(
        created_at=NOW - timedelta(minutes=minutes_ago)
    )
    return job


def _recompute(user, minutes_ago: int, **fields) -> RecomputeJob:
    job = RecomputeJob.objects.create(created_by=user, total=4, done=1, **fields)
    RecomputeJob.objects.filter(pk=job.pk).update(
        created_at=NOW - timedelta(minutes=minutes_ago)
    )
    return job


@pytest.fixture
def me(center):
    return user_add(email="doc@north.example", center=center, role="clinician")


def test_lists_every_kind_newest_first_with_its_own_url(me, center):
    old_export, recompute, new_export = _export(me, 30), _recompute(me, 20), _export(me, 10)
    _recompute(me, 5, parent=recompute)  # a part: readable by id, listed in its job only
    rows = client_for(me).get("/api/v1/tasks/").json()["results"]
    assert [(row["kind"], row["id"]) for row in rows] == [
        ("export", new_export.pk),
        ("cohort_recompute", recompute.pk),
        ("export", old_export.pk),
    ]
    assert rows[1]["url"] == f"/api/v1/tasks/{recompute.pk}/"
    assert rows[1]["progress"] == 0.25
    assert rows[0]["url"] == f"/api/v1/exports/{new_export.pk}/"


def test_only_my_jobs_and_every_job_for_superusers(me, center):
    other = user_add(email="other@north.example", center=center, role="clinician")
    _export(other, 3)
    mine = _export(me, 2)
    assert [row["id"] for row in client_for(me).get("/api/v1/tasks/").json()["results"]] == [
        mine.pk
    ]
    root = get_user_model().objects.create_superuser("root", "", "root-pass-long-1")
    assert len(client_for(root).get("/api/v1/tasks/").json()["results"]) == 2


def test_pages_walk_every_job_once_in_a_constant_number_of_queries(me):
    """Two kinds, ties on the same instant included: page by page, no job twice or missing."""
    jobs = [_export(me, 7), _recompute(me, 7), _export(me, 7), _recompute(me, 1), _export(me, 9)]
    client = APIClient()
    seen, url, queries = [], "/api/v1/tasks/?page_size=2", []
    while url:
        # A fresh user per request (as each request has), and no token bookkeeping counted.
        client.force_authenticate(get_user_model().objects.get(pk=me.pk))
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url).json()
        queries.append(len(captured))
        seen += [(row["kind"], row["id"]) for row in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == len(jobs)
    assert len(set(queries)) == 1  # the same queries for every page


def test_a_forged_cursor_is_a_400(me):
    response = client_for(me).get("/api/v1/tasks/", {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "cursor", "code": "invalid", "message": INVALID_CURSOR}
    ]
