"""A lesion's site (DOMAIN.md, "A lesion's site: what is required, what may be unknown"): the
pure rule, then the model, the API and the cohort import refusing alike."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.services import user_add
from exports.services import import_run
from imaging import services
from imaging.models import CalcinosisLesion
from imaging.validation import DIGIT_REQUIRED, SEGMENT_REQUIRED, site_errors, site_incomplete
from tests import factories
from tests.api.conftest import client_for

HAND_SEGMENT = SEGMENT_REQUIRED.format(region="hand")
THUMB_DIGIT = DIGIT_REQUIRED.format(first="thumb", segment="distal phalanx")


@pytest.fixture
def api(center):
    return client_for(user_add(email="clinician@north.example", center=center, role="clinician"))


@pytest.mark.parametrize(
    ("region", "digit", "segment", "expected"),
    [
        # Hand and foot: the segment always; the digit on a phalanx or metacarpal (metatarsal).
        ("hand", None, "", {"segment": [HAND_SEGMENT]}),
        ("foot", None, "", {"segment": [SEGMENT_REQUIRED.format(region="foot")]}),
        ("hand", None, "distal_phalanx", {"digit": [THUMB_DIGIT]}),
        (
            "hand",
            None,
            "metacarpal",
            {"digit": [DIGIT_REQUIRED.format(first="thumb", segment="metacarpal")]},
        ),
        (
            "foot",
            None,
            "metacarpal",
            {"digit": [DIGIT_REQUIRED.format(first="great toe", segment="metatarsal")]},
        ),
        ("hand", None, "carpal", {}),  # a carpal deposit has no digit
        ("hand", None, "other", {}),
        ("hand", 3, "middle_phalanx", {}),
        ("foot", 1, "proximal_phalanx", {}),
        # Wrist: the segment is optional (DOMAIN names hand and foot); a named metacarpal still
        # needs its digit, or it cannot be followed.
        ("wrist", None, "", {}),
        (
            "wrist",
            None,
            "metacarpal",
            {"digit": [DIGIT_REQUIRED.format(first="thumb", segment="metacarpal")]},
        ),
        ("forearm", None, "", {}),
        ("elbow", None, "", {}),
    ],
)
def test_site_rule(region, digit, segment, expected):
    """Each region and segment against DOMAIN.md's rule; the tissue plane is never required."""
    assert site_errors(region, digit, segment) == expected


def test_messages_name_the_field():
    assert HAND_SEGMENT.startswith("Choose the segment")
    assert THUMB_DIGIT.startswith("Choose the digit (1 = thumb to 5)")


@pytest.mark.django_db
def test_a_hand_lesion_without_a_site_is_refused_and_unknown_tissue_is_not(patient):
    """The bug of issue #16: a lesion with no digit, segment or tissue was saved."""
    radiograph = factories.make_radiograph(patient)
    with pytest.raises(ValidationError) as excinfo:
        factories.make_lesion(radiograph, digit=None, segment="", tissue="")
    assert excinfo.value.message_dict == {"segment": [HAND_SEGMENT]}
    with pytest.raises(ValidationError) as excinfo:
        factories.make_lesion(radiograph, digit=None, segment="distal_phalanx", tissue="")
    assert excinfo.value.message_dict == {"digit": [THUMB_DIGIT]}
    assert not CalcinosisLesion.objects.exists()
    lesion = factories.make_lesion(radiograph, digit=1, segment="distal_phalanx", tissue="")
    assert lesion.pk and lesion.tissue == ""


