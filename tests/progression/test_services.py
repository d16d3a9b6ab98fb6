"""Progression services against the database: compute, store, mark dirty, debounce, sweep.

Tasks run in-process (the embedded default). Numbers are worked out by hand in comments, with
DOMAIN.md's defaults: floor 2 mm, progression and regression fraction 0.25; years = days/365.25.
"""

from __future__ import annotations

import logging
from datetime import date

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError as KombuOperationalError

from imaging.models import CalcinosisLesion, LesionTrack, Radiograph
from imaging.services import lesion_save, radiograph_save
from patients.models import Patient
from patients.services import patient_delete, patient_save
from progression import services
from progression.enqueue import bump_data_version
from progression.models import AutoTrack, ProgressionSnapshot, ProgressionState
from progression.result_json import series_json
from progression.services import (
    progression_detail,
    progression_recompute,
    progression_sweep,
)
from progression.tasks import recompute_patient
from registry.celery import app as celery_app
from tests import factories

pytestmark = pytest.mark.django_db

THUMB = {"digit": 1, "segment": "distal_phalanx", "tissue": "soft_tissue"}
INDEX = {"digit": 2, "segment": "distal_phalanx", "tissue": "soft_tissue"}
D1, D2, D3 = date(2021, 3, 1), date(2022, 3, 1), date(2023, 3, 1)


def state(patient) -> ProgressionState:
    return ProgressionState.objects.get(pk=patient.pk)


def snapshot(patient) -> ProgressionSnapshot:
    return ProgressionSnapshot.objects.get(pk=patient.pk)


def lesion_rows(patient):
    return {
        lesion.pk: (lesion.track_id, lesion.track_assignment)
        for lesion in CalcinosisLesion.objects.filter(radiograph__patient=patient)
    }


# --- The teaching case -------------------------------------------------------------------------


def test_teaching_case_thumb_track_progresses_in_the_third_year(teaching_case):
    """Left thumb deposit: 15.0 -> 17.0 (stable) -> 19.5 mm (progressed): patient progression."""
    assert progression_recompute(patient_id=teaching_case.pk) == "computed"
    detail = progression_detail(patient_id=teaching_case.pk)
    assert detail["status"] == "progression" and detail["stale"] is False
    assert detail["rules"] == {
        "absolute_floor_mm": 2.0, "progression_fraction": 0.25, "regression_fraction": 0.25,
    }  # fmt: skip
    left, right = detail["series"]
    assert (left["body_region"], left["laterality"]) == ("hand", "left")
    # Baseline 2023-03-15: PA 15.0, oblique 14.2, thumb view 15.0 -> D = 15.0 (the PA, first in
    # reading order on the tie), P = 9.0 from the PA: area = pi/4 * 15 * 9 = 106.03 mm2.
    # 2024-03-20: D = 17.0 (PA); delta = +2.0 >= 2 mm but 2.0 / 15 = 13 % < 25 %: stable.
    # 2025-03-18: D = 19.5 (PA); delta = +4.5 >= 2 and >= 0.25 * 15 = 3.75: progressed.
    assert [tp["sum_longest_diameter_mm"] for tp in left["timepoints"]] == [15.0, 17.0, 19.5]
    assert [tp["total_area_mm2"] for tp in left["timepoints"]] == [106.03, 133.52, 168.47]
    assert [tp["status"] for tp in left["timepoints"]] == ["baseline", "stable", "progression"]
    assert [tp["lesion_count"] for tp in left["timepoints"]] == [1, 1, 1]
    # Onset 2013-03 (month precision) counts from 2013-03-15: 3652 days to the baseline
    # (leap days 2016, 2020) = 3652 / 365.25 = 9.999 years.
    assert left["timepoints"][0]["disease_duration_years"] == 9.999
    # Progression at day 734 (2023-03-15 -> 2025-03-18): 734 / 365.25 = 2.00958 -> 2.01.
    assert left["time_to_progression_years"] == 2.01 and left["censored_at_years"] is None
    # OLS over days (0, 371, 734), SLD (15, 17, 19.5): mean day 368.33, mean SLD 17.167;
    # Sxy = 1650.83, Sxx = 269388.67 -> 0.0061281 mm/day * 365.25 = 2.238 mm/year.
    assert left["growth_rate_mm_per_year"] == 2.24
    # The right hand was X-rayed each year with no deposit: SLD 0, baseline then stable.
    assert [tp["status"] for tp in right["timepoints"]] == ["baseline", "stable", "stable"]
    assert right["censored_at_years"] == 2.01
    # The left-hand images came in as DICOM, the deposit measured by its pixel end points, no
    # track chosen: the engine matched the nine lesions (3 views x 3 years) into one track and
    # created it, with the lesions' site.
    (track,) = detail["tracks"]
    assert track["key"] == f"t{track['id']}" and AutoTrack.objects.filter(pk=track["id"]).exists()
    created = LesionTrack.objects.get(pk=track["id"])
    assert (created.laterality, created.digit, created.segment) == ("left", 1, "distal_phalanx")
    assert [o["status"] for o in track["observations"]] == ["baseline", "stable", "progressed"]
    assert [o["longest_diameter_mm"] for o in track["observations"]] == [15.0, 17.0, 19.5]
    assert set(lesion_rows(teaching_case).values()) == {(track["id"], "auto")}
    assert snapshot(teaching_case).status == "progression"


