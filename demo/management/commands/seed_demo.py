"""Seed a synthetic multi-center demo cohort, the teaching case, and demo users.

``make run`` calls it with ``--if-empty`` on every start: the demo sign-ins are printed last each
time (also when the cohort exists), and the log lines of the tasks run in-process while seeding
are held back, so the sign-ins are not buried under them."""

import contextlib
import logging
import time
from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from accounts import services as account_services
from accounts.models import Center, Membership
from demo.cohort import DEMO_CENTERS, generate_cohort
from demo.consent import demo_consent
from demo.seeding import SeedCounts, cohort_write
from demo.teaching_case import TEACHING_CASE_LOCAL_ID, teaching_case
from demo.teaching_images import attach_teaching_images
from patients.models import Patient
from progression.services import progression_recompute_many
from registry.audit import Source, audit_context

PROGRESSION_BATCH = 500
DEMO_PASSWORD = "demo-{role}-2026"  # demo only: printed, never used outside seed_demo
DEMO_ROLES = ("clinician", "researcher")
DEMO_ADMIN = "admin"
# Loggers of the tasks run in-process (eager) while seeding, and the level they keep meanwhile:
# "Task ... succeeded" lines (one per patient and image) are noise here; failures still show.
QUIET_LOGGERS = {"celery": logging.WARNING, "kombu": logging.ERROR}
NO_DEMO_USERS = "No demo sign-ins: the demo users were not created (seed_demo without --no-users)."


@contextlib.contextmanager
def quiet_task_logs() -> Iterator[None]:
    loggers = {logging.getLogger(name): level for name, level in QUIET_LOGGERS.items()}
    before = {logger: logger.level for logger in loggers}
    for logger, level in loggers.items():
        logger.setLevel(max(level, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        for logger, level in before.items():
            logger.setLevel(level)


class Command(BaseCommand):
    help = "Create the demo cohort (synthetic): N patients over 3 centers, plus the teaching case."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=200)
        parser.add_argument("--seed", type=int, default=2013)
        parser.add_argument(
            "--batch", type=int, default=1000, help="Patients written per transaction."
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if any patient exists."
        )
        parser.add_argument("--no-users", action="store_true", help="Skip the demo users.")
        parser.add_argument(
            "--no-progression",
            action="store_true",
            help="Leave progression to the workers' sweep instead of computing it now.",
        )

    def handle(self, *args, **options):
        if options["patients"] < 0:
            raise CommandError("--patients must be 0 or more.")
        if options["if_empty"] and Patient.objects.exists():
            self.stdout.write("Patients exist already: demo cohort not seeded.")
            self._sign_ins(missing=NO_DEMO_USERS)
            return
        started = time.perf_counter()
        with audit_context(Source.CLI), quiet_task_logs():
            for code, name in DEMO_CENTERS:
                Center.objects.get_or_create(code=code, defaults={"name": name})
            counts = SeedCounts()
            teaching = cohort_write([teaching_case()])
            counts.add(teaching)
            if teaching.patient_ids:
                case = Patient.objects.get(pk=teaching.patient_ids[0])
                counts.radiographs += attach_teaching_images(case)
            step = max(1, options["batch"])
            for start in range(0, options["patients"], step):
                size = min(step, options["patients"] - start)
                records = generate_cohort(size, start=start, seed=options["seed"])
                counts.add(cohort_write(records))
                self.stderr.write(f"\r  {start + size}/{options['patients']} patients", ending="")
            self.stderr.write("")
            consent = demo_consent(counts.patient_ids)
            self.stdout.write(
                f"Consent: {consent['signed']} signed (care, radiographs, research), "
                f"{consent['withdrawn']} withdrew research, {consent['without_consent']} without "
                "consent recorded (docs/governance.md)."
            )
            if not options["no_progression"]:
                self._progression(counts.patient_ids)
            if not options["no_users"]:
                self._users()
        elapsed = time.perf_counter() - started
        rows = counts.patients + counts.visits + counts.radiographs + counts.lesions
        self.stdout.write(
            f"Seeded {counts.patients} patients, {counts.visits} visits, {counts.radiographs} "
            f"radiographs, {counts.lesions} lesions in {elapsed:.1f} s "
            f"({rows / elapsed if elapsed else 0:,.0f} rows/s). Teaching case: local id "
            f"{TEACHING_CASE_LOCAL_ID} at {DEMO_CENTERS[0][0]}."
        )
        if not options["no_users"]:
            self._sign_ins()

    def _progression(self, patient_ids: list[int]) -> None:
        """Compute the new patients' progression now, in batches (bulk writes enqueue nothing)."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # statistics for the rows just bulk-inserted
                cursor.execute("ANALYZE")
        for start in range(0, len(patient_ids), PROGRESSION_BATCH):
            progression_recompute_many(patient_ids=patient_ids[start : start + PROGRESSION_BATCH])
            done = min(start + PROGRESSION_BATCH, len(patient_ids))
            self.stderr.write(f"\r  progression {done}/{len(patient_ids)} patients", ending="")
        self.stderr.write("")

    @transaction.atomic
    def _users(self):
        for code, _name in DEMO_CENTERS:
            center = Center.objects.get(code=code)
            for role in DEMO_ROLES:
                password = DEMO_PASSWORD.format(role=role)
                account_services.user_add(
                    email=demo_email(role, code), center=center, role=role, password=password
                )
        user_model = get_user_model()
        if not user_model.objects.filter(username=DEMO_ADMIN).exists():
            admin = user_model.objects.create_superuser(DEMO_ADMIN, "admin@example.org")
            password = DEMO_PASSWORD.format(role="admin")
            account_services.user_password_set(user=admin, password=password)  # the validators
            admin.save()

    def _sign_ins(self, missing: str = "") -> None:
        """The demo accounts that exist, each with its password as seeded, role and center."""
        emails = [demo_email(role, code) for code, _ in DEMO_CENTERS for role in DEMO_ROLES]
        memberships = (
            Membership.objects.filter(user__username__in=emails)
            .select_related("user", "center")
            .order_by("center__code", "user__username")
        )
        rows = {
            m.user.username: f"{m.role} at {m.center.code} ({m.center.name})" for m in memberships
        }
        if get_user_model().objects.filter(username=DEMO_ADMIN, is_superuser=True).exists():
            rows[DEMO_ADMIN] = "superuser: every center, and the admin at /admin/"
        if not rows:
            if missing:
                self.stdout.write(missing)
            return
        self.stdout.write("Demo sign-ins (synthetic data only; passwords as seeded):")
        order = [*emails, DEMO_ADMIN]
        for username in sorted(rows, key=order.index):
            role = username.split("@")[0] if username != DEMO_ADMIN else "admin"
            password = DEMO_PASSWORD.format(role=role)
            self.stdout.write(f"  {username:36} password {password:22} {rows[username]}")


def demo_email(role: str, center_code: str) -> str:
    return f"{role}@{center_code}.example.org"
