"""A created lesion answers with its track (issue #16: ``"track": null`` until read again)."""

import pytest

from imaging.models import CalcinosisLesion
from tests import factories

pytestmark = pytest.mark.django_db

SITE = {"digit": 2, "segment": "middle_phalanx", "tissue": "soft_tissue"}


def _radiograph(patient, acquired_on: str):
    return factories.make_radiograph(
        patient, acquired_on=acquired_on, body_region="hand", laterality="left"
    )


def _create(api, radiograph, **fields):
    response = api.post(
        f"/api/v1/radiographs/{radiograph.pk}/lesions/", {**SITE, **fields}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response


def test_new_deposit_answers_with_the_track_a_later_read_shows(api, patient):
    """A first lesion starts a deposit: the answer names it, as the next GET does."""
    created = _create(api, _radiograph(patient, "2022-03-01"), longest_diameter_mm=5.0)
    track = created.json()["track"]
    assert track is not None
    assert created.json()["track_assignment"] == "auto"
    read = api.get(f"/api/v1/lesions/{created.json()['id']}/")
    assert read.json()["track"] == track
    assert read["ETag"] == created["ETag"]  # the answer was the stored row, not a stale copy


def test_second_timepoint_joins_the_existing_track(api, patient):
    """The same site a year later joins the first deposit (DOMAIN.md, "Matching lesions to
    tracks": one candidate); a different digit starts its own."""
    first = _create(api, _radiograph(patient, "2022-03-01"), longest_diameter_mm=5.0).json()
    later = _radiograph(patient, "2023-03-01")
    second = _create(api, later, longest_diameter_mm=7.5).json()
    assert second["track"] == first["track"]
    other = _create(api, later, longest_diameter_mm=3.0, digit=4).json()
    assert other["track"] not in (None, first["track"])
    stored = dict(CalcinosisLesion.objects.values_list("pk", "track_id"))
    assert stored == {
        first["id"]: first["track"],
        second["id"]: first["track"],
        other["id"]: other["track"],
    }


def test_chosen_track_is_kept(api, patient):
    """A track the user chose is the answer's track and stays the user's choice."""
    track = factories.make_track(patient, laterality="left", digit=5, segment="distal_phalanx")
    created = _create(
        api, _radiograph(patient, "2022-03-01"), longest_diameter_mm=4.0, track=track.pk
    ).json()
    assert (created["track"], created["track_assignment"]) == (track.pk, "user")