def test_recompute_is_idempotent(teaching_case, computations):
    """A second run with nothing changed computes nothing and keeps the stored snapshot."""
    assert progression_recompute(patient_id=teaching_case.pk) == "computed"
    first = snapshot(teaching_case)
    assert progression_recompute(patient_id=teaching_case.pk) == "unchanged"
    assert len(computations) == 1
    assert snapshot(teaching_case).computed_at == first.computed_at
    assert state(teaching_case).dirty_since is None


def test_rule_overrides_compute_on_the_fly_without_storing(teaching_case):
    """progression_fraction 0.10: +2.0 mm >= 2 and >= 1.5 already progresses in year two."""
    progression_recompute(patient_id=teaching_case.pk)
    stored = snapshot(teaching_case)
    detail = progression_detail(patient_id=teaching_case.pk, rules={"progression_fraction": "0.10"})
    left = detail["series"][0]
    assert [tp["status"] for tp in left["timepoints"]] == ["baseline", "progression", "progression"]
    assert left["time_to_progression_years"] == 1.016  # 371 / 365.25 = 1.01574
    assert detail["rules"]["progression_fraction"] == 0.10 and detail["stale"] is False
    assert snapshot(teaching_case).computed_at == stored.computed_at
    assert snapshot(teaching_case).rules["progression_fraction"] == 0.25


def test_detail_computes_a_patient_never_computed(teaching_case):
    assert not ProgressionSnapshot.objects.filter(pk=teaching_case.pk).exists()
    assert progression_detail(patient_id=teaching_case.pk)["status"] == "progression"
    assert snapshot(teaching_case).computed_at is not None


def test_unknown_rule_is_refused_naming_the_key(teaching_case):
    with pytest.raises(ValueError, match="unknown rule 'floor'"):
        progression_detail(patient_id=teaching_case.pk, rules={"floor": "1"})


# --- Every writer marks the patient; the embedded default recomputes at commit ------------------


def test_every_writer_bumps_the_version_and_the_snapshot_follows(commit):
    patient = commit(factories.make_patient)
    versions = [state(patient).data_version]
    visit = commit(factories.make_visit, patient, date=D1)
    versions.append(state(patient).data_version)
    radiograph = commit(factories.make_radiograph, patient, acquired_on=D1, visit=visit)
    versions.append(state(patient).data_version)
    track = commit(factories.make_track, patient, **THUMB)
    versions.append(state(patient).data_version)
    commit(factories.make_lesion, radiograph, longest_diameter_mm=5.0, track=track)
    versions.append(state(patient).data_version)
    patient.notes = "seen"
    commit(patient_save, patient=patient)
    versions.append(state(patient).data_version)
    assert versions == [1, 2, 3, 4, 5, 6]
    current = snapshot(patient)
    assert current.data_version == 6 and current.status == "baseline"
    assert state(patient).dirty_since is None
    assert progression_detail(patient_id=patient.pk)["stale"] is False


