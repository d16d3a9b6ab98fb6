"""Recompute calcinosis progression: one patient, or the whole cohort as a job with progress.

    manage.py recompute_progression                      # cohort job on the workers, followed
    manage.py recompute_progression --sync               # cohort job run here, in batches
    manage.py recompute_progression --rules progression_fraction=0.3
    manage.py recompute_progression --patient SSC-TEACH0001   # one patient, here and now

Without a broker (the embedded default) everything runs here. With one, the cohort job is queued
and this command shows its progress until it ends (Ctrl-C stops following, not the job).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from patients.models import Patient
from progression import cohort_jobs, services
from progression.models import RecomputeJob
from progression.registry_rules import parse_rule_pairs, rules_with
from registry.audit import Source, audit_context
from registry.progress_bar import ProgressBar

POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = "Recompute calcinosis progression for one patient or the whole cohort."

    def add_arguments(self, parser):
        parser.add_argument(
            "--patient", help="Registry id (SSC-...) or database id: recomputed here, at once."
        )
        parser.add_argument(
            "--rules",
            nargs="+",
            action="extend",
            default=[],
            metavar="KEY=VALUE",
            help="Override rules: absolute_floor_mm, progression_fraction, regression_fraction.",
        )
        parser.add_argument("--sync", action="store_true", help="Run here, not on the workers.")

    def handle(self, *args, **options):
        try:
            rules = rules_with(parse_rule_pairs(options["rules"]))
        except ValueError as error:
            raise CommandError(str(error)) from error
        with audit_context(Source.CLI):
            if options["patient"]:
                self._one(self._patient_id(options["patient"]), rules)
            else:
                self._cohort(rules, sync=options["sync"])

    def _patient_id(self, value: str) -> int:
        patients = Patient.objects.all()
        found = (
            patients.filter(pk=int(value))
            if value.isdigit()
            else patients.filter(registry_id=value)
        )
        pk = found.values_list("pk", flat=True).first()
        if pk is None:
            raise CommandError(f"No patient {value!r}.")
        return pk

    def _one(self, patient_id: int, rules) -> None:
        started = time.perf_counter()
        outcome = services.progression_recompute(patient_id=patient_id, rules=rules, force=True)
        status = (
            Patient.objects.filter(pk=patient_id)
            .values_list("progression_snapshot__status", flat=True)
            .first()
        )
        self.stdout.write(
            f"Patient {patient_id}: {outcome}, status {status or 'none'} "
            f"({time.perf_counter() - started:.2f} s, rules {rules.as_dict()})."
        )

    def _cohort(self, rules, *, sync: bool) -> None:
        from celery import current_app

        sync = sync or current_app.conf.task_always_eager
        job = cohort_jobs.cohort_recompute_start(rules=rules, enqueue_job=not sync)
        bar = ProgressBar(self.stderr, "patients")
        started = time.perf_counter()
        try:
            if sync:
                cohort_jobs.cohort_recompute_run(job_id=job.pk, on_progress=bar)
            else:
                self.stderr.write(f"Job {job.pk} queued; following its progress (Ctrl-C to stop).")
                self._follow(job.pk, bar)
        except Exception as error:
            if sync:
                cohort_jobs.cohort_recompute_fail(
                    job_id=job.pk, error=f"{type(error).__name__}: {error}"
                )
            raise
        finally:
            bar.close()
        job.refresh_from_db()
        elapsed = time.perf_counter() - started
        rate = job.done / elapsed if elapsed > 0 else 0.0
        self.stdout.write(
            f"Job {job.pk} {job.status}: {job.done:,}/{job.total:,} patients recomputed "
            f"({job.failures} refused by the engine) in {elapsed:.1f} s ({rate:,.0f} patients/s), "
            f"rules {job.rules}."
        )
        if job.status == RecomputeJob.Status.FAILED:
            raise CommandError(f"Job {job.pk} failed: {job.error}")

    def _follow(self, job_id: int, bar: ProgressBar) -> None:
        while True:
            job = RecomputeJob.objects.get(pk=job_id)
            bar(job.done, job.total)
            if job.is_finished:
                return
            time.sleep(POLL_SECONDS)  # polling a progress display, not synchronising
