"""Patient list, new patient, and the patient page (summary, timeline, chart, tracks)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Max, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe

from access_log.models import AccessKind
from access_log.recording import access_log_note
from access_log.visibility import who_looked
from accounts.access import Action, restrict
from accounts.models import Center
from clinic.access import clinical_required, patient_or_404, patients_for
from clinic.forms import PatientForm
from clinic.patient_filters import LIST_FILTERS, chosen_filters, filter_choices
from clinic.patient_sort import COLUMNS, header, parse_sort, sorted_patients
from consent.models import PatientConsentState, Scope
from consent.selection import consent_state_of, with_research_consent
from patients.choices import AUTOANTIBODIES
from patients.filtersets import PatientFilterSet
from patients.services import patient_save
from progression.charts import progression_chart_svg
from progression.models import SnapshotStatus
from progression.services import progression_detail


@clinical_required
def patient_list(request):
    # The badge needs the snapshot's status, not its result document (2 kB a patient).
    patients = (
        patients_for(request.user)
        .select_related("center", "progression_snapshot")
        .defer("progression_snapshot__result", "progression_snapshot__rules")
    )
    query = request.GET.get("q", "").strip()
    if query:
        patients = patients.filter(Q(registry_id__icontains=query) | Q(local_id__icontains=query))
    status = request.GET.get("status", "")
    if status:
        patients = patients.filter(progression_snapshot__status=status)
    filterset = PatientFilterSet(chosen_filters(request.GET, LIST_FILTERS), queryset=patients)
    patients = filterset.qs if filterset.is_valid() else patients.none()
    sort = parse_sort(request.GET.get("sort"))
    patients = sorted_patients(
        with_research_consent(patients.annotate(last_visit=Max("visits__date"))), sort
    )
    page = Paginator(patients, 25).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    access_log_note(
        request,
        kind=AccessKind.CLINIC_PATIENT_LIST,
        patient_ids=[patient.pk for patient in page.object_list],
    )
    return render(
        request,
        "clinic/patient_list.html",
        {
            "page": page,
            "query": query,
            "status": status,
            "filters": filterset,
            "statuses": SnapshotStatus.choices,
            **filter_choices(),
            "filter_errors": None if filterset.is_valid() else filterset.errors,
            "sort": sort,
            "headers": {key: header(key, sort) for key in COLUMNS},
        },
    )


@clinical_required
def patient_create(request):
    centers = restrict(Center.objects.all(), request.user, Action.CHANGE)
    form = PatientForm(request.POST or None, centers=centers)
    if request.method == "POST" and form.is_valid():
        patient = patient_save(patient=form.instance)
        messages.success(request, f"Patient {patient.registry_id} created.")
        return redirect("clinic:patient-detail", pk=patient.pk)
    return render(request, "clinic/patient_form.html", {"form": form})


def _timeline(patient) -> list[dict]:
    """Visits and radiographs by date, newest first; radiographs of one date grouped."""
    days: dict = {}
    for visit in patient.visits.all():
        days.setdefault(visit.date, {"date": visit.date, "visits": [], "radiographs": []})[
            "visits"
        ].append(visit)
    for radiograph in patient.radiographs.prefetch_related("lesions"):
        days.setdefault(
            radiograph.acquired_on,
            {"date": radiograph.acquired_on, "visits": [], "radiographs": []},
        )["radiographs"].append(radiograph)
    return sorted(days.values(), key=lambda day: day["date"], reverse=True)


def _first_seen(observations: list[dict]) -> date | None:
    """The date a deposit was first seen: its first observation with a lesion on the image."""
    seen = [obs["date"] for obs in observations if obs.get("lesion_ids")]
    return date.fromisoformat(min(seen)) if seen else None


@clinical_required
def patient_detail(request, pk: int):
    patient = patient_or_404(request.user, pk)
    access_log_note(
        request, kind=AccessKind.CLINIC_PATIENT, patient_ids=[patient.pk], object_id=patient.pk
    )
    detail = progression_detail(patient_id=patient.pk)
    today = timezone.localdate()
    tracks = detail["tracks"]
    dates = sorted({obs["date"] for track in tracks for obs in track["observations"]})
    rows = []
    for track in tracks:
        by_date = {obs["date"]: obs for obs in track["observations"]}
        rows.append(
            {
                "track": track,
                "first_seen": _first_seen(track["observations"]),
                "cells": [by_date.get(day) for day in dates],
            }
        )
    return render(
        request,
        "clinic/patient_detail.html",
        {
            "patient": patient,
            "duration": patient.disease_duration_years(today),
            "raynaud_duration": patient.raynaud_duration_years(today),
            "subtype_history": patient.subtype_assessments.all(),
            "antibodies": [
                (label, getattr(patient, field)) for field, label in AUTOANTIBODIES.values()
            ],
            "timeline": _timeline(patient),
            "progression": detail,
            "chart": mark_safe(progression_chart_svg(detail)),
            "track_dates": [date.fromisoformat(day) for day in dates],
            "track_rows": rows,
            "treatments": patient.treatments.order_by("started_on", "pk"),
            "who_looked": who_looked(request.user, patient),
            "consent": [
                (Scope(scope).label, state, PatientConsentState.State(state["state"]).label)
                for scope, state in consent_state_of(patient.consent_states.all()).items()
            ],
        },
    )
