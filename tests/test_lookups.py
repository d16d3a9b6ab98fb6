"""``field__any_of``: the same rows as ``field__in``, as one array on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients.models import Patient
from progression.models import ProgressionState
from tests import factories

pytestmark = pytest.mark.django_db


def test_any_of_selects_what_in_selects_on_plain_and_related_fields():
    patients = [factories.make_patient() for _ in range(3)]
    for patient in patients[:2]:
        ProgressionState.objects.get_or_create(patient=patient)
    ProgressionState.objects.filter(patient=patients[2]).delete()
    ids = [patients[0].pk, patients[2].pk, None, 10**9]  # None and unknown ids match nothing
    for model, lookup in ((Patient, "pk"), (ProgressionState, "pk"), (ProgressionState, "patient")):
        wanted = set(model.objects.filter(**{f"{lookup}__in": ids}).values_list("pk", flat=True))
        got = set(model.objects.filter(**{f"{lookup}__any_of": ids}).values_list("pk", flat=True))
        assert got == wanted and got  # non-empty: the filter selected something
    # The related lookup also takes model instances, as ``in`` does.
    assert ProgressionState.objects.filter(patient__any_of=[patients[1]]).count() == 1
    assert not Patient.objects.filter(pk__any_of=[]).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the array form is PostgreSQL's")
def test_any_of_sends_one_array_whatever_the_number_of_values():
    with CaptureQueriesContext(connection) as queries:
        list(Patient.objects.filter(pk__any_of=list(range(1, 1001))).values_list("pk"))
    sql = queries.captured_queries[0]["sql"]
    assert "= ANY(" in sql and " IN (" not in sql