def test_deletions_mark_the_patient_and_a_patient_delete_still_works(commit):
    patient = commit(factories.make_patient)
    first = commit(factories.make_radiograph, patient, acquired_on=D1)
    second = commit(factories.make_radiograph, patient, acquired_on=D2)
    commit(factories.make_lesion, first, longest_diameter_mm=5.0)
    lesion = commit(factories.make_lesion, second, longest_diameter_mm=9.0)
    # 5.0 -> 9.0: +4.0 >= 2 and >= 1.25: progression.
    assert snapshot(patient).status == "progression"
    version = state(patient).data_version
    commit(CalcinosisLesion.objects.filter(pk=lesion.pk).delete)
    assert state(patient).data_version == version + 1
    # Without the deposit at D2 the series goes 5.0 -> 0: complete resolution.
    assert snapshot(patient).status == "complete_resolution"
    commit(Radiograph.objects.get(pk=second.pk).delete)  # cascades to nothing left
    assert state(patient).data_version == version + 2
    assert snapshot(patient).status == "baseline"
    commit(patient_delete, patient=patient, reason="test")
    assert not ProgressionState.objects.filter(pk=patient.pk).exists()


# --- Debounce and the broker being down -------------------------------------------------------


def test_a_burst_in_one_transaction_gives_one_computation(commit, computations):
    patient = commit(factories.make_patient)
    computations.clear()

    def enter_radiograph_with_lesions():
        with transaction.atomic():
            radiograph = factories.make_radiograph(patient, acquired_on=D1)
            for diameter in (3.0, 4.0, 5.0, 6.0):
                factories.make_lesion(radiograph, longest_diameter_mm=diameter)

    commit(enter_radiograph_with_lesions)
    # Five writes, five on-commit requests: the first recomputes, the others find the snapshot
    # already at the final version and compute nothing.
    assert len(computations) == 1
    assert snapshot(patient).data_version == state(patient).data_version


@pytest.fixture
def broker(monkeypatch):
    """A broker that records what is published (and can be made unreachable)."""
    published: list[dict] = []
    down = {"value": False}

    def apply_async(args, **options):
        if down["value"]:
            raise KombuOperationalError(
                "Error 111 connecting to 127.0.0.1:6390. Connection refused."
            )
        published.append({"args": args, **options})

    monkeypatch.setitem(celery_app.conf, "CELERY_TASK_ALWAYS_EAGER", False)
    monkeypatch.setattr(recompute_patient, "apply_async", apply_async)
    return published, down


def test_a_burst_of_commits_queues_one_task_while_one_is_pending(commit, broker, settings):
    published, _ = broker
    settings.REGISTRY_PROGRESSION_DEBOUNCE_SECONDS = 5.0
    patient = commit(factories.make_patient)
    radiograph = commit(factories.make_radiograph, patient, acquired_on=D1)
    for diameter in (3.0, 4.0, 5.0, 6.0, 7.0):
        commit(factories.make_lesion, radiograph, longest_diameter_mm=diameter)
    # Seven commits; the first (after a quiet period) is queued at once, the rest wait for it.
    assert len(published) == 1
    assert published[0]["args"] == (patient.pk,) and published[0]["countdown"] is None
    assert state(patient).recompute_pending
    recompute_patient.run(patient.pk)  # a worker takes it: later changes must queue again
    assert not state(patient).recompute_pending
    assert series_json(snapshot(patient).result)[0]["timepoints"][0]["lesion_count"] == 5
    commit(factories.make_lesion, radiograph, longest_diameter_mm=8.0)
    commit(factories.make_lesion, radiograph, longest_diameter_mm=9.0)
    # Soon after the last enqueue: one trailing task, due when the 5 s window ends.
    assert len(published) == 2
    assert 0 < published[1]["countdown"] <= 5.0


