"""The demo seed records consent for most patients: researchers still see a cohort, and the
documented exceptions (two without consent, one withdrawn) are there."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from consent.models import ConsentRecord, ConsentWithdrawal, PatientConsentState
from patients.models import Patient

pytestmark = pytest.mark.django_db


def test_seed_demo_records_consent():
    """Of 8 cohort patients plus the teaching case: 7 signed, 1 withdrew research, 2 none."""
    out = StringIO()
    call_command(
        "seed_demo",
        "--patients",
        "8",
        "--no-progression",
        "--no-users",
        stdout=out,
        stderr=StringIO(),
    )
    assert Patient.objects.count() == 9
    assert ConsentRecord.objects.count() == 7
    assert ConsentWithdrawal.objects.count() == 1
    granted = PatientConsentState.objects.filter(scope="research", state="granted")
    assert granted.count() == 6
    assert "2 without consent recorded" in out.getvalue()
