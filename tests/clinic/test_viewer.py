"""The radiograph viewer's page and its lesion list (clinic.views.radiographs): deposits named
for people, millimetres as the tables read them, the site rule handed to the page, queries."""

import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services import user_add
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client, center):
    client.force_login(
        user_add(
            email="doc@north.example", center=center, role="clinician", password="a-long-password-1"
        )
    )
    return client


def config_of(page: str) -> dict:
    start = page.index('<script id="viewer-config" type="application/json">') + 51
    return json.loads(page[start : page.index("</script>", start)])


def thumb_history(patient):
    """The left thumb deposit seen in Mar 2023 and again in Jun 2024, on the same track."""
    track = factories.make_track(patient)
    first = factories.make_radiograph(patient, acquired_on=date(2023, 3, 15))
    factories.make_lesion(first, track=track, longest_diameter_mm=11.0)
    later = factories.make_radiograph(patient, acquired_on=date(2024, 6, 10))
    lesion = factories.make_lesion(later, track=track, longest_diameter_mm=12.87)
    return track, later, lesion


def test_deposits_are_named_by_site_and_first_seen_month(web, patient):
    """The track's name comes from its first radiograph (Mar 2023), not the one on screen."""
    track, later, _ = thumb_history(patient)
    page = web.get(f"/radiographs/{later.pk}/").content.decode()
    name = "Left thumb, distal phalanx, soft tissue — since Mar 2023"
    assert f'<option value="{track.pk}" data-side="left">{name}</option>' in page
    assert f"<td>{name}</td>" in page  # the lesion list's deposit column
    assert f"#{track.pk}" not in page


def test_millimetres_read_with_one_decimal_half_up(web, patient):
    """Stored 12.87 mm reads 12.9 mm (Decimal half-up), as in every other table."""
    _, later, lesion = thumb_history(patient)
    page = web.get(f"/radiographs/{later.pk}/").content.decode()
    assert "<td>12.9 mm</td>" in page
    assert f'data-lesion="{lesion.pk}"' in page and 'data-mm="12.9 mm"' in page
    assert "12.87" not in page


def test_hand_radiograph_requires_segment_and_digit_for_phalanges(web, patient):
    radiograph = factories.make_radiograph(patient)
    config = config_of(web.get(f"/radiographs/{radiograph.pk}/").content.decode())
    assert config["site_required"] is True
    assert config["digit_segments"] == [
        "distal_phalanx",
        "middle_phalanx",
        "proximal_phalanx",
        "metacarpal",
    ]
    assert config["list"] == f"/radiographs/{radiograph.pk}/lesions/"


def test_elbow_radiograph_needs_no_digit_or_segment(web, patient):
    """DOMAIN.md: only hand and foot lesions need a segment; a digit exists only on hand, wrist
    and foot (imaging.validation refuses it elsewhere), so the elbow page offers none."""
    radiograph = factories.make_radiograph(patient, body_region="elbow")
    page = web.get(f"/radiographs/{radiograph.pk}/").content.decode()
    config = config_of(page)
    assert config["site_required"] is False and config["digit_segments"] == []
    assert 'id="f-digit"' not in page and 'class="hand"' not in page


def test_foot_radiograph_names_the_foots_bones(web, patient):
    radiograph = factories.make_radiograph(patient, body_region="foot")
    page = web.get(f"/radiographs/{radiograph.pk}/").content.decode()
    assert config_of(page)["site_required"] is True
    assert '<option value="metacarpal">Metatarsal</option>' in page
    assert '<option value="1">1 (great toe)</option>' in page
    assert 'class="hand"' not in page  # the drawn hand is for hands and wrists


def test_lesion_list_fragment_holds_table_and_deposit_choices(web, patient):
    track, later, _ = thumb_history(patient)
    page = web.get(f"/radiographs/{later.pk}/lesions/").content.decode()
    assert 'id="lesion-table"' in page and 'id="lesion-drawings"' in page
    assert f'<option value="{track.pk}"' in page
    assert "<html" not in page


def test_another_centers_lesion_list_is_404(web, other_center):
    foreign = factories.make_radiograph(factories.make_patient(other_center))
    assert web.get(f"/radiographs/{foreign.pk}/lesions/").status_code == 404


def queries(web, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert web.get(url).status_code == 200
    return len(captured)


def test_viewer_queries_do_not_grow_with_lesions_and_tracks(web, patient):
    """One query for the tracks (first-seen annotated) and one for the lesions, however many."""
    radiograph = factories.make_radiograph(patient, acquired_on=date(2024, 6, 10))
    factories.make_lesion(radiograph, track=factories.make_track(patient))
    few = (
        queries(web, f"/radiographs/{radiograph.pk}/"),
        queries(web, f"/radiographs/{radiograph.pk}/lesions/"),
    )
    for digit in (2, 3, 4, 5):
        track = factories.make_track(patient, digit=digit)
        factories.make_lesion(radiograph, track=track, digit=digit)
        factories.make_lesion(radiograph, digit=digit, segment="proximal_phalanx")
    many = (
        queries(web, f"/radiographs/{radiograph.pk}/"),
        queries(web, f"/radiographs/{radiograph.pk}/lesions/"),
    )
    assert few == many