@pytest.mark.django_db
def test_an_old_siteless_lesion_stays_but_an_edit_asks_for_its_site(patient):
    """Rows stored before the rule are kept (and counted); changing one asks for the site."""
    radiograph = factories.make_radiograph(patient)
    old = CalcinosisLesion.objects.create(
        radiograph=radiograph, laterality="left", longest_diameter_mm=6.0
    )
    old.morphology = "stone"
    with pytest.raises(ValidationError) as excinfo:
        services.lesion_save(lesion=old)
    assert "segment" in excinfo.value.message_dict
    old.refresh_from_db()
    assert old.morphology == ""
    old.digit, old.segment = 2, "distal_phalanx"
    assert services.lesion_save(lesion=old).segment == "distal_phalanx"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("site", "field", "message"),
    [
        ({}, "segment", HAND_SEGMENT),
        ({"segment": "distal_phalanx", "tissue": "soft_tissue"}, "digit", THUMB_DIGIT),
    ],
)
def test_api_refuses_a_hand_lesion_without_its_site(api, patient, site, field, message):
    """400 with {field, message} naming the missing site field (what the viewer shows)."""
    radiograph = factories.make_radiograph(patient)
    response = api.post(
        f"/api/v1/radiographs/{radiograph.pk}/lesions/",
        {"longest_diameter_mm": 4.0, **site},
        format="json",
    )
    assert response.status_code == 400, response.json()
    assert {"field": field, "code": "invalid", "message": message} in response.json()["errors"]
    assert not CalcinosisLesion.objects.exists()


@pytest.mark.django_db
def test_api_accepts_an_unknown_tissue_plane(api, patient):
    radiograph = factories.make_radiograph(patient)
    response = api.post(
        f"/api/v1/radiographs/{radiograph.pk}/lesions/",
        {"longest_diameter_mm": 4.0, "digit": 2, "segment": "middle_phalanx"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["tissue"] == ""


LESIONS_WITHOUT_SITE = (
    "local_id,radiograph_number,acquired_on,body_region,radiograph_laterality,view,"
    "laterality,digit,segment,tissue,longest_diameter_mm\n"
    "CLIN-001,1,2020-01-10,hand,left,pa,left,1,distal_phalanx,soft_tissue,6.5\n"
    "CLIN-001,1,2020-01-10,hand,left,pa,left,,,,3.0\n"
)


@pytest.mark.django_db
def test_import_refuses_a_hand_lesion_without_its_site():
    """The cohort import saves through lesion_save: the row and column are reported and nothing
    is written (all or nothing)."""
    north = factories.make_center("north", "North clinic")
    factories.make_patient(north, local_id="CLIN-001")
    report = import_run(data=LESIONS_WITHOUT_SITE.encode(), center=north, commit=True)
    assert [(e.row, e.column, e.message) for e in report.errors] == [(3, "segment", HAND_SEGMENT)]
    assert not report.committed and not CalcinosisLesion.objects.exists()


@pytest.mark.django_db
def test_admin_lists_the_old_lesions_whose_site_is_incomplete(client, center, patient):
    """The admin's "Segment or digit missing" filter finds the rows an edit must complete."""
    hand = factories.make_radiograph(patient)
    complete = factories.make_lesion(hand)
    old = {
        "no segment": CalcinosisLesion.objects.create(
            radiograph=hand, laterality="left", longest_diameter_mm=6.0
        ),
        "no digit": CalcinosisLesion.objects.create(
            radiograph=hand, laterality="left", segment="metacarpal", longest_diameter_mm=4.0
        ),
    }
    forearm = factories.make_radiograph(patient, body_region="forearm", view="ap")
    factories.make_lesion(forearm, digit=None, segment="", longest_diameter_mm=30)  # valid there
    incomplete = CalcinosisLesion.objects.filter(site_incomplete())
    assert set(incomplete) == set(old.values())
    client.force_login(user_add(email="admin@north.example", center=center, role="center_admin"))
    url = reverse("admin:imaging_calcinosislesion_changelist")
    page = client.get(url, {"site": "incomplete"})
    assert page.status_code == 200
    assert list(page.context["cl"].queryset) == sorted(old.values(), key=lambda lesion: lesion.pk)
    assert complete not in page.context["cl"].queryset
