"""Writing the engine's automatic lesion-to-track matching back to the lesions (DOMAIN.md,
"Matching lesions to tracks"), for a whole batch of patients in a handful of statements.

A user's choice always wins: lesions whose ``track_assignment`` is ``user`` are never written,
and the update re-checks that in SQL, so a choice committed while the engine was computing is
kept (PostgreSQL re-evaluates the WHERE clause on the row it waited for). The next
recomputation, queued by that change, matches the rest again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar

from django.db.models import Exists, OuterRef

from imaging.choices import TrackAssignment
from imaging.models import CalcinosisLesion, LesionTrack
from progression.bulk_sql import update_from_values
from progression.engine.results import PatientProgression
from progression.loading import PatientInputs
from progression.models import AutoTrack
from registry.audit import Source
from registry.history_bulk import history_copy_created

SITE_FIELDS = ("digit", "segment", "tissue")
AUTO_TRACK_REASON = "progression: automatic track"

_engine_writing: ContextVar[bool] = ContextVar("progression_engine_writing", default=False)


@contextlib.contextmanager
def engine_writes() -> Iterator[None]:
    """Marks writes made by the engine itself, so they do not mark the patient dirty again."""
    token = _engine_writing.set(True)
    try:
        yield
    finally:
        _engine_writing.reset(token)


def engine_is_writing() -> bool:
    return _engine_writing.get()


def persist_assignments(
    batch: Sequence[tuple[PatientInputs, PatientProgression]],
) -> dict[int, dict[str, int]]:
    """Create the new tracks, move lesions without a user choice to their matched track, give
    reused tracks the site the engine found, delete engine-made tracks left empty.

    Returns, per patient, engine track key -> database track id.
    """
    track_ids = _create_new_tracks(batch)
    _update_reused_sites(batch)
    _assign_lesions(batch, track_ids)
    used = {pk for ids in track_ids.values() for pk in ids.values()}
    _delete_empty_auto_tracks(
        {pk for inputs, _ in batch for pk in inputs.auto_track_ids if pk not in used}
    )
    return track_ids


def _create_new_tracks(
    batch: Sequence[tuple[PatientInputs, PatientProgression]],
) -> dict[int, dict[str, int]]:
    track_ids: dict[int, dict[str, int]] = {}
    new_rows: list[tuple[int, str, LesionTrack]] = []
    for inputs, result in batch:
        ids = track_ids.setdefault(inputs.patient_id, {})
        for track in result.tracks:
            if track.ref.existing_id is not None:
                ids[track.ref.key] = track.ref.existing_id
            else:
                row = LesionTrack(patient_id=inputs.patient_id, **track.site)
                new_rows.append((inputs.patient_id, track.ref.key, row))
    if new_rows:
        created = LesionTrack.objects.bulk_create([row for _, _, row in new_rows])
        pks = [row.pk for row in created]
        history_copy_created(LesionTrack, pks, source=Source.TASK, reason=AUTO_TRACK_REASON)
        AutoTrack.objects.bulk_create([AutoTrack(track_id=pk) for pk in pks])
        for patient_id, key, row in new_rows:
            track_ids[patient_id][key] = row.pk
    return track_ids


def _update_reused_sites(batch: Sequence[tuple[PatientInputs, PatientProgression]]) -> None:
    """A reused track takes its lesions' site: the user may have corrected a digit or segment
    (``TrackResult.site`` is authoritative). A chosen track keeps its own site anyway."""
    changed = []
    for inputs, result in batch:
        stored = {track.id: track for track in inputs.tracks}
        for track in result.tracks:
            old = stored.get(track.ref.existing_id)
            if old is None:
                continue
            if any(getattr(old, name) != track.site[name] for name in SITE_FIELDS):
                changed.append((old.id, *(track.site[name] for name in SITE_FIELDS)))
    update_from_values(LesionTrack, SITE_FIELDS, changed)


def _assign_lesions(
    batch: Sequence[tuple[PatientInputs, PatientProgression]],
    track_ids: dict[int, dict[str, int]],
) -> None:
    moves = []
    for inputs, result in batch:
        ids = track_ids[inputs.patient_id]
        assignments = result.assignments
        for lesion in inputs.lesions:
            if lesion.chosen_track_id is not None:  # the user's choice
                continue
            target = ids[assignments[lesion.id].key]
            # Stored as (previous_track_id, auto), or unassigned when it is None.
            if lesion.previous_track_id != target:
                moves.append((lesion.id, target, TrackAssignment.AUTO))
    update_from_values(
        CalcinosisLesion,
        ["track", "track_assignment"],
        moves,
        where="{table}.track_assignment <> %s",
        where_params=[TrackAssignment.USER],
    )


def _delete_empty_auto_tracks(candidates: set[int]) -> None:
    if not candidates:
        return
    with engine_writes():
        LesionTrack.objects.filter(pk__in=candidates, auto_origin__isnull=False).exclude(
            Exists(CalcinosisLesion.objects.filter(track=OuterRef("pk")))
        ).delete()
