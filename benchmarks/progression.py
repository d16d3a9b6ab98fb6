"""Progression recomputation on PostgreSQL (issue 5).

1. Full cohort recomputation of N patients x 6 radiograph dates x 4 lesions (bulk-inserted,
   benchmarks.progression_data), with one worker: the first run (tracks matched and created)
   and a run after a rules change (every patient recomputed and stored, assignments unchanged).
   The floor: ``COPY (SELECT the rows the recomputation reads) TO STDOUT``. Goal: within 3x.
   Beside it, what no engine speed changes: the rows read into the engine's inputs, and the job
   run in-process with the computing replaced by results computed beforehand.
2. Incremental recomputation after one lesion edit: commit to stored snapshot, p95, with a warm
   worker. Goal: under 100 ms. With CELERY_BROKER_URL set both run on one real worker
   subprocess (``celery worker``, prefork, one process per part of the cohort job:
   REGISTRY_PROGRESSION_JOB_PARTS, by default the CPU count as Celery's concurrency); without,
   in-process (the embedded default), and it says so.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.db import connection, transaction

from benchmarks.progression_data import bulk_cohort
from imaging.models import CalcinosisLesion
from imaging.services import lesion_save
from patients.models import Patient
from progression import services
from progression.cohort_jobs import cohort_recompute_run, cohort_recompute_start
from progression.engine.grading import compute_progression
from progression.loading import load_inputs
from progression.models import ProgressionSnapshot, ProgressionState, RecomputeJob
from progression.registry_rules import rules_with
from progression.result_json import engine_track_ids, stored_result
from registry.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
FLOOR_GOAL, LATENCY_GOAL_MS = 3.0, 100.0
EDITS, WARM_UP = 200, 20
# The rows a recomputation reads (progression.loading), as the database would hand them over.
FLOOR_QUERIES = [
    "SELECT id, first_non_raynaud_onset, first_non_raynaud_onset_precision, raynaud_onset, "
    "raynaud_onset_precision FROM patients_patient",
    "SELECT id, patient_id, acquired_on, body_region, laterality, pixel_spacing_row_mm, "
    "pixel_spacing_column_mm, view FROM imaging_radiograph",
    "SELECT l.id, l.radiograph_id, r.patient_id, l.laterality, l.digit, l.segment, l.tissue, "
    "l.longest_diameter_mm, l.perpendicular_diameter_mm, l.longest_axis_px, l.track_id, "
    "l.track_assignment FROM imaging_calcinosislesion l "
    "JOIN imaging_radiograph r ON r.id = l.radiograph_id",
    "SELECT t.id, t.patient_id, t.body_region, t.laterality, t.digit, t.segment, t.tissue, "
    "a.track_id FROM imaging_lesiontrack t LEFT JOIN progression_autotrack a ON a.track_id = t.id",
]


def copy_floor() -> tuple[int, float]:
    """Rows and seconds to stream the same rows with COPY ... TO STDOUT."""
    rows = 0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in FLOOR_QUERIES:
            with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT") as copy:
                for block in copy:
                    rows += bytes(block).count(b"\n")
    return rows, time.perf_counter() - started


def python_read(batch: int) -> float:
    """Seconds to read the same rows into the engine's inputs (progression.loading, batches of
    a cohort job, one process, no computing): what a recomputation in Python cannot go below."""
    ids = list(Patient.objects.order_by("pk").values_list("pk", flat=True))
    started = time.perf_counter()
    for start in range(0, len(ids), batch):
        load_inputs(ids[start : start + batch])
    return time.perf_counter() - started


class Worker:
    """One real ``celery -A registry worker`` on CELERY_BROKER_URL and this database."""

    def __init__(self, concurrency: int) -> None:
        self.log = Path(tempfile.mkstemp(prefix="bench-worker-", suffix=".log")[1])
        command = [
            str(Path(sys.executable).parent / "celery"), "-A", "registry", "worker",
            "--pool", "prefork", "-c", str(concurrency), "--loglevel", "WARNING",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        env = {**os.environ, "DJANGO_LOG_LEVEL": "WARNING"}
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        celery_app.control.purge()
        deadline = time.monotonic() + 60
        while not celery_app.control.ping(timeout=0.5):
            if time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start; see {self.log}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def full_recompute(rules: dict | None, worker: Worker | None) -> float:
    started = time.perf_counter()
    job = cohort_recompute_start(rules=rules, enqueue_job=worker is not None)
    if worker is None:
        cohort_recompute_run(job_id=job.pk)
    else:
        while not RecomputeJob.objects.get(pk=job.pk).is_finished:
            time.sleep(0.05)  # polling the job's progress, not synchronising
    elapsed = time.perf_counter() - started
    job.refresh_from_db()
    assert job.status == "succeeded" and job.failures == 0, job.error
    return elapsed


def without_computing(rules: dict, batch: int) -> float:
    """What-if, in-process: the cohort job under ``rules`` with the engine and the snapshot
    serialisation replaced by look-ups of results computed beforehand (not timed), so that
    reading, locking, storing and bookkeeping are measured on their own."""
    resolved = rules_with(rules)
    ids = list(Patient.objects.order_by("pk").values_list("pk", flat=True))
    results = {}
    for start in range(0, len(ids), batch):
        for pk, inputs in load_inputs(ids[start : start + batch]).items():
            results[pk] = compute_progression(**inputs.engine_arguments(), rules=resolved)
    documents = {
        id(result): stored_result(result, engine_track_ids(result)) for result in results.values()
    }

    def look_up(inputs: dict, rules: object) -> tuple[dict, dict]:
        return {pk: results[pk] for pk in inputs}, {}

    with (
        mock.patch.object(services, "_compute", look_up),
        mock.patch.object(services, "stored_result", lambda result, _ids: documents[id(result)]),
    ):
        return full_recompute(rules, None)


def edit_latency_ms(lesion_id: int) -> float:
    """One lesion edit through the service; ms from its commit to its snapshot being stored."""
    lesion = CalcinosisLesion.objects.select_related("radiograph").get(pk=lesion_id)
    patient_id = lesion.radiograph.patient_id
    committed: list[float] = []
    with transaction.atomic():
        transaction.on_commit(lambda: committed.append(time.perf_counter()))  # runs first
        lesion.longest_diameter_mm = round(lesion.longest_diameter_mm + 0.1, 2)
        lesion_save(lesion=lesion)
    version = ProgressionState.objects.get(pk=patient_id).data_version
    stored = ProgressionSnapshot.objects.filter(pk=patient_id, data_version__gte=version)
    deadline = time.monotonic() + 30
    while not stored.exists():  # in-process (eager) it is stored already
        if time.monotonic() > deadline:
            raise RuntimeError(f"no snapshot for patient {patient_id} after 30 s")
        time.sleep(0.001)
    return (time.perf_counter() - committed[0]) * 1000


def run(*, patients: int) -> None:
    broker = os.environ.get("CELERY_BROKER_URL", "")
    # One process per part: by default both are the CPU count (Celery's default concurrency).
    processes = settings.REGISTRY_PROGRESSION_JOB_PARTS
    mode = (
        f"one real Celery worker (prefork, {processes} processes, the job in {processes} parts)"
        if broker
        else "in-process (no broker)"
    )
    started = time.perf_counter()
    bulk_cohort(patients)
    with connection.cursor() as cursor:  # as autovacuum would soon after a bulk load
        cursor.execute("ANALYZE")
    lesions = CalcinosisLesion.objects.count()
    print(
        f"progression: {patients:,} patients x 6 dates x 4 lesions ({lesions:,} lesions) "
        f"bulk-inserted in {time.perf_counter() - started:.1f} s; runs on {mode}"
    )
    worker = Worker(processes) if broker else None
    try:
        first = full_recompute(None, worker)
        print(
            f"  full recomputation, first run (tracks matched and created): {first:.1f} s, "
            f"{patients / first:,.0f} patients/s"
        )
        rows, floor = copy_floor()
        print(f"  floor: COPY of the same {rows:,} rows TO STDOUT: {floor:.2f} s")
        batch = settings.REGISTRY_PROGRESSION_JOB_BATCH_SIZE
        read = python_read(batch)
        print(
            f"  the same rows read into the engine's inputs (one process, nothing computed): "
            f"{read:.2f} s = {read / floor:.1f}x the floor"
        )
        steady = full_recompute({"progression_fraction": 0.3}, worker)
        ratio = steady / floor
        verdict = "within" if ratio <= FLOOR_GOAL else "OVER"
        print(
            f"  full recomputation after a rules change: {steady:.1f} s, "
            f"{patients / steady:,.0f} patients/s = {ratio:.1f}x the floor "
            f"(goal <= {FLOOR_GOAL:g}x: {verdict}; first run {first / floor:.1f}x)"
        )
        bare = without_computing({"progression_fraction": 0.3}, batch)
        print(
            f"  the same job with nothing computed (engine and serialisation replaced by results "
            f"computed beforehand, in-process): {bare:.1f} s = {bare / floor:.1f}x the floor; "
            f"shared perfectly by {processes} processes {bare / processes / floor:.1f}x"
        )
        # One lesion of each of EDITS + WARM_UP different patients: every edit is a first change
        # after a quiet period (an edit within the debounce window waits for the window).
        first_lesion = {}
        for pk, patient_id in CalcinosisLesion.objects.values_list("pk", "radiograph__patient"):
            first_lesion.setdefault(patient_id, pk)
        lesion_ids = random.Random(5).sample(sorted(first_lesion.values()), EDITS + WARM_UP)
        timings = [edit_latency_ms(pk) for pk in lesion_ids][WARM_UP:]
        p95 = statistics.quantiles(timings, n=20)[18]
        verdict = "within" if p95 < LATENCY_GOAL_MS else "OVER"
        print(
            f"  one lesion edit, commit -> stored snapshot ({EDITS} edits, warm): "
            f"p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, max {max(timings):.1f} ms "
            f"(goal p95 < {LATENCY_GOAL_MS:g} ms: {verdict})"
        )
    finally:
        if worker is not None:
            worker.stop()
