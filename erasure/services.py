"""Erasure of a patient (GDPR Art. 17): every row, history row, file and copy, and a tombstone.

:func:`patient_erase` is the one writer: the API action, the CLI command and the tests call it.
It runs in one transaction; stored files (DICOM, previews, export zips) are deleted after the
commit, so a failed erasure removes nothing. What goes is found by :mod:`erasure.collect`.
"""

from __future__ import annotations

import importlib.util
from collections import Counter

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from erasure import collect
from erasure.keys import registry_id_digest
from erasure.models import ErasureTombstone
from exports.models import ExportJob
from exports.services import export_expire
from imaging.dicom.file_cleanup import stored_names, unreferenced_names
from imaging.models import DicomInstance
from patients.models import Patient

REASON_REQUIRED = "Erasing a patient needs a reason (kept in the tombstone)."
REASON_TOO_LONG = "The reason has at most 500 characters."
ACTOR_REQUIRED = "An erasure is done by a person: name the account."
REASON_IDENTIFIES = (
    "The reason is kept after the erasure: write it without the patient's registry id or local "
    "id (e.g. the reference of the request)."
)


def _access_log_erase(patient_id: int) -> int:
    """The access log's rows of the patient (access_log.services, looked up when installed)."""
    if importlib.util.find_spec("access_log.services") is None:
        return 0
    from access_log.services import access_log_erase_patient

    return access_log_erase_patient(patient_id)


def _expire_after_commit(job_ids: list[int]) -> None:
    for job in ExportJob.objects.filter(pk__in=job_ids):
        export_expire(job=job)


@transaction.atomic
def patient_erase(*, patient: Patient, actor: AbstractBaseUser, reason: str) -> ErasureTombstone:
    """Erase ``patient`` and everything recorded about them; returns the tombstone.

    Patient.DoesNotExist when the patient is gone already (erased by someone else meanwhile);
    ValidationError naming ``reason`` or ``actor`` when they are missing.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [REASON_REQUIRED]})
    if len(reason) > 500:
        raise ValidationError({"reason": [REASON_TOO_LONG]})
    if actor is None or not actor.is_authenticated:
        raise ValidationError({"actor": [ACTOR_REQUIRED]})
    patient = Patient.objects.select_for_update().select_related("center").get(pk=patient.pk)
    folded = reason.casefold()
    if any(
        value and value.casefold() in folded for value in (patient.registry_id, patient.local_id)
    ):
        raise ValidationError({"reason": [REASON_IDENTIFIES]})
    counts: Counter[str] = Counter()

    queued = list(collect.unmatched_of(patient))
    collector, ids = collect.collector_of(patient)
    for instance in queued:
        ids.setdefault(DicomInstance, set()).add(instance.pk)
    instances = [*queued, *collector.data.get(DicomInstance, ())]
    names = set().union(*(stored_names(instance) for instance in instances))

    counts["access_log_rows"] = _access_log_erase(patient.pk)
    idempotency = collect.idempotency_records_of(patient, ids)
    exports = collect.exports_holding(patient)
    for job in collect.export_filters_naming(patient):
        job.filters = {}
        job.save(update_fields=["filters"])
        counts["export_filters_cleared"] += 1

    counts["dicom_unmatched"] = DicomInstance.objects.filter(
        pk__in=[instance.pk for instance in queued]
    ).delete()[0]
    _total, per_model = collector.delete()
    counts.update({label.lower(): count for label, count in per_model.items()})
    counts["admin_log_entries"] = collect.log_entries_of(ids).delete()[0]
    # After the delete: deleting writes one more history row per object ("-"), removed too.
    for rows in collect.history_of(ids).values():
        counts["history_rows"] += rows.delete()[0]
    if idempotency:
        record_model = apps.get_model("api", "IdempotencyRecord")
        counts["idempotency_records"] = record_model.objects.filter(pk__in=idempotency).delete()[0]
    # The files go after commit (imaging.dicom.file_cleanup), those no other row names.
    counts["dicom_files"] = len(unreferenced_names(names))
    counts["exports_expired"] = len(exports)
    job_ids = [job.pk for job in exports]
    if job_ids:
        transaction.on_commit(lambda: _expire_after_commit(job_ids))
    return ErasureTombstone.objects.create(
        registry_id_digest=registry_id_digest(patient.registry_id),
        center=patient.center,
        erased_by=actor,
        erased_by_label=actor.get_username(),
        reason=reason,
        counts={kind: count for kind, count in sorted(counts.items()) if count},
    )


def patient_erased(registry_id: str) -> bool:
    """Whether a patient with this registry id was erased (an import must not bring them back)."""
    return ErasureTombstone.objects.filter(
        registry_id_digest=registry_id_digest(registry_id)
    ).exists()