def test_broker_down_data_entry_succeeds_and_the_sweep_catches_up(
    commit, broker, caplog, monkeypatch
):
    _, down = broker
    patient = commit(factories.make_patient, local_id="MRN-SECRET-1")
    recompute_patient.run(patient.pk)
    down["value"] = True
    radiograph = commit(factories.make_radiograph, patient, acquired_on=D1)
    with caplog.at_level(logging.WARNING, logger="progression.enqueue"):
        lesion = commit(factories.make_lesion, radiograph, longest_diameter_mm=4.0)
    assert CalcinosisLesion.objects.filter(pk=lesion.pk).exists()
    marker = state(patient)
    assert marker.dirty_since is not None and not marker.recompute_pending
    assert snapshot(patient).data_version < marker.data_version
    assert "left to the sweep" in caplog.text
    assert "MRN-SECRET-1" not in caplog.text and patient.registry_id not in caplog.text
    down["value"] = False
    monkeypatch.setitem(
        celery_app.conf, "CELERY_TASK_ALWAYS_EAGER", True
    )  # back, and a worker runs
    assert progression_sweep()["queued"] == 1
    assert state(patient).dirty_since is None
    assert snapshot(patient).data_version == state(patient).data_version
    assert snapshot(patient).status == "baseline"


# --- Newer wins, never a mix --------------------------------------------------------------------


def test_a_computation_overtaken_by_a_change_is_not_stored(commit, monkeypatch):
    """A writer commits while the engine computes: that result is dropped (the writer queued a
    newer recomputation), and the next run stores the newer data."""
    patient = commit(factories.make_patient)
    radiograph = commit(factories.make_radiograph, patient, acquired_on=D1)
    commit(factories.make_lesion, radiograph, longest_diameter_mm=4.0)
    before = snapshot(patient)
    original = services.load_inputs

    def load_then_a_writer_commits(ids):
        loaded = original(ids)
        bump_data_version(patient.pk)  # what a writer's service does in its transaction
        return loaded

    monkeypatch.setattr(services, "load_inputs", load_then_a_writer_commits)
    assert progression_recompute(patient_id=patient.pk, force=True) == "superseded"
    assert snapshot(patient).computed_at == before.computed_at
    assert snapshot(patient).data_version == before.data_version
    assert state(patient).dirty_since is not None  # left for the queued run (or the sweep)
    monkeypatch.setattr(services, "load_inputs", original)
    assert progression_recompute(patient_id=patient.pk) == "computed"
    assert snapshot(patient).data_version == state(patient).data_version


# --- Track assignments ------------------------------------------------------------------------


