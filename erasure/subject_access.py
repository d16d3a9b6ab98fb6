"""Everything the registry holds about one patient (GDPR Art. 15), as plain JSON-ready values.

It lives beside erasure because both answer a data subject's request about the whole record
(Art. 15 access, Art. 17 erasure) and must agree on what "the whole record" is. Every field of
every row is given as stored (the patient's own data, identifiable: only center admins of the
patient's center and superusers reach it); files are not inlined: the interface passes
``preview_url`` to link each radiograph's preview. Consent records are every model of the
``consent`` app with a ``patient`` foreign key (whatever its shape); the access log comes from
``access_log.services.access_log_of_patient`` when that app provides it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import timezone

from erasure import collect
from imaging.models import Radiograph
from patients.models import Patient
from registry.timestamps import utc_iso

# Storage names and keyed hashes say nothing to the patient: the previews are linked instead.
_LEFT_OUT = {
    "file",
    "thumbnail",
    "viewer_image",
    "source_patient_key",
    "source_id_key",
    "sha256",
}


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def row_values(obj: models.Model, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every concrete field of ``obj`` as stored, a choice with its label beside it."""
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude or field.name in _LEFT_OUT:
            continue
        raw = getattr(obj, field.attname)
        values[field.name] = _value(raw)
        if field.choices and raw not in (None, ""):
            values[f"{field.name}_label"] = str(getattr(obj, f"get_{field.name}_display")())
    return values


def _consent_rows(patient: Patient) -> dict[str, list[dict[str, Any]]]:
    try:
        config = apps.get_app_config("consent")
    except LookupError:
        return {}
    rows = {}
    for model in config.get_models():
        field = next(
            (f for f in model._meta.concrete_fields if f.name == "patient" and f.is_relation),
            None,
        )
        if field is not None:
            found = model._default_manager.filter(patient=patient).order_by("pk")
            rows[model._meta.model_name] = [row_values(row, exclude=("patient",)) for row in found]
    return rows


def _access_log(patient: Patient) -> list[dict[str, Any]]:
    if importlib.util.find_spec("access_log.services") is None:
        return []
    from access_log.services import access_log_of_patient

    return [
        {key: _value(value) for key, value in row.items()}
        for row in access_log_of_patient(patient.pk)
    ]


def _radiograph(
    radiograph: Radiograph, preview_url: Callable[[Radiograph], str | None] | None
) -> dict[str, Any]:
    values = row_values(radiograph, exclude=("patient",))
    instance = getattr(radiograph, "dicom_instance", None)
    values["dicom"] = (
        row_values(instance, exclude=("patient", "radiograph", "center")) if instance else None
    )
    values["preview_url"] = preview_url(radiograph) if preview_url and instance else None
    values["findings"] = [row_values(f, exclude=("radiograph",)) for f in radiograph.findings.all()]
    values["lesions"] = [row_values(x, exclude=("radiograph",)) for x in radiograph.lesions.all()]
    return values


def subject_access_report(
    *, patient: Patient, preview_url: Callable[[Radiograph], str | None] | None = None
) -> dict[str, Any]:
    """The whole record of ``patient``: demographics and SSc data, subtype assessments, visits,
    treatments, radiographs (with DICOM header values, findings, lesions and a preview link),
    lesion tracks, progression, consent and the access log of the record."""
    radiographs = (
        Radiograph.objects.filter(patient=patient)
        .select_related("dicom_instance")
        .prefetch_related("findings", "lesions")
        .order_by("acquired_on", "pk")
    )
    snapshot = getattr(patient, "progression_snapshot", None)
    patient_values = row_values(patient)
    patient_values["center"] = patient.center.code
    patient_values["center_name"] = patient.center.name
    return {
        "generated_at": utc_iso(timezone.now()),
        "patient": patient_values,
        "subtype_assessments": [
            row_values(a, exclude=("patient",)) for a in patient.subtype_assessments.all()
        ],
        "visits": [row_values(v, exclude=("patient",)) for v in patient.visits.order_by("date")],
        "treatments": [
            row_values(t, exclude=("patient",)) for t in patient.treatments.order_by("started_on")
        ],
        "radiographs": [_radiograph(r, preview_url) for r in radiographs],
        # The same images erasure would remove: queued under the patient's local id.
        "unmatched_images": collect.unmatched_of(patient).count(),
        "lesion_tracks": [
            row_values(t, exclude=("patient",)) for t in patient.lesion_tracks.order_by("pk")
        ],
        "progression": row_values(snapshot, exclude=("patient",)) if snapshot else None,
        "consent": _consent_rows(patient),
        "access_log": _access_log(patient),
    }
