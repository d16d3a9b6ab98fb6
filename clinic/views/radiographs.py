"""The radiograph viewer (measure lesions by clicking) and its burned-in text review."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from access_log.models import AccessKind
from access_log.recording import access_log_note
from accounts.access import Action, get_restricted_or_404
from clinic.access import clinical_required, patients_for
from imaging.choices import APPROXIMATE_SPACING, Morphology, Segment, Tissue
from imaging.dicom.burned_in import VERDICTS, dicom_burned_in_review
from imaging.models import DicomInstance, LesionTrack, Radiograph

REVIEWED = "Burned-in text review saved: {verdict}."
NO_DICOM = "This radiograph was not received as DICOM: there are no pixels to review."


@clinical_required
def radiograph_viewer(request, pk: int):
    radiograph = get_object_or_404(
        Radiograph.objects.select_related("patient").filter(patient__in=patients_for(request.user)),
        pk=pk,
    )
    access_log_note(
        request,
        kind=AccessKind.CLINIC_VIEWER,
        patient_ids=[radiograph.patient_id],
        object_id=radiograph.pk,
    )
    instance = getattr(radiograph, "dicom_instance", None)
    has_image = instance is not None and instance.preview_status == "ready"
    # (0028,0301) not an explicit NO: the pixels need a clinician's look (imaging.dicom.burned_in)
    needs_review = instance is not None and instance.burned_in_annotation is not False
    lesions = list(radiograph.lesions.select_related("track").order_by("id"))
    sides = ["left", "right"] if radiograph.laterality == "bilateral" else [radiograph.laterality]
    tracks = LesionTrack.objects.filter(
        patient=radiograph.patient, body_region=radiograph.body_region, laterality__in=sides
    ).order_by("id")
    config = {
        "radiograph": radiograph.pk,
        "columns": radiograph.columns,
        "rows": radiograph.rows,
        "spacing": list(radiograph.pixel_spacing_mm) if radiograph.pixel_spacing_mm else None,
        "approximate": radiograph.pixel_spacing_source in APPROXIMATE_SPACING,
        "bilateral": radiograph.laterality == "bilateral",
        "lesions": [
            {
                "id": lesion.pk,
                "longest": lesion.longest_axis_px,
                "perpendicular": lesion.perpendicular_axis_px,
                "mm": lesion.longest_diameter_mm,
            }
            for lesion in lesions
        ],
        "api": f"/api/v1/radiographs/{radiograph.pk}/lesions/",
    }
    return render(
        request,
        "clinic/radiograph_viewer.html",
        {
            "radiograph": radiograph,
            "patient": radiograph.patient,
            "has_image": has_image,
            "preview_url": f"/api/v1/radiographs/{radiograph.pk}/preview.png?size=viewer",
            "lesions": lesions,
            "tracks": tracks,
            "config": config,
            "segments": Segment.choices,
            "tissues": Tissue.choices,
            "morphologies": Morphology.choices,
            "spacing_label": radiograph.get_pixel_spacing_source_display()
            if radiograph.pixel_spacing_source
            else "",
            "burned_in": instance if needs_review else None,
            "verdicts": VERDICTS,
        },
    )


@require_POST
@clinical_required
def radiograph_burned_in_review(request, pk: int):
    """The clinic's form for imaging.dicom.burned_in: the radiograph's center's clinicians only."""
    radiograph = get_restricted_or_404(Radiograph.objects.all(), request.user, Action.CHANGE, pk=pk)
    instance = DicomInstance.objects.filter(radiograph=radiograph).first()
    try:
        if instance is None:
            raise ValidationError(NO_DICOM)
        instance = dicom_burned_in_review(
            instance=instance, user=request.user, verdict=request.POST.get("verdict", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        verdict = instance.get_burned_in_verdict_display().lower()
        messages.success(request, REVIEWED.format(verdict=verdict))
    return redirect("clinic:radiograph", pk=radiograph.pk)
