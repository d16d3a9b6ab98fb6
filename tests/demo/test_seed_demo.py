"""manage.py seed_demo: the synthetic demo cohort, the teaching case and the demo logins."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts.models import Membership
from demo.teaching_case import TEACHING_CASE_LOCAL_ID
from imaging.models import CalcinosisLesion, Radiograph, RadiographicFinding
from patients.models import Patient, Visit

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _snapshot():
    """Everything seeded, without database ids and timestamps."""
    return (
        sorted(
            Patient.objects.values_list(
                "registry_id",
                "local_id",
                "birth_date",
                "ssc_subtype",
                "antibody_aca",
                "acr_eular_2013_score",
            )
        ),
        sorted(
            Visit.objects.values_list("patient__registry_id", "date", "visit_type", "mrss_total")
        ),
        sorted(
            Radiograph.objects.values_list(
                "patient__registry_id", "acquired_on", "laterality", "view"
            )
        ),
        sorted(
            CalcinosisLesion.objects.values_list(
                "radiograph__patient__registry_id",
                "radiograph__acquired_on",
                "radiograph__view",
                "digit",
                "longest_diameter_mm",
            )
        ),
    )


def test_seed_demo_is_repeatable_and_idempotent():
    run("seed_demo", "--patients", "40", "--no-users")
    first = _snapshot()
    assert len(first[0]) == 41  # 40 + the teaching case
    run("seed_demo", "--patients", "40", "--no-users")  # again: nothing new
    assert _snapshot() == first
    Patient.objects.all().delete()
    run(
        "seed_demo", "--patients", "40", "--no-users", "--batch", "7"
    )  # other batching, same cohort
    assert _snapshot() == first


def test_seed_demo_cohort_is_plausible():
    run("seed_demo", "--patients", "300", "--no-users")
    patients = Patient.objects.exclude(local_id=TEACHING_CASE_LOCAL_ID)
    limited = patients.filter(ssc_subtype="limited_cutaneous")
    assert 0.45 < limited.count() / patients.count() < 0.70
    aca_known = limited.exclude(antibody_aca="unknown")
    assert 0.35 < aca_known.filter(antibody_aca="positive").count() / aca_known.count() < 0.65
    assert patients.values("center").distinct().count() == 3
    lesions = CalcinosisLesion.objects.all()
    assert 0.8 < lesions.filter(morphology="stone").count() / lesions.count() <= 1
    assert Patient.history.count() >= patients.count()  # every row has its "created" history


def test_teaching_case_is_seeded_as_described():
    run("seed_demo", "--patients", "0", "--no-users")
    case = Patient.objects.get(local_id=TEACHING_CASE_LOCAL_ID)
    assert (case.sex, case.ssc_subtype) == ("female", "limited_cutaneous")
    baseline = case.radiographs.order_by("acquired_on").first().acquired_on
    # Born 1960-11-02, baseline 2023-03-15: 62 years old.
    assert baseline.year - 1960 - ((baseline.month, baseline.day) < (11, 2)) == 62
    assert round(case.disease_duration_years(baseline), 1) == 10.0
    assert case.acr_eular_2013_score == 10  # sclerodactyly 4 + Raynaud 3 + ACA 3
    views = set(
        case.radiographs.filter(acquired_on=baseline, laterality="left").values_list(
            "view", flat=True
        )
    )
    assert views == {"pa", "oblique", "digit"}
    thumb = CalcinosisLesion.objects.get(
        radiograph__patient=case, radiograph__acquired_on=baseline, radiograph__view="pa"
    )
    assert (thumb.digit, thumb.segment, thumb.tissue, thumb.longest_diameter_mm) == (
        1,
        "distal_phalanx",
        "soft_tissue",
        15.0,
    )
    findings = set(
        RadiographicFinding.objects.filter(
            radiograph__patient=case, radiograph__acquired_on=baseline
        ).values_list("finding", "digit", "joint")
    )
    assert findings == {("periarticular_osteopenia", 1, "ip"), ("cortical_thinning", 4, "pip")}
    assert case.radiographs.values("acquired_on").distinct().count() == 3  # yearly follow-ups


def test_seed_demo_creates_logins():
    output = run("seed_demo", "--patients", "3")
    assert "clinician@demo-north.example.org" in output
    user = get_user_model().objects.get(username="clinician@demo-north.example.org")
    assert user.check_password("demo-clinician-2026")
    assert Membership.objects.filter(role="researcher").count() == 3
