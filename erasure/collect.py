"""Everything an erasure removes, found before anything is removed.

Rows: Django's deletion Collector says which rows a patient's delete takes (every cascade:
visits, treatments, radiographs, findings, lesions, tracks, DICOM instances, progression,
consent, imported keys ...). History: every simple_history table, walked from those ids and from
its own foreign keys to them, until nothing new turns up, so the history of an object of this
patient deleted earlier (a radiograph removed last year, its lesions) goes too. Beside the rows:
the admin's log entries of those objects, the unmatched DICOM images sent under the patient's
identifier, the stored idempotent responses that name them, and the finished exports that may
hold them.
"""

from __future__ import annotations

import json
import re
from functools import reduce
from operator import or_

from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models, router
from django.db.models import Q
from django.db.models.deletion import Collector

from exports.models import ExportJob
from imaging.dicom.keys import source_patient_key
from imaging.models import DicomInstance
from patients.models import Patient

Ids = dict[type[models.Model], set]


def collector_of(patient: Patient) -> tuple[Collector, Ids]:
    """The Collector of the patient's delete and the ids of every row it will remove."""
    collector = Collector(using=router.db_for_write(Patient))
    collector.collect([patient])
    ids: Ids = {}
    for model, instances in collector.data.items():
        ids.setdefault(model, set()).update(obj.pk for obj in instances)
    for queryset in collector.fast_deletes:
        ids.setdefault(queryset.model, set()).update(queryset.values_list("pk", flat=True))
    return collector, ids


def unmatched_of(patient: Patient) -> models.QuerySet:
    """Queued images of the patient's center sent under the patient's local id as Patient ID,
    whatever the issuer: one from an issuer the center does not list may be another
    organisation's number, but it carries this patient's identifier (and, for their own
    studies, the same mapped UIDs), so erasure takes it. Images queued before the issuer-free
    key existed are found through the issuers the center accepts."""
    issuers = ["", *settings.REGISTRY_DICOM_ISSUERS.get(patient.center.code, [])]
    keys = {
        source_patient_key(center_id=patient.center_id, issuer=issuer, patient_id=patient.local_id)
        for issuer in issuers
    }
    any_issuer = source_patient_key(
        center_id=patient.center_id, issuer=None, patient_id=patient.local_id
    )
    return DicomInstance.objects.unmatched().filter(
        models.Q(source_patient_key__in=keys) | models.Q(source_id_key=any_issuer),
        center_id=patient.center_id,
        patient__isnull=True,
    )


def _tracked_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if hasattr(model._meta, "simple_history_manager_attribute")
        and not hasattr(model, "instance_type")  # the historical models themselves
    ]


def history_of(ids: Ids) -> dict[type[models.Model], models.QuerySet]:
    """The history rows of every object in ``ids`` and of every object whose history points at
    one of them (walked to a fixpoint): historical model -> its rows to delete."""
    ids = {model: set(pks) for model, pks in ids.items()}
    tracked = {model: model.history.model for model in _tracked_models()}
    changed = True
    while changed:
        changed = False
        for model, historical in tracked.items():
            conditions = [
                Q(**{f"{field.attname}__in": ids[field.related_model]})
                for field in historical._meta.fields
                if field.is_relation
                and field.name != "history_user"
                and field.related_model in ids
                and ids[field.related_model]
            ]
            if not conditions:
                continue
            pk = model._meta.pk.attname
            found = set(
                historical.objects.filter(reduce(or_, conditions)).values_list(pk, flat=True)
            )
            new = found - ids.get(model, set())
            if new:
                ids.setdefault(model, set()).update(new)
                changed = True
    return {
        historical: historical.objects.filter(**{f"{model._meta.pk.attname}__in": ids[model]})
        for model, historical in tracked.items()
        if ids.get(model)
    }


def log_entries_of(ids: Ids) -> models.QuerySet:
    """The admin's log entries of these objects (their text repeats the object's name)."""
    conditions = [
        Q(
            content_type=ContentType.objects.get_for_model(model, for_concrete_model=False),
            object_id__in=[str(pk) for pk in pks],
        )
        for model, pks in ids.items()
        if pks
    ]
    if not conditions:
        return LogEntry.objects.none()
    return LogEntry.objects.filter(reduce(or_, conditions))


# Route prefixes of the API whose path ids name a patient's objects.
_ROUTES = {
    "patients": Patient,
    "visits": "patients.Visit",
    "treatments": "patients.CalcinosisTreatment",
    "radiographs": "imaging.Radiograph",
    "lesions": "imaging.CalcinosisLesion",
    "lesion-tracks": "imaging.LesionTrack",
    "findings": "imaging.RadiographicFinding",
    "dicom-unmatched": DicomInstance,
}
_PATH_ID = re.compile(r"/(?P<prefix>[a-z-]+)/(?P<id>\d+)(?:/|$)")


def _names_patient(value, patient: Patient, identifiers: set[str]) -> bool:
    if isinstance(value, dict):
        if value.get("patient") == patient.pk or value.get("patient_id") == patient.pk:
            return True
        return any(_names_patient(item, patient, identifiers) for item in value.values())
    if isinstance(value, list):
        return any(_names_patient(item, patient, identifiers) for item in value)
    return isinstance(value, str) and value in identifiers


def idempotency_records_of(patient: Patient, ids: Ids) -> list[int]:
    """Ids of the stored first responses of POSTs (api.IdempotencyRecord, looked up by name: a
    domain app imports no interface) whose path names one of the patient's objects or whose
    body holds the patient, their id or local id. Read row by row: JSON containment is not
    portable to SQLite, and the table holds one row per keyed POST only."""
    try:
        record_model = apps.get_model("api", "IdempotencyRecord")
    except LookupError:
        return []
    by_prefix = {
        prefix: ids.get(apps.get_model(model) if isinstance(model, str) else model, set())
        for prefix, model in _ROUTES.items()
    }
    identifiers = {patient.registry_id, patient.local_id}
    matched = []
    rows = record_model.objects.values_list("pk", "path", "response_body")
    for pk, path, body in rows.iterator():
        in_path = any(
            int(match["id"]) in by_prefix.get(match["prefix"], ())
            for match in _PATH_ID.finditer(path)
        )
        if in_path or _names_patient(body, patient, identifiers):
            matched.append(pk)
    return matched


def exports_holding(patient: Patient) -> list[ExportJob]:
    """Finished exports that may hold the patient: every succeeded export with a file whose
    scope included the patient's center (or every center) and that finished after the patient
    was recorded. Filters are not replayed: an export narrowed by filters may not hold them,
    but deciding that would mean re-running it, so it goes too (it can be requested again)."""
    candidates = ExportJob.objects.filter(
        status=ExportJob.Status.SUCCEEDED, finished_at__gte=patient.created_at
    ).exclude(file="")
    return [
        job for job in candidates if job.center_ids is None or patient.center_id in job.center_ids
    ]


def export_filters_naming(patient: Patient) -> list[ExportJob]:
    """Export jobs whose recorded filters hold the patient's registry id or local id."""
    identifiers = (patient.registry_id, patient.local_id)
    return [
        job
        for job in ExportJob.objects.exclude(filters={}).only("pk", "filters")
        if any(value in json.dumps(job.filters) for value in identifiers)
    ]
