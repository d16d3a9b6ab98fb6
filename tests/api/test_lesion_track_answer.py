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


def test_an_engine_failure_does_not_lose_the_lesion(api, patient, monkeypatch):
    """Regression (review of issue #16): the matching ran in the write's transaction, so an
    engine crash answered 500 and dropped the lesion. Now the lesion is saved and answers
    ``track: null``; the queued recomputation matches it later."""

    def crash(*args, **kwargs):
        raise ZeroDivisionError("engine bug")

    monkeypatch.setattr("progression.services.compute_progression", crash)
    created = _create(api, _radiograph(patient, "2022-03-01"), longest_diameter_mm=5.0).json()
    assert created["track"] is None
    assert CalcinosisLesion.objects.filter(pk=created["id"]).exists()


@pytest.mark.django_db(transaction=True)
def test_matching_does_not_wait_for_a_busy_snapshot(api, patient, postgres, monkeypatch):
    """Regression (review of issue #16): a worker holding the patient's snapshot while it rewrote
    a lesion this request had locked deadlocked. The request's matching now refuses to wait:
    with the snapshot held by another connection the create answers at once, track null."""
    import threading

    import psycopg

    from progression.models import ProgressionSnapshot
    from progression.services import progression_recompute

    radiograph = _radiograph(patient, "2022-03-01")
    progression_recompute(patient_id=patient.pk)  # the snapshot row exists
    assert ProgressionSnapshot.objects.filter(pk=patient.pk).exists()
    # The queued recomputation would run in-process here and wait for the lock: a worker's job.
    monkeypatch.setattr("progression.enqueue.request_recompute", lambda patient_id: False)
    settings_dict = postgres.settings_dict
    held, release = threading.Event(), threading.Event()

    def hold():
        with psycopg.connect(
            host=settings_dict["HOST"] or None,
            port=settings_dict["PORT"] or None,
            user=settings_dict["USER"],
            dbname=settings_dict["NAME"],
            autocommit=False,
        ) as other:
            other.execute(
                f"SELECT 1 FROM {ProgressionSnapshot._meta.db_table} WHERE patient_id = %s "
                "FOR UPDATE",
                [patient.pk],
            )
            held.set()
            release.wait(30)
            other.rollback()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        created = _create(api, radiograph, longest_diameter_mm=5.0).json()
    finally:
        release.set()
        holder.join(10)
    assert created["track"] is None
    assert CalcinosisLesion.objects.filter(pk=created["id"]).exists()
