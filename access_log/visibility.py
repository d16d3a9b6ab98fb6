"""Which access-log entries, and which of their patients, a person may see.

Center admins audit their centers; superusers everything; nobody else anything. Through the
one access rule (:mod:`accounts.access`, action *administer*):

- an entry listing patients is shown when it lists a patient of the admin's centers, with only
  those patients (an entry covering two centers shows each center's admin their own patients);
- an export's entries (produced, downloaded: a count and a checksum, no patient listed, the file
  being pseudonymized) are shown to the admins of the person who asked for it
  (:func:`accounts.access.users_administered`).
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from access_log.models import AccessedPatient, AccessKind, AccessLogEntry
from accounts.access import Action, access_of, restrict, users_administered
from patients.models import Patient

EXPORT_KINDS = (AccessKind.EXPORT_PRODUCED, AccessKind.EXPORT_DOWNLOAD)
WHO_LOOKED_LIMIT = 20  # the patient page's section; the API and the CSV give them all


def audits(user) -> bool:
    """May ``user`` read the access log at all (center admins, superusers)?"""
    return access_of(user).administers


def visible_patients(user) -> QuerySet[AccessedPatient]:
    """The patient rows of the log ``user`` may see."""
    rows = AccessedPatient.objects.all()
    if not audits(user):
        return rows.none()
    if access_of(user).superuser:
        return rows
    patients = restrict(Patient.objects.all(), user, Action.ADMINISTER).values("pk")
    return rows.filter(patient_id__in=patients)


def visible_entries(user) -> QuerySet[AccessLogEntry]:
    """The entries ``user`` may see, each with ``shown_patients``: the patient ids shown."""
    entries = AccessLogEntry.objects.all()
    if not audits(user):
        return entries.none()
    shown = visible_patients(user).order_by("patient_id")
    entries = entries.prefetch_related(Prefetch("patients", shown, to_attr="shown_patients"))
    if access_of(user).superuser:
        return entries
    return entries.filter(
        Q(pk__in=shown.values("entry_id"))
        | Q(kind__in=EXPORT_KINDS, user__in=users_administered(user))
    )


def who_looked(user, patient: Patient, *, limit: int = WHO_LOOKED_LIMIT) -> list | None:
    """The latest reads of ``patient`` for its page, or None if ``user`` does not administer
    its center (the section is not shown)."""
    if not access_of(user).allows(Action.ADMINISTER, patient.center_id):
        return None
    entries = AccessLogEntry.objects.filter(patients__patient_id=patient.pk)
    return list(entries.order_by("-at", "-id")[:limit])


def shown_patient_ids(entry: AccessLogEntry) -> list[int]:
    """The patient ids of an entry from :func:`visible_entries` (already fetched)."""
    return [row.patient_id for row in entry.shown_patients]
