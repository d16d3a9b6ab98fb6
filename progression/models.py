"""Stored progression results, the per-patient recomputation bookkeeping, and cohort jobs.

The clinical rules live in the pure engine (:mod:`progression.engine`); these models only keep
what it returned (DOMAIN.md, "Calcinosis progression"), when, from which version of the data, and
what still has to be recomputed.

Why two rows per patient: writers (lesion, radiograph, track, visit and patient services) bump
:class:`ProgressionState` inside their own transaction; recomputations lock
:class:`ProgressionSnapshot`. Writers hold lesion rows while they bump the state, and a
recomputation holds the snapshot while it writes lesion assignments, so the two never wait for
each other in opposite orders (no deadlock), and data entry never waits for a computation.
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.db.models.functions import Coalesce

from imaging.models import LesionTrack
from patients.models import Patient
from progression.engine.cohort import NO_RADIOGRAPH
from progression.engine.results import SeriesStatus
from progression.engine.rules import Rules
from registry.jobs import Job


class SnapshotStatus(models.TextChoices):
    """The patient's current status: the most severe latest region series status (DOMAIN.md)."""

    PROGRESSION = SeriesStatus.PROGRESSION.value, "Progression"
    STABLE = SeriesStatus.STABLE.value, "Stable"
    REGRESSION = SeriesStatus.REGRESSION.value, "Regression"
    COMPLETE_RESOLUTION = SeriesStatus.COMPLETE_RESOLUTION.value, "Complete resolution"
    BASELINE = SeriesStatus.BASELINE.value, "Baseline only"
    NO_RADIOGRAPH = NO_RADIOGRAPH, "No radiograph"


class ProgressionState(models.Model):
    """What the registry knows about a patient's need for recomputation, kept in the database
    so that nothing is lost when the broker is down: the beat sweep reads it.

    ``data_version`` is bumped in the same transaction as every change to the patient's
    progression inputs; a snapshot records the version it was computed from, so "stale" is
    ``data_version > snapshot.data_version``. ``recompute_pending`` debounces enqueueing: while a
    recomputation is queued and not yet started, further changes only bump the version.
    """

    patient = models.OneToOneField(
        Patient, on_delete=models.CASCADE, primary_key=True, related_name="progression_state"
    )
    data_version = models.PositiveBigIntegerField(default=0)
    dirty_since = models.DateTimeField(
        null=True, blank=True, help_text="First change not yet in a snapshot; null when clean."
    )
    recompute_pending = models.BooleanField(default=False)
    enqueued_at = models.DateTimeField(
        null=True, blank=True, help_text="When a recomputation was last queued."
    )
    failed_version = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="The data version the engine refused; the sweep retries only after a change.",
    )
    last_error = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(
                fields=["dirty_since"],
                condition=Q(dirty_since__isnull=False),
                name="progression_state_dirty",
            )
        ]

    def __str__(self) -> str:
        return f"progression state of patient {self.patient_id} (v{self.data_version})"


class ProgressionSnapshotQuerySet(models.QuerySet):
    """The one answer to "is this snapshot current?": computed, under the given rules, and from
    the patient's latest data version (a patient without a state row was never marked: 0)."""

    def with_is_current(self, rules: Rules) -> Self:
        """Annotate ``is_current`` (reads the patient's state row in the same query)."""
        return self.annotate(
            latest_data_version=Coalesce(F("patient__progression_state__data_version"), 0),
            is_current=ExpressionWrapper(
                Q(
                    computed_at__isnull=False,
                    rules=rules.as_dict(),
                    data_version__gte=F("latest_data_version"),
                ),
                output_field=BooleanField(),
            ),
        )

    def current(self, rules: Rules) -> Self:
        """Only the snapshots that are current under ``rules``."""
        return self.with_is_current(rules).filter(is_current=True)


class ProgressionSnapshot(models.Model):
    """The patient's stored progression result (``PatientProgression.to_dict()`` with track
    keys resolved to database ids), with the rules used and the data version it reflects.

    One row per patient, created empty (``computed_at`` null) when first needed as the row that
    serialises the patient's recomputations (``select_for_update``). A result is only replaced
    by one computed from the same or a newer data version: the newer result wins, never a mix.
    """

    patient = models.OneToOneField(
        Patient, on_delete=models.CASCADE, primary_key=True, related_name="progression_snapshot"
    )
    data_version = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=20, choices=SnapshotStatus.choices, blank=True, default="")
    result = models.JSONField(default=dict, blank=True, help_text="series and tracks")
    rules = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    objects = ProgressionSnapshotQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status="", computed_at__isnull=True)
                | Q(status__in=SnapshotStatus.values, computed_at__isnull=False),
                name="progression_snapshot_status_when_computed",
            )
        ]
        indexes = [models.Index(fields=["status"], name="progression_snapshot_status")]

    def __str__(self) -> str:
        return f"progression of patient {self.patient_id}: {self.status or 'not computed'}"


class AutoTrack(models.Model):
    """A lesion track the progression engine created (no user did): deleted again by the
    engine when it no longer holds any lesion. Tracks users create are never deleted by it."""

    track = models.OneToOneField(
        LesionTrack, on_delete=models.CASCADE, primary_key=True, related_name="auto_origin"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"automatic track {self.track_id}"


class RecomputeJob(Job):
    """A cohort-wide recomputation (after a rules change), run in resumable batches.

    Patients are processed in primary-key order up to ``scope_last_patient_id`` (the largest id
    when the job started); ``cursor`` is the last id done, so a task killed mid-batch resumes
    where the last committed batch ended. Status moves only through :mod:`progression.jobs`.

    On a broker, a job is split into ``parts``: jobs over contiguous ranges of patients, each run
    by its own task, so that every process of the workers takes a share. The job itself then has
    no task: its parts add their progress to it, and the last part to end settles it.
    """

    task = "progression.tasks.run_cohort_recompute"
    fail = "progression.cohort_jobs.cohort_recompute_fail"

    # Patients, not rows: the integer columns the table always had.
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(
        default=0, help_text="Patients whose data the engine refused (counted in done)."
    )
    rules = models.JSONField(default=dict, blank=True)
    cursor = models.BigIntegerField(default=0, help_text="Last patient id done.")
    scope_last_patient_id = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="progression_jobs",
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="parts",
        help_text="The cohort job this is a part of: a range of patients run by its own task.",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Job.Status.values), name="recompute_job_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Job.FINAL, finished_at__isnull=False)
                | Q(status__in=Job.ACTIVE, finished_at__isnull=True),
                name="recompute_job_finished_when_final",
            ),
        ]

    def __str__(self) -> str:
        return f"recompute job {self.pk}: {self.status} {self.done}/{self.total}"

    @classmethod
    def runnable(cls) -> models.QuerySet:
        """A job split into parts has no task of its own: its parts are run (and swept)."""
        return cls.objects.filter(parts__isnull=True)
