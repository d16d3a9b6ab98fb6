"""The printable subject access report (GDPR Art. 15) of one patient, for center admins of the
patient's center and superusers: the same content as ``GET /api/v1/patients/{id}/subject-access/``
(erasure.subject_access), laid out as tables, with the radiographs' previews."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse

from access_log.models import AccessKind
from access_log.recording import access_log_note
from accounts.access import Action, access_of, get_restricted_or_404
from erasure.subject_access import subject_access_report
from patients.models import Patient
from registry import formatting

ADMINS_ONLY = "Only center admins of the patient's center produce a subject access report."


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return formatting.when(value) if isinstance(value, str) else str(value)


def _table(title: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    return {
        "title": title,
        "columns": columns,
        "rows": [[_cell(row.get(column)) for column in columns] for row in rows],
    }


def _pairs(title: str, values: dict[str, Any] | None) -> dict[str, Any]:
    return {"title": title, "pairs": [(k, _cell(v)) for k, v in (values or {}).items()]}


@login_required
def subject_access_page(request, pk: int):
    if not access_of(request.user).administers:
        raise PermissionDenied(ADMINS_ONLY)
    patient = get_restricted_or_404(
        Patient.objects.select_related("center"), request.user, Action.ADMINISTER, pk=pk
    )
    access_log_note(
        request, kind=AccessKind.SUBJECT_ACCESS, patient_ids=[patient.pk], object_id=patient.pk
    )
    report = subject_access_report(
        patient=patient,
        preview_url=lambda radiograph: reverse("api:radiograph-preview", args=[radiograph.pk]),
    )
    radiographs = report["radiographs"]
    images = [
        {
            "url": r["preview_url"],
            "caption": f"{formatting.when(r['acquired_on'])} {r['laterality']} {r['view']}",
        }
        for r in radiographs
        if r["preview_url"]
    ]
    flat = [
        {k: v for k, v in r.items() if k not in ("dicom", "findings", "lesions", "preview_url")}
        for r in radiographs
    ]
    tables = [
        _table("Subtype assessments", report["subtype_assessments"]),
        _table("Visits", report["visits"]),
        _table("Treatments", report["treatments"]),
        _table("Radiographs", flat),
        _table("DICOM images", [r["dicom"] for r in radiographs if r["dicom"]]),
        _table("Radiographic findings", [f for r in radiographs for f in r["findings"]]),
        _table("Calcinosis lesions", [x for r in radiographs for x in r["lesions"]]),
        _table("Lesion tracks", report["lesion_tracks"]),
        *[
            _table(f"Consent: {name.replace('consent', 'consent ').strip()}", rows)
            for name, rows in report["consent"].items()
        ],
        _table("Who looked at this record (access log)", report["access_log"]),
    ]
    return render(
        request,
        "clinic/subject_access.html",
        {
            "patient": patient,
            "report": report,
            "demographics": _pairs("Patient", report["patient"]),
            "progression": _pairs("Progression", report["progression"]),
            "tables": tables,
            "images": images,
        },
    )
