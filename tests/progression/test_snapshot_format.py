"""The stored snapshot form (rows of values, ``"format": 2``) against the engine's ``to_dict``,
and the migration that sets snapshots of the earlier form back to "not computed"."""

from __future__ import annotations

import importlib
import json
from datetime import date

import pytest
from django.apps import apps
from django.utils import timezone

from progression.engine.grading import compute_progression
from progression.engine.inputs import LesionIn, RadiographIn, TrackIn
from progression.models import ProgressionSnapshot, ProgressionState
from progression.result_json import FORMAT, series_json, stored_result, tracks_json
from tests import factories

THUMB = {"digit": 1, "segment": "distal_phalanx", "tissue": "soft_tissue"}


def thumb_case():
    """Track 7 (existing) 15.0 -> 17.0 mm, then a new index deposit of 4.0 mm on day 3:
    the new one is "new-1" for the engine, stored as the database id it got (here 9)."""
    days = [date(2021, 3, 1), date(2022, 3, 1), date(2023, 3, 1)]
    radiographs = [
        RadiographIn(10 + n, day, "hand", "left", None, "pa") for n, day in enumerate(days)
    ]
    lesions = [
        LesionIn(100, 10, "left", longest_diameter_mm=15.0, previous_track_id=7, **THUMB),
        LesionIn(101, 11, "left", longest_diameter_mm=17.0, previous_track_id=7, **THUMB),
        LesionIn(102, 12, "left", longest_diameter_mm=17.5, perpendicular_diameter_mm=6.0, **THUMB),
        LesionIn(103, 12, "left", 2, "distal_phalanx", "soft_tissue", 4.0),
    ]
    tracks = [TrackIn(7, "hand", "left", **THUMB)]
    return compute_progression(radiographs=radiographs, lesions=lesions, tracks=tracks)


def test_stored_rows_read_back_as_the_api_objects_with_track_keys_resolved():
    result = thumb_case()
    stored = json.loads(json.dumps(stored_result(result, {"t7": 7, "new-1": 9})))  # as jsonb
    expected = result.to_dict()
    assert stored["format"] == FORMAT
    series = series_json(stored)
    # Same values as to_dict, but "new-1" is the row it became: t9.
    expected_series = expected["series"]
    expected_series[0]["timepoints"][2]["new_tracks"] = ["t9"]
    assert series == expected_series
    assert series[0]["timepoints"][2]["new_tracks"] == ["t9"]
    tracks = tracks_json(stored)
    assert [(track["id"], track["key"]) for track in tracks] == [(7, "t7"), (9, "t9")]
    assert [track["site"] for track in tracks] == [track["site"] for track in expected["tracks"]]
    assert [track["observations"] for track in tracks] == [
        track["observations"] for track in expected["tracks"]
    ]
    # The thumb on day 3: D 17.5, P 6.0, area pi/4 * 17.5 * 6.0 = 82.47 mm^2 (rounded to 2).
    assert tracks[0]["observations"][2]["area_mm2"] == 82.47


@pytest.mark.django_db
def test_snapshots_of_the_earlier_form_are_set_back_to_not_computed_and_marked_dirty():
    old, current = factories.make_patient(), factories.make_patient()
    now = timezone.now()
    ProgressionState.objects.filter(pk__in=[old.pk, current.pk]).update(dirty_since=None)
    for patient, result in ((old, {"series": [], "tracks": []}), (current, {"format": 2})):
        ProgressionSnapshot.objects.update_or_create(
            patient=patient, defaults={"status": "stable", "result": result, "computed_at": now}
        )
    migration = importlib.import_module("progression.migrations.0002_snapshot_rows_format")
    migration.forget_old_snapshots(apps, None)
    forgotten = ProgressionSnapshot.objects.get(pk=old.pk)
    assert (forgotten.status, forgotten.result, forgotten.computed_at) == ("", {}, None)
    assert ProgressionState.objects.get(pk=old.pk).dirty_since is not None
    kept = ProgressionSnapshot.objects.get(pk=current.pk)
    assert (kept.status, kept.computed_at) == ("stable", now)
    assert ProgressionState.objects.get(pk=current.pk).dirty_since is None
