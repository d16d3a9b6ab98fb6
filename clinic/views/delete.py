"""Delete pages of patients, visits, radiographs and lesions: a reason kept in the history, the
API's service deletes, and the form's ETag refuses to delete a version the person has not seen
(:mod:`clinic.views.concurrency`)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render

from access_log.models import AccessKind
from access_log.recording import access_log_note
from accounts.access import Action, get_restricted_or_404
from clinic.access import clinical_required
from clinic.forms import DeleteForm
from clinic.views import records
from clinic.views.concurrency import (
    is_stale,
    locked_or_404,
    refused_status,
    stale_message,
    summary,
)
from registry.etags import etag_for

DELETED = "{record} deleted."


def _consequences(kind: records.RecordKind, record) -> list[str]:
    """What leaves with the record, in words, as the deletion cascades."""
    if kind is records.PATIENT:
        return [
            f"{record.visits.count()} visit(s), {record.radiographs.count()} radiograph(s) with "
            "their lesions, findings and DICOM images, the treatments and consent records.",
            "The audit history keeps the deleted values, who deleted them, when and why.",
        ]
    if kind is records.VISIT:
        return [
            "Its radiographs and treatments stay on the patient's record, no longer linked to "
            "a visit.",
            "The progression is recomputed.",
        ]
    if kind is records.RADIOGRAPH:
        lines = [
            f"{record.lesions.count()} lesion(s) and {record.findings.count()} other finding(s) "
            "marked on it.",
            "The progression is recomputed.",
        ]
        if hasattr(record, "dicom_instance"):
            lines.insert(1, "The DICOM image received for it, with its previews.")
        return lines
    return [
        "The deposit it belongs to keeps its other lesions; the progression is recomputed.",
    ]


def _delete(request, pk: int, kind: records.RecordKind):
    posted = request.method == "POST"
    with transaction.atomic():
        if posted:
            record = locked_or_404(kind.queryset(), request.user, pk)
        else:
            record = get_restricted_or_404(kind.queryset(), request.user, Action.CHANGE, pk=pk)
        patient = kind.patient_of(record)
        access_log_note(
            request, kind=AccessKind.CLINIC_PATIENT, patient_ids=[patient.pk], object_id=patient.pk
        )
        etag = etag_for(record)
        description = kind.describe(record)
        form = DeleteForm(request.POST if posted else None)
        stale = ""
        if posted and is_stale(request, record):
            stale = stale_message(record, request.user, kind.noun, action="delete")
        elif posted and form.is_valid():
            kind.delete(record, form.cleaned_data["reason"])
            messages.success(request, DELETED.format(record=description))
            if kind is records.PATIENT:
                return redirect("clinic:patient-list")
            return redirect("clinic:patient-detail", pk=patient.pk)
        context = {
            "form": form,
            "patient": patient,
            "record": record,
            "noun": kind.noun,
            "description": description,
            "etag": etag,
            "stale": stale,
            "facts": summary(kind.form(None, record, request.user)),
            "consequences": _consequences(kind, record),
        }
    return render(
        request, "clinic/record_delete.html", context, status=refused_status(posted, stale)
    )


@clinical_required
def patient_delete(request, pk: int):
    return _delete(request, pk, records.PATIENT)


@clinical_required
def visit_delete(request, pk: int):
    return _delete(request, pk, records.VISIT)


@clinical_required
def radiograph_delete(request, pk: int):
    return _delete(request, pk, records.RADIOGRAPH)


@clinical_required
def lesion_delete(request, pk: int):
    return _delete(request, pk, records.LESION)
