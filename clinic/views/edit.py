"""Edit pages of patients, visits, radiographs and lesions: the API's service saves, the form's
ETag refuses to overwrite a colleague's change (:mod:`clinic.views.concurrency`)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render

from access_log.models import AccessKind
from access_log.recording import access_log_note
from accounts.access import Action, get_restricted_or_404
from clinic.access import clinical_required
from clinic.views import records
from clinic.views.concurrency import (
    attach_errors,
    differences,
    is_stale,
    locked_or_404,
    refused_status,
    stale_message,
)
from registry.etags import etag_for

SAVED = "{record} saved."


def _edit(request, pk: int, kind: records.RecordKind):
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
        etag = etag_for(record)  # the stored version, before the form touches the instance
        description = kind.describe(record)
        form = kind.form(request.POST if posted else None, record, request.user)
        stale, theirs = "", []
        if posted and is_stale(request, record):
            stale = stale_message(record, request.user, kind.noun)
            theirs = differences(form)
        elif posted and form.is_valid():
            try:
                saved = kind.save(form.instance)
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, SAVED.format(record=kind.describe(saved)))
                return redirect("clinic:patient-detail", pk=patient.pk)
    return render(
        request,
        kind.template,
        {
            "form": form,
            "patient": patient,
            "record": record,
            "noun": kind.noun,
            "description": description,
            "etag": etag,
            "stale": stale,
            "theirs": theirs,
            "editing": True,
        },
        status=refused_status(posted, stale),
    )


@clinical_required
def patient_edit(request, pk: int):
    return _edit(request, pk, records.PATIENT)


@clinical_required
def visit_edit(request, pk: int):
    return _edit(request, pk, records.VISIT)


@clinical_required
def radiograph_edit(request, pk: int):
    return _edit(request, pk, records.RADIOGRAPH)


@clinical_required
def lesion_edit(request, pk: int):
    return _edit(request, pk, records.LESION)
