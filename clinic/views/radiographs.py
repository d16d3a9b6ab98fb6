"""The radiograph viewer (measure lesions by clicking) and the unmatched DICOM queue."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render

from clinic.access import clinical_required, patients_for
from imaging.choices import APPROXIMATE_SPACING, Morphology, Segment, Tissue
from imaging.models import LesionTrack, Radiograph


@clinical_required
def radiograph_viewer(request, pk: int):
    radiograph = get_object_or_404(
        Radiograph.objects.select_related("patient").filter(patient__in=patients_for(request.user)),
        pk=pk,
    )
    instance = getattr(radiograph, "dicom_instance", None)
    has_image = instance is not None and instance.preview_status == "ready"
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
        },
    )
