"""Progression services: compute, recompute and store, mark dirty, sweep, cohort jobs.

Every interface (the API, the Celery tasks, the command line, the data-entry services) calls
these; they call the pure engine (:func:`progression.engine.grading.compute_progression`). The
concurrency protocol, per patient:

1. a writer bumps ``ProgressionState.data_version`` in its own transaction
   (:func:`progression_mark_dirty`) and queues a recomputation after commit;
2. a recomputation locks the patient's ``ProgressionSnapshot`` row (recomputations of one
   patient run one at a time), reads the data version V, loads and computes, and reads the
   version again: if it moved, a writer committed meanwhile (the load may mix two states, and
   that writer has queued a newer recomputation), so this result is dropped, never stored;
3. otherwise it writes the track assignments and stores the snapshot as version V, and clears
   the dirty mark only if the version is still V. A result is stored only over an older one.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from imaging.models import CalcinosisLesion
from patients.models import Patient
from progression import enqueue
from progression.assignments import engine_writes, persist_assignments
from progression.bulk_sql import update_from_values
from progression.engine.grading import compute_progression
from progression.engine.results import PatientProgression
from progression.engine.rules import Rules
from progression.loading import PatientInputs, load_inputs
from progression.models import ProgressionSnapshot, ProgressionState
from progression.registry_rules import registry_rules, rules_with
from progression.result_json import detail_json, engine_track_ids, status_value, stored_result

RuleInput = Mapping[str, object] | Rules | None
SNAPSHOT_FIELDS = ["data_version", "status", "result", "rules", "computed_at"]
LOCKED_FIELDS = ("pk", "patient__progression_state__data_version", "is_current")
SWEEP_BATCHES = 50  # batches a single sweep queues at most; the next sweep does the rest


@dataclass
class RecomputeOutcome:
    """What a recomputation did with each patient id it was given."""

    computed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)  # snapshot already current
    superseded: list[int] = field(default_factory=list)  # data changed meanwhile: requeued
    failed: dict[int, str] = field(default_factory=dict)  # the engine refused the data
    missing: list[int] = field(default_factory=list)  # no such patient (deleted)

    def counts(self) -> dict[str, int]:
        return {
            "computed": len(self.computed),
            "unchanged": len(self.unchanged),
            "superseded": len(self.superseded),
            "failed": len(self.failed),
            "missing": len(self.missing),
        }

    def of(self, patient_id: int) -> str:
        for name in ("computed", "unchanged", "superseded", "failed", "missing"):
            if patient_id in getattr(self, name):
                return name
        raise KeyError(patient_id)


def progression_compute(*, patient_id: int, rules: RuleInput = None) -> PatientProgression:
    """The patient's progression under ``rules`` (registry rules overridden), not stored: the
    API's rule overrides. Patient.DoesNotExist if there is no such patient; ValueError if the
    engine refuses the data."""
    inputs = load_inputs([patient_id]).get(patient_id)
    if inputs is None:
        raise Patient.DoesNotExist(f"patient {patient_id} does not exist")
    return compute_progression(**inputs.engine_arguments(), rules=rules_with(rules))


def progression_recompute(
    *, patient_id: int, rules: RuleInput = None, force: bool = False, nowait: bool = False
) -> str:
    """Recompute and store one patient; returns what happened (see :class:`RecomputeOutcome`).
    Idempotent: with nothing changed since the snapshot it only returns ``unchanged``.

    ``nowait``: raise :class:`django.db.DatabaseError` at once, instead of waiting, when another
    transaction holds the patient's snapshot or lesions (a worker recomputing, a colleague's
    write): a caller inside its own write transaction must never wait on rows whose holder may
    be waiting on it (:func:`imaging.services.lesion_save_matched`)."""
    outcome = progression_recompute_many(
        patient_ids=[patient_id], rules=rules, force=force, nowait=nowait
    )
    return outcome.of(patient_id)


def progression_recompute_many(
    *,
    patient_ids: Iterable[int],
    rules: RuleInput = None,
    force: bool = False,
    nowait: bool = False,
) -> RecomputeOutcome:
    """Recompute and store a batch of patients in a few queries (see the module docstring).

    ``force`` recomputes even current snapshots (a cohort job after an engine change); without
    it a patient whose snapshot has its data version and these rules is left as it is.
    """
    resolved = rules_with(rules)
    rules_json = resolved.as_dict()
    ids = sorted(set(patient_ids))
    outcome = RecomputeOutcome()
    if not ids:
        return outcome
    # Starting now: a change committed from here on must queue another recomputation.
    ProgressionState.objects.filter(pk__any_of=ids, recompute_pending=True).update(
        recompute_pending=False
    )
    missing = _ensure_rows(ids)
    existing = [pk for pk in ids if pk not in missing]
    with engine_writes(), _without_cycle_collection(), transaction.atomic():
        if nowait:  # the rows the assignments rewrite, before the snapshot (see above)
            list(
                CalcinosisLesion.objects.select_for_update(nowait=True, of=("self",))
                .filter(radiograph__patient_id__in=ids)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        # Lock the snapshot rows (not the state rows: writers bump those) and read the versions.
        locked = (
            ProgressionSnapshot.objects.select_for_update(nowait=nowait, of=("self",))
            .filter(pk__any_of=existing)
            .with_is_current(resolved)
            .order_by("pk")
            .values_list(*LOCKED_FIELDS)
        )
        versions: dict[int, int] = {}
        todo = []
        for pk, version, current in locked:
            versions[pk] = version or 0  # no state row: never marked
            if force or not current:
                todo.append(pk)
        outcome.unchanged = sorted(set(versions) - set(todo))
        missing.update(pk for pk in existing if pk not in versions)  # deleted meanwhile
        inputs = load_inputs(todo)
        results, failed = _compute(inputs, resolved)
        moved = {pk for pk, version in _versions(todo).items() if version != versions[pk]}
        missing.update(pk for pk in todo if pk not in inputs)
        outcome.missing = sorted(missing)
        outcome.superseded = sorted(moved & set(inputs))
        outcome.failed = {pk: error for pk, error in failed.items() if pk not in moved}
        outcome.computed = [pk for pk in results if pk not in moved]
        track_ids = persist_assignments([(inputs[pk], results[pk]) for pk in outcome.computed])
        stored = [(pk, versions[pk], results[pk], track_ids[pk]) for pk in outcome.computed]
        _store_snapshots(stored, rules_json)
    _mark_clean({pk: versions[pk] for pk in outcome.computed + outcome.unchanged})
    for pk, message in outcome.failed.items():
        ProgressionState.objects.filter(pk=pk, data_version=versions[pk]).update(
            failed_version=versions[pk], last_error=message[:300]
        )
    return outcome


@contextlib.contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while a batch is loaded, computed and stored: the engine's
    values are acyclic (freed by reference counting), and the collector kept rescanning the
    batch's hundreds of thousands of live objects (15 % of a cohort recomputation, measured)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _compute(
    inputs: Mapping[int, PatientInputs], rules: Rules
) -> tuple[dict[int, PatientProgression], dict[int, str]]:
    """The engine on each patient; a refusal (ValueError) is recorded, not raised."""
    results: dict[int, PatientProgression] = {}
    failed: dict[int, str] = {}
    for pk, patient in inputs.items():
        try:
            results[pk] = compute_progression(**patient.engine_arguments(), rules=rules)
        except ValueError as error:
            failed[pk] = str(error)
    return results, failed


def _store_snapshots(
    computed: list[tuple[int, int, PatientProgression, Mapping[str, int]]], rules_json: dict
) -> None:
    """(patient id, data version, result, track ids) -> the snapshot rows, in one statement;
    "<=": never over a newer result (the lock already prevents it: a safeguard)."""
    now = timezone.now()
    rows = [
        (pk, version, status_value(result), stored_result(result, track_ids), rules_json, now)
        for pk, version, result, track_ids in computed
    ]
    update_from_values(
        ProgressionSnapshot, SNAPSHOT_FIELDS, rows, where="{table}.data_version <= v.data_version"
    )


def _ensure_rows(patient_ids: list[int]) -> set[int]:
    """Give each patient its state row (a never-marked patient counts as dirty) and the snapshot
    row to lock; returns the ids of patients that do not exist. After a patient's first
    computation both rows exist, and this is one read."""
    ready = set(
        ProgressionSnapshot.objects.filter(pk__any_of=patient_ids)
        .filter(Exists(ProgressionState.objects.filter(pk=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    absent = [pk for pk in patient_ids if pk not in ready]
    if not absent:
        return set()
    existing = set(Patient.objects.filter(pk__in=absent).values_list("pk", flat=True))
    now = timezone.now()
    ProgressionState.objects.bulk_create(
        [ProgressionState(patient_id=pk, dirty_since=now) for pk in sorted(existing)],
        ignore_conflicts=True,
    )
    ProgressionSnapshot.objects.bulk_create(
        [ProgressionSnapshot(patient_id=pk) for pk in sorted(existing)], ignore_conflicts=True
    )
    return set(absent) - existing


def _versions(patient_ids: Iterable[int]) -> dict[int, int]:
    return dict(
        ProgressionState.objects.filter(pk__any_of=list(patient_ids)).values_list(
            "pk", "data_version"
        )
    )


def _mark_clean(versions: Mapping[int, int]) -> None:
    """Clear the dirty mark of patients still at the version just stored (rows already clean,
    as after a rules change, are left alone: no write)."""
    update_from_values(
        ProgressionState,
        ["dirty_since", "failed_version", "last_error"],
        [(pk, None, None, "", version) for pk, version in versions.items()],
        match=["data_version"],
        where="{table}.dirty_since IS NOT NULL OR {table}.failed_version IS NOT NULL "
        "OR {table}.last_error <> ''",
    )


def progression_mark_dirty(*, patient_id: int, create_state: bool = True) -> None:
    """Call inside the writer's transaction, after the save: the patient's progression inputs
    changed. Durable with the data; the recomputation is queued after commit, debounced, and a
    broker outage never fails the write (:mod:`progression.enqueue`)."""
    enqueue.bump_data_version(patient_id, create=create_state)
    enqueue.request_after_commit(patient_id)


def progression_sweep(*, limit: int | None = None) -> dict[str, int]:
    """Queue every patient whose data changed since its snapshot (and patients never computed),
    in batches. Run by celery beat (cohort jobs that stopped: :mod:`registry.job_sweep`)."""
    batch = settings.REGISTRY_PROGRESSION_BATCH_SIZE
    limit = limit or batch * SWEEP_BATCHES
    now = timezone.now()
    adopt = Patient.objects.filter(progression_state__isnull=True).order_by("pk")
    adopted = list(adopt.values_list("pk", flat=True)[:limit])
    ProgressionState.objects.bulk_create(
        [ProgressionState(patient_id=pk, dirty_since=now) for pk in adopted], ignore_conflicts=True
    )
    due = (
        ProgressionState.objects.filter(dirty_since__isnull=False)
        .filter(Q(failed_version__isnull=True) | ~Q(failed_version=F("data_version")))
        .filter(enqueue.claimable(now))
        .order_by("dirty_since")
        .values_list("pk", flat=True)
    )
    claimed = enqueue.claim_many(list(due[:limit]))
    queued = 0
    for start in range(0, len(claimed), batch):
        chunk = claimed[start : start + batch]
        if not enqueue.send("progression.tasks.recompute_patients", (chunk,), claimed=chunk):
            rest = claimed[start:]
            ProgressionState.objects.filter(pk__in=rest).update(recompute_pending=False)
            break
        queued += len(chunk)
    return {"adopted": len(adopted), "queued": queued}


def progression_detail(*, patient_id: int, rules: RuleInput = None) -> dict[str, Any]:
    """``GET /api/v1/patients/{id}/progression/``: the stored snapshot (computed now if the
    patient has none yet), or, with rule overrides that differ from the registry's, a result
    computed on the fly and not stored (``stale`` false, ``computed_at`` now)."""
    registry = registry_rules()
    wanted = rules_with(rules)
    if wanted != registry:
        return _computed_now(progression_compute(patient_id=patient_id, rules=wanted), wanted)
    snapshots = ProgressionSnapshot.objects.filter(pk=patient_id).with_is_current(registry)
    snapshot = snapshots.filter(computed_at__isnull=False).first()
    if snapshot is None:
        if progression_recompute(patient_id=patient_id) == "missing":
            raise Patient.DoesNotExist(f"patient {patient_id} does not exist")
        snapshot = snapshots.first()
        if snapshot is None or snapshot.computed_at is None:  # refused or superseded
            return _computed_now(progression_compute(patient_id=patient_id), registry)
    return detail_json(
        status=snapshot.status,
        computed_at=snapshot.computed_at,
        stale=not snapshot.is_current,
        rules=snapshot.rules,
        result=snapshot.result,
    )


def _computed_now(result: PatientProgression, rules: Rules) -> dict[str, Any]:
    """The API's JSON of a result computed for this request and not stored."""
    return detail_json(
        status=status_value(result),
        computed_at=timezone.now(),
        stale=False,
        rules=rules.as_dict(),
        result=stored_result(result, engine_track_ids(result)),
    )