def test_auto_tracks_are_created_reused_and_cleaned_up_and_user_choices_kept(commit):
    patient = commit(factories.make_patient)
    first = commit(factories.make_radiograph, patient, acquired_on=D1)
    second = commit(factories.make_radiograph, patient, acquired_on=D2)
    a = commit(factories.make_lesion, first, longest_diameter_mm=5.0, **THUMB)
    b = commit(factories.make_lesion, first, longest_diameter_mm=4.0, **INDEX)
    c = commit(factories.make_lesion, second, longest_diameter_mm=6.0, **THUMB)
    d = commit(factories.make_lesion, second, longest_diameter_mm=4.1, **INDEX)
    rows = lesion_rows(patient)
    thumb, index = rows[a.pk][0], rows[b.pk][0]
    # Two sites, two automatic tracks: a and c on the thumb, b and d on the index.
    assert rows == {
        a.pk: (thumb, "auto"), b.pk: (index, "auto"), c.pk: (thumb, "auto"), d.pk: (index, "auto"),
    }  # fmt: skip
    assert set(AutoTrack.objects.values_list("pk", flat=True)) == {thumb, index}
    site = LesionTrack.objects.get(pk=thumb)
    assert (site.body_region, site.laterality, site.digit, site.segment) == (
        "hand", "left", 1, "distal_phalanx",
    )  # fmt: skip
    # A third year: the index deposit keeps its track id (previous assignment reused).
    third = commit(factories.make_radiograph, patient, acquired_on=D3)
    e = commit(factories.make_lesion, third, longest_diameter_mm=4.2, **INDEX)
    assert lesion_rows(patient)[e.pk] == (index, "auto")
    # The user moves c to a track of their own: the choice stays; a keeps the automatic track.
    mine = commit(factories.make_track, patient, label="mine", **THUMB)
    empty = commit(factories.make_track, patient, label="empty", **THUMB)
    c.track, c.track_assignment = mine, "user"
    commit(lesion_save, lesion=c)
    rows = lesion_rows(patient)
    assert rows[c.pk] == (mine.pk, "user") and rows[a.pk] == (thumb, "auto")
    # Deleting a leaves the automatic thumb track empty: it goes; the user's tracks stay.
    commit(CalcinosisLesion.objects.filter(pk=a.pk).delete)
    assert not LesionTrack.objects.filter(pk=thumb).exists()
    assert LesionTrack.objects.filter(pk__in=[mine.pk, empty.pk]).count() == 2
    detail = progression_detail(patient_id=patient.pk)
    assert {track["id"] for track in detail["tracks"]} == {mine.pk, index}
    assert snapshot(patient).data_version == state(patient).data_version  # no self-triggering


def test_a_new_track_is_reported_with_its_database_id(commit):
    """A deposit first seen at the second timepoint is "new": series progression, and the
    stored new_tracks names the track row created for it."""
    patient = commit(factories.make_patient)
    first = commit(factories.make_radiograph, patient, acquired_on=D1)
    second = commit(factories.make_radiograph, patient, acquired_on=D2)
    commit(factories.make_lesion, first, longest_diameter_mm=5.0, **THUMB)
    new = commit(factories.make_lesion, second, longest_diameter_mm=2.0, **INDEX)
    track_id = lesion_rows(patient)[new.pk][0]
    series = progression_detail(patient_id=patient.pk)["series"][0]
    assert series["timepoints"][1]["status"] == "progression"
    assert series["timepoints"][1]["new_tracks"] == [f"t{track_id}"]


# --- Sweep ----------------------------------------------------------------------------------------


def test_sweep_queues_dirty_patients_adopts_unmarked_ones_and_skips_refused_versions(
    teaching_case, commit, monkeypatch
):
    # The teaching case is dirty (its images went through the services, nothing ran at commit);
    # a patient written in bulk was never marked at all.
    bulk = Patient.objects.create(
        center=teaching_case.center, local_id="BULK-1", birth_date=date(1970, 1, 1)
    )
    assert not ProgressionState.objects.filter(pk=bulk.pk).exists()
    assert progression_sweep() == {"adopted": 1, "queued": 2}
    assert snapshot(teaching_case).status == "progression"
    assert snapshot(bulk).status == "no_radiograph"
    assert progression_sweep()["queued"] == 0

    def refuse(**kwargs):
        raise ValueError("lesion 1: refused")

    radiograph = Radiograph.objects.filter(patient=teaching_case).first()
    radiograph.notes = "re-read"
    with monkeypatch.context() as engine:
        engine.setattr(services, "compute_progression", refuse)
        commit(radiograph_save, radiograph=radiograph)  # refused at commit
        marker = state(teaching_case)
        assert marker.failed_version == marker.data_version
        assert marker.last_error == "lesion 1: refused"
        assert progression_sweep()["queued"] == 0  # not retried until the data changes
    assert progression_detail(patient_id=teaching_case.pk)["stale"] is True
    commit(radiograph_save, radiograph=radiograph)
    assert state(teaching_case).failed_version is None
    assert progression_detail(patient_id=teaching_case.pk)["stale"] is False
