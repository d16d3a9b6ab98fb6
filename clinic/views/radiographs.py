"""The radiograph viewer (measure lesions by clicking or with the keyboard) and its burned-in
text review. Lesions are saved, edited and removed through the REST API; the viewer's lesion
list is rendered here, once, and fetched again by the page after each change."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Min
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import get_format
from django.views.decorators.http import require_POST

from access_log.models import AccessKind
from access_log.recording import access_log_note
from accounts.access import Action, get_restricted_or_404
from clinic.access import clinical_required, patients_for
from imaging.choices import APPROXIMATE_SPACING, BodyRegion, Density, Morphology, Segment, Tissue
from imaging.dicom.burned_in import VERDICTS, dicom_burned_in_review
from imaging.models import DicomInstance, LesionTrack, Radiograph
from imaging.track_names import FOOT_DIGITS, FOOT_SEGMENTS, HAND_DIGITS, site_name, track_name
from imaging.validation import DIGIT_SEGMENTS, FOOT_OR_HAND_DIGIT, SEGMENT_REQUIRED_REGIONS
from registry.locale import format_locale

REVIEWED = "Burned-in text review saved: {verdict}."
NO_DICOM = "This radiograph was not received as DICOM: there are no pixels to review."
def _radiograph_for(request, pk: int) -> Radiograph:
    """The radiograph under the one access rule (another center's is 404), its view logged."""
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
    return radiograph


def _tracks(radiograph: Radiograph) -> list[LesionTrack]:
    """The tracks a lesion of this radiograph may join (same patient, region and side), each
    with ``name``: its site and when it was first seen."""
    sides = ["left", "right"] if radiograph.laterality == "bilateral" else [radiograph.laterality]
    tracks = list(
        LesionTrack.objects.filter(
            patient=radiograph.patient_id, body_region=radiograph.body_region, laterality__in=sides
        )
        .annotate(first_seen=Min("lesions__radiograph__acquired_on"))
        .order_by("laterality", "digit", "segment", "id")
    )
    for track in tracks:
        track.name = track.label or track_name(track.site, track.first_seen)
    return tracks


def _lesion_rows(radiograph: Radiograph, tracks: list[LesionTrack]) -> list[dict]:
    """The viewer's list: each lesion's site in words, its mm and the deposit it belongs to."""
    by_id = {track.pk: track for track in tracks}
    rows = []
    for lesion in radiograph.lesions.order_by("id"):
        track = by_id.get(lesion.track_id)
        site = site_name(**lesion.site)
        rows.append(
            {
                "lesion": lesion,
                "site": site,
                "approximate": lesion.measurement_source == "pixels"
                and lesion.spacing_source in APPROXIMATE_SPACING,
                "deposit": track.name if track else "",
                "drawing": {
                    "id": lesion.pk,
                    "longest": lesion.longest_axis_px,
                    "perpendicular": lesion.perpendicular_axis_px,
                },
            }
        )
    return rows


def _list_context(radiograph: Radiograph) -> dict:
    tracks = _tracks(radiograph)
    rows = _lesion_rows(radiograph, tracks)
    return {
        "radiograph": radiograph,
        "tracks": tracks,
        "rows": rows,
        "drawings": [row["drawing"] for row in rows],
    }


def _site_choices(region: str) -> dict:
    """Digit and segment names for this region (a foot's bones are named as a foot's)."""
    foot = region == BodyRegion.FOOT
    digits = FOOT_DIGITS if foot else HAND_DIGITS
    segments = [
        (value, FOOT_SEGMENTS[value].capitalize() if foot and value in FOOT_SEGMENTS else label)
        for value, label in Segment.choices
    ]
    return {
        "digits": [(number, f"{number} ({name})") for number, name in digits.items()],
        "segments": segments,
        "shows_digit": region in FOOT_OR_HAND_DIGIT,
        "shows_picker": region in (BodyRegion.HAND, BodyRegion.WRIST),
    }


@clinical_required
def radiograph_viewer(request, pk: int):
    radiograph = _radiograph_for(request, pk)
    instance = getattr(radiograph, "dicom_instance", None)
    has_image = instance is not None and instance.preview_status == "ready"
    # (0028,0301) not an explicit NO: the pixels need a clinician's look (imaging.dicom.burned_in)
    needs_review = instance is not None and instance.burned_in_annotation is not False
    region = radiograph.body_region
    with format_locale():  # the page's mm read as the tables' (registry.formatting.mm_text)
        decimal_separator = get_format("DECIMAL_SEPARATOR")
    config = {
        "radiograph": radiograph.pk,
        "columns": radiograph.columns,
        "rows": radiograph.rows,
        "spacing": list(radiograph.pixel_spacing_mm) if radiograph.pixel_spacing_mm else None,
        "approximate": radiograph.pixel_spacing_source in APPROXIMATE_SPACING,
        "bilateral": radiograph.laterality == "bilateral",
        "site_required": region in SEGMENT_REQUIRED_REGIONS,
        "region_word": radiograph.get_body_region_display().lower(),
        # The site rules are imaging.validation's (DOMAIN.md "A lesion's site"), told to the JS.
        "digit_segments": [s for s in Segment.values if s in DIGIT_SEGMENTS]
        if region in FOOT_OR_HAND_DIGIT
        else [],
        "decimal_separator": decimal_separator,
        "api": f"/api/v1/radiographs/{radiograph.pk}/lesions/",
        "list": reverse("clinic:radiograph-lesions", args=[radiograph.pk]),
        "lesion_api": "/api/v1/lesions/",
    }
    return render(
        request,
        "clinic/radiograph_viewer.html",
        {
            **_list_context(radiograph),
            **_site_choices(region),
            "patient": radiograph.patient,
            "has_image": has_image,
            "preview_url": f"/api/v1/radiographs/{radiograph.pk}/preview.png?size=viewer",
            "config": config,
            "tissues": Tissue.choices,
            "morphologies": Morphology.choices,
            "densities": Density.choices,
            "spacing_label": radiograph.get_pixel_spacing_source_display()
            if radiograph.pixel_spacing_source
            else "",
            "burned_in": instance if needs_review else None,
            "verdicts": VERDICTS,
        },
    )


@clinical_required
def radiograph_lesion_list(request, pk: int):
    """The viewer's lesion list and deposit choices alone, fetched again after each change."""
    radiograph = _radiograph_for(request, pk)
    return render(request, "clinic/radiograph_lesions.html", _list_context(radiograph))


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
