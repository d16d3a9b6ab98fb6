"""Follow-up entry: one form for the visit, treatments, and the radiographs of the day with
their findings and lesions. Nothing typed is lost on an error: the form comes back bound."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from access_log.models import AccessKind
from access_log.recording import access_log_note
from clinic.access import clinical_required, patient_or_404
from clinic.forms import FindingRowForm, LesionRowForm, RadiographRowForm, TreatmentForm, VisitForm
from imaging.models import LesionTrack
from patients.follow_up import FollowUpErrors, RadiographEntry, follow_up_save
from progression.services import progression_detail

RADIOGRAPH_ROWS = 3
TreatmentFormSet = forms.formset_factory(TreatmentForm, extra=1)
RadiographFormSet = forms.formset_factory(
    RadiographRowForm, extra=RADIOGRAPH_ROWS, max_num=RADIOGRAPH_ROWS
)
LesionFormSet = forms.formset_factory(LesionRowForm, extra=3)
FindingFormSet = forms.formset_factory(FindingRowForm, extra=2)


def _forms(request, patient):
    data = request.POST if request.method == "POST" else None
    tracks = LesionTrack.objects.filter(patient=patient)
    return {
        "visit_form": VisitForm(
            data, initial={"date": timezone.localdate(), "visit_type": "follow_up"}
        ),
        "treatments": TreatmentFormSet(data, prefix="treatment"),
        "radiographs": RadiographFormSet(data, prefix="radiograph"),
        "lesions": LesionFormSet(
            data,
            prefix="lesion",
            form_kwargs={"tracks": tracks, "radiograph_rows": RADIOGRAPH_ROWS},
        ),
        "findings": FindingFormSet(
            data, prefix="finding", form_kwargs={"radiograph_rows": RADIOGRAPH_ROWS}
        ),
    }


def _filled(formset) -> list[tuple[int, forms.Form]]:
    return [(index, form) for index, form in enumerate(formset.forms) if form.has_changed()]


def _attach(forms_by_key: dict, errors: FollowUpErrors) -> None:
    """Show each service error next to its field in the row it concerns."""
    for key, error in errors.errors.items():
        form = forms_by_key.get(key)
        if form is None:
            continue
        details = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
        for field, texts in details.items():
            target = field if field in form.fields else None
            for text in texts:
                named = target or field in (None, "__all__")
                form.add_error(target, text if named else f"{field.replace('_', ' ')}: {text}")


@clinical_required
def follow_up(request, pk: int):
    patient = patient_or_404(request.user, pk)
    access_log_note(request, kind=AccessKind.CLINIC_PATIENT, patient_ids=[pk], object_id=pk)
    context = _forms(request, patient)
    if request.method == "POST" and all(
        f.is_valid()
        for f in (
            context["visit_form"],
            context["treatments"],
            context["radiographs"],
            context["lesions"],
            context["findings"],
        )
    ):
        radiograph_rows = _filled(context["radiographs"])
        entries = {}
        for index, form in radiograph_rows:
            entries[index] = RadiographEntry(
                body_region=form.cleaned_data["body_region"],
                laterality=form.cleaned_data["laterality"],
                view=form.cleaned_data["view"],
                spacing_mm=form.cleaned_data.get("spacing_mm"),
            )
        forms_by_key = {("visit", 0): context["visit_form"]}
        orphan = False
        for section, formset in (("lesion", context["lesions"]), ("finding", context["findings"])):
            for index, form in _filled(formset):
                forms_by_key[(section, index)] = form
                entry = entries.get(form.cleaned_data["radiograph_row"])
                if entry is None:
                    form.add_error("radiograph_row", "Fill in this radiograph's row above first.")
                    orphan = True
                    continue
                (entry.lesions if section == "lesion" else entry.findings).append(
                    (index, form.instance)
                )
        treatments = []
        for index, form in _filled(context["treatments"]):
            forms_by_key[("treatment", index)] = form
            treatments.append(form.instance)
        for position, (_row, form) in enumerate(radiograph_rows):
            forms_by_key[("radiograph", position)] = form
        if not orphan:
            try:
                follow_up_save(
                    patient=patient,
                    visit=context["visit_form"].instance,
                    treatments=treatments,
                    radiographs=list(entries.values()),
                )
            except FollowUpErrors as errors:
                _attach(forms_by_key, errors)
            else:
                status = progression_detail(patient_id=patient.pk)["status"]
                messages.success(
                    request, f"Follow-up saved. Progression status: {status.replace('_', ' ')}."
                )
                return redirect("clinic:patient-detail", pk=patient.pk)
    return render(request, "clinic/follow_up.html", {"patient": patient, **context})
