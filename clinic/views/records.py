"""The records the clinic edits and deletes (patients, visits, radiographs, lesions): how each is
fetched, which form edits it, which service saves and deletes it (the API's own), and how it is
named to people in messages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.db.models import Min, Model, QuerySet

from accounts.access import Action, restrict
from accounts.models import Center
from clinic.forms import LesionEditForm, PatientForm, RadiographEditForm, VisitEditForm
from imaging.models import CalcinosisLesion, LesionTrack, Radiograph
from imaging.services import lesion_delete, lesion_save_matched, radiograph_delete, radiograph_save
from imaging.track_names import site_name, track_name
from patients.models import Patient, Visit
from patients.services import patient_delete, patient_save, visit_delete, visit_save
from registry.formatting import date_text, mm_text


@dataclass(frozen=True)
class RecordKind:
    """One kind of record the clinic edits and deletes."""

    noun: str  # "visit": in "This visit was changed by someone else"
    queryset: Callable[[], QuerySet]
    patient_of: Callable[[Model], Patient]
    describe: Callable[[Model], str]  # "Follow-up visit of Mar 15, 2023"
    form: Callable[..., forms.ModelForm]  # (data, record, user) -> bound or unbound form
    save: Callable[[Model], Model]
    delete: Callable[[Model, str], None]
    template: str = "clinic/record_edit.html"


def radiograph_words(radiograph: Radiograph) -> str:
    """ "Left hand radiograph (PA) of Mar 15, 2023" """
    side = radiograph.get_laterality_display()
    region = radiograph.get_body_region_display().lower()
    view = radiograph.get_view_display()
    return f"{side} {region} radiograph ({view}) of {date_text(radiograph.acquired_on)}"


def lesion_words(lesion: CalcinosisLesion) -> str:
    """ "Lesion of 15.0 mm (Left thumb, distal phalanx) on the left hand radiograph …" """
    radiograph = lesion.radiograph
    site = site_name(**lesion.site)
    on = radiograph_words(radiograph)
    size = mm_text(lesion.longest_diameter_mm)
    return f"Lesion of {size} mm ({site}) on the {on[0].lower()}{on[1:]}"


def lesion_tracks(lesion: CalcinosisLesion) -> QuerySet[LesionTrack]:
    """The deposits this lesion may belong to: its patient's, same region and side (both sides
    on a bilateral image, where the model checks the lesion's own side)."""
    radiograph = lesion.radiograph
    sides = ["left", "right"] if radiograph.laterality == "bilateral" else [radiograph.laterality]
    return (
        LesionTrack.objects.filter(
            patient_id=radiograph.patient_id,
            body_region=radiograph.body_region,
            laterality__in=sides,
        )
        .annotate(first_seen=Min("lesions__radiograph__acquired_on"))
        .order_by("laterality", "digit", "segment", "id")
    )


def _lesion_form(data, record: CalcinosisLesion, user) -> LesionEditForm:
    form = LesionEditForm(data, instance=record, tracks=lesion_tracks(record))
    form.fields["track"].label_from_instance = lambda track: (
        track.label or track_name(track.site, track.first_seen)
    )
    return form


PATIENT = RecordKind(
    noun="patient",
    queryset=lambda: Patient.objects.select_related("center"),
    patient_of=lambda patient: patient,
    describe=lambda patient: f"Patient {patient.registry_id}",
    form=lambda data, record, user: PatientForm(
        data, instance=record, centers=restrict(Center.objects.all(), user, Action.CHANGE)
    ),
    save=lambda patient: patient_save(patient=patient),
    delete=lambda patient, reason: patient_delete(patient=patient, reason=reason),
    template="clinic/patient_form.html",
)
VISIT = RecordKind(
    noun="visit",
    queryset=lambda: Visit.objects.select_related("patient__center"),
    patient_of=lambda visit: visit.patient,
    describe=lambda visit: f"{visit.get_visit_type_display()} visit of {date_text(visit.date)}",
    form=lambda data, record, user: VisitEditForm(data, instance=record),
    save=lambda visit: visit_save(visit=visit),
    delete=lambda visit, reason: visit_delete(visit=visit, reason=reason),
    template="clinic/visit_edit.html",
)
RADIOGRAPH = RecordKind(
    noun="radiograph",
    queryset=lambda: Radiograph.objects.select_related("patient__center"),
    patient_of=lambda radiograph: radiograph.patient,
    describe=radiograph_words,
    form=lambda data, record, user: RadiographEditForm(data, instance=record),
    save=lambda radiograph: radiograph_save(radiograph=radiograph),
    delete=lambda radiograph, reason: radiograph_delete(radiograph=radiograph, reason=reason),
)
LESION = RecordKind(
    noun="lesion",
    queryset=lambda: CalcinosisLesion.objects.select_related("radiograph__patient__center"),
    patient_of=lambda lesion: lesion.radiograph.patient,
    describe=lesion_words,
    form=_lesion_form,
    save=lambda lesion: lesion_save_matched(lesion=lesion),
    delete=lambda lesion, reason: lesion_delete(lesion=lesion, reason=reason),
)
