"""The demo cohort is bulk-created (no full_clean): every lesion it seeds must still pass the
model's validation, the site rule of DOMAIN.md included."""

from io import StringIO

import pytest
from django.core.management import call_command

from imaging.models import CalcinosisLesion
from imaging.validation import DIGIT_SEGMENTS

pytestmark = pytest.mark.django_db


def test_every_seeded_lesion_is_valid_and_has_a_followable_site():
    call_command("seed_demo", "--patients", "25", "--no-users", stdout=StringIO())
    lesions = CalcinosisLesion.objects.select_related("radiograph", "track")
    assert lesions.exists()
    for lesion in lesions:
        lesion.full_clean()  # raises on the first invalid one, naming its field
        if lesion.radiograph.body_region in ("hand", "foot"):
            assert lesion.segment
            assert lesion.digit is not None or lesion.segment not in DIGIT_SEGMENTS
