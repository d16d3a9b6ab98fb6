"""Seed a synthetic multi-center demo cohort, the teaching case, and demo users."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from accounts import services as account_services
from accounts.models import Center
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
            return
        started = time.perf_counter()
        with audit_context(Source.CLI):
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
        from django.contrib.auth import get_user_model

        self.stdout.write("Demo logins (synthetic data only):")
        for code, _name in DEMO_CENTERS:
            center = Center.objects.get(code=code)
            for role in ("clinician", "researcher"):
                email = f"{role}@{code}.example.org"
                password = DEMO_PASSWORD.format(role=role)
                account_services.user_add(email=email, center=center, role=role, password=password)
                self.stdout.write(f"  {email:42} password {password}")
        user_model = get_user_model()
        password = DEMO_PASSWORD.format(role="admin")
        if not user_model.objects.filter(username="admin").exists():
            admin = user_model.objects.create_superuser("admin", "admin@example.org")
            account_services.user_password_set(user=admin, password=password)  # the validators
            admin.save()
        self.stdout.write(f"  {'admin (superuser)':42} password {password}")
