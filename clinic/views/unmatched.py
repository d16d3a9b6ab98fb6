"""The unmatched DICOM queue: images whose patient could not be matched wait for a clinician
to choose the patient (never guessed, never dropped)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import Action
from clinic.access import clinical_required, patients_for
from imaging.dicom.unmatched import unmatched_assign
from imaging.models import DicomInstance


def _queue(user):
    queue = DicomInstance.objects.unmatched()
    return queue.restrict(user, Action.CHANGE)


@clinical_required
def unmatched_list(request):
    instances = _queue(request.user).select_related("center").order_by("-received_at")[:200]
    patients = (
        patients_for(request.user)
        .order_by("local_id")
        .only("pk", "local_id", "registry_id", "center_id")
    )
    return render(request, "clinic/unmatched.html", {"instances": instances, "patients": patients})


@require_POST
@clinical_required
def unmatched_assign_view(request, pk: int):
    instance = get_object_or_404(_queue(request.user), pk=pk)
    patient_id = request.POST.get("patient", "")
    if not patient_id.isdigit():
        raise Http404
    patient = get_object_or_404(patients_for(request.user), pk=patient_id)
    try:
        instance = unmatched_assign(
            instance=instance,
            patient=patient,
            user=request.user,
            laterality=request.POST.get("laterality", ""),
            view=request.POST.get("view", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("clinic:unmatched")
    messages.success(request, f"Image assigned to {patient.registry_id}.")
    return redirect("clinic:radiograph", pk=instance.radiograph_id)
