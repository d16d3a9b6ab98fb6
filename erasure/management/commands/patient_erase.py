"""Erase one patient (GDPR Art. 17) from the command line: the same service as the API action.

``manage.py patient_erase --registry-id SSC-... --reason "..." --actor admin@example.org``
asks for confirmation unless ``--yes``. The actor must be a superuser or a center admin of the
patient's center: the tombstone records who erased.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.access import Action, access_of
from erasure.services import patient_erase, patient_erased
from patients.models import Patient
from registry.audit import Source, audit_context

NO_PATIENT = "No patient {registry_id}."
ALREADY_ERASED = "Patient {registry_id} was erased already (a tombstone holds its keyed hash)."
NO_ACTOR = "No user {email}."
ACTOR_NOT_ADMIN = "{email} is neither a superuser nor a center admin of the patient's center."
CANCELLED = "Cancelled: nothing was erased."


class Command(BaseCommand):
    help = "Erase a patient, their history, files, queue entries and exports; leave a tombstone."

    def add_arguments(self, parser):
        parser.add_argument("--registry-id", required=True, help="The patient's registry id.")
        parser.add_argument("--reason", required=True, help="Why (kept in the tombstone).")
        parser.add_argument("--actor", required=True, help="Email of the person erasing.")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, **options):
        registry_id = options["registry_id"].strip().upper()
        patient = Patient.objects.select_related("center").filter(registry_id=registry_id).first()
        if patient is None:
            erased = patient_erased(registry_id)
            raise CommandError(
                (ALREADY_ERASED if erased else NO_PATIENT).format(registry_id=registry_id)
            )
        email = options["actor"].strip().lower()
        actor = get_user_model().objects.filter(username=email).first()
        if actor is None:
            raise CommandError(NO_ACTOR.format(email=email))
        if not access_of(actor).allows(Action.ADMINISTER, patient.center_id):
            raise CommandError(ACTOR_NOT_ADMIN.format(email=email))
        if not options["yes"]:
            answer = input(
                f"Erase patient {registry_id} of {patient.center.code} and everything recorded "
                "about them? This cannot be undone. Type the registry id to confirm: "
            )
            if answer.strip().upper() != registry_id:
                raise CommandError(CANCELLED)
        try:
            with audit_context(Source.CLI):
                tombstone = patient_erase(patient=patient, actor=actor, reason=options["reason"])
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"Erased {registry_id}: tombstone {tombstone.pk}")
        for kind, count in tombstone.counts.items():
            self.stdout.write(f"  {kind}: {count}")
