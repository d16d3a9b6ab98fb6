"""The only writers of the access log: record, erase one patient, prune; and the patient's own
log for the subject access report (GDPR Art. 15)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from access_log.models import AccessedPatient, AccessLogEntry
from patients.models import Patient
from registry.timestamps import utc_iso


@dataclass
class PendingEntry:
    """One read, held until the response is sent (:mod:`access_log.recording`)."""

    user_id: int | None
    username: str
    kind: str
    route: str = ""
    object_id: int | None = None
    address: str | None = None
    patient_ids: Sequence[int] = ()
    patient_count: int | None = None
    checksum: str = ""
    at: datetime = field(default_factory=timezone.now)


@transaction.atomic
def access_log_write(*, entries: Sequence[PendingEntry]) -> list[AccessLogEntry]:
    """Insert ``entries`` and their patients: one INSERT per table, whatever their number.

    The log is written after the response, so an erasure may have committed since the read:
    the patients are read (and locked, in id order, against an erasure in progress) first,
    and a patient gone by then is left out of the log."""
    if not entries:
        return []
    if connection.vendor == "postgresql":
        # The response is already sent, so a crash can lose these rows anyway: not waiting
        # for the WAL flush halves the write's cost to the web worker (benchmarks/README.md).
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    wanted = {patient_id for pending in entries for patient_id in pending.patient_ids}
    existing = (
        set(
            Patient.objects.select_for_update(no_key=True)
            .filter(pk__in=wanted)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if wanted
        else set()
    )
    rows = AccessLogEntry.objects.bulk_create(
        AccessLogEntry(
            at=pending.at,
            user_id=pending.user_id,
            username=pending.username[:254],
            kind=pending.kind,
            route=pending.route[:100],
            object_id=pending.object_id,
            address=pending.address,
            patient_count=pending.patient_count,
            checksum=pending.checksum,
        )
        for pending in entries
    )
    AccessedPatient.objects.bulk_create(
        AccessedPatient(entry_id=row.pk, patient_id=patient_id)
        for row, pending in zip(rows, entries, strict=True)
        for patient_id in dict.fromkeys(pending.patient_ids)
        if patient_id in existing
    )
    return rows


def access_log_record(
    *,
    user,
    kind: str,
    route: str = "",
    object_id: int | None = None,
    address: str | None = None,
    patient_ids: Iterable[int] = (),
    patient_count: int | None = None,
    checksum: str = "",
) -> AccessLogEntry:
    """Record one read outside a request (an export produced by the worker, a command)."""
    pending = PendingEntry(
        user_id=getattr(user, "pk", None),
        username=getattr(user, "username", "") or "",
        kind=kind,
        route=route,
        object_id=object_id,
        address=address,
        patient_ids=list(patient_ids),
        patient_count=patient_count,
        checksum=checksum,
    )
    return access_log_write(entries=[pending])[0]


@transaction.atomic
def access_log_erase_patient(patient_id: int) -> int:
    """Remove ``patient_id`` from the log (erasure): entries about that patient alone are
    deleted, the patient is removed from entries that list others. Returns the entries touched."""
    touched = AccessedPatient.objects.filter(patient_id=patient_id).values("entry_id")
    count = touched.count()
    if not count:
        return 0
    # Foreign keys are checked at commit: the entries may go before their patient rows.
    others = (
        AccessedPatient.objects.filter(entry_id__in=touched)
        .exclude(patient_id=patient_id)
        .values("entry_id")
    )
    AccessLogEntry.objects.filter(pk__in=touched).exclude(pk__in=others).delete()
    AccessedPatient.objects.filter(patient_id=patient_id).delete()
    return count


def access_log_of_patient(patient_id: int) -> list[dict]:
    """Every recorded read of the patient, oldest first: who, when, what, from which address."""
    entries = AccessLogEntry.objects.filter(patients__patient_id=patient_id).order_by("at", "id")
    return [
        {
            "at": utc_iso(entry.at),
            "user": entry.username,
            "kind": entry.kind,
            "what": entry.get_kind_display(),
            "route": entry.route,
            "object_id": entry.object_id,
            "address": entry.address,
        }
        for entry in entries
    ]


@transaction.atomic
def access_log_prune(*, now: datetime | None = None) -> int:
    """Delete entries older than REGISTRY_ACCESS_LOG_RETENTION_DAYS; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.REGISTRY_ACCESS_LOG_RETENTION_DAYS)
    old = AccessLogEntry.objects.filter(at__lt=cutoff)
    AccessedPatient.objects.filter(entry__in=old.values("pk")).delete()
    deleted, _ = old.delete()
    return deleted
