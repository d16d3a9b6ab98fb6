"""Consent in the clinic: record a signature, record a withdrawal, and the list of the user's
patients whose consent is missing or on a superseded document. Writes call consent.services;
a refused write shows the reason on the form."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from access_log.models import AccessKind
from access_log.recording import access_log_note
from accounts.access import Action, restrict
from clinic.access import clinical_required, patient_or_404, patients_for
from consent.models import ConsentDocument, Scope
from consent.selection import patients_with_consent_issue
from consent.services import consent_record, consent_withdraw

SCOPE_WIDGET = forms.CheckboxSelectMultiple


class ConsentRecordForm(forms.Form):
    document = forms.ModelChoiceField(queryset=ConsentDocument.objects.none())
    signed_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=SCOPE_WIDGET)
    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args, documents, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["document"].queryset = documents


class ConsentWithdrawalForm(forms.Form):
    withdrawn_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=SCOPE_WIDGET)
    reason = forms.CharField(max_length=500, required=False)


def _save(request, form, patient, write, title: str):
    """Validate, call the service; a refusal is shown on its field."""
    if request.method == "POST" and form.is_valid():
        try:
            write(patient=patient, recorded_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"{title}: saved.")
            return redirect("clinic:patient-detail", pk=patient.pk)
    access_log_note(
        request, kind=AccessKind.CLINIC_PATIENT, patient_ids=[patient.pk], object_id=patient.pk
    )
    context = {"form": form, "patient": patient, "title": title}
    return render(request, "clinic/consent_form.html", context)


@clinical_required
def consent_record_view(request, pk: int):
    patient = patient_or_404(request.user, pk)
    documents = restrict(
        ConsentDocument.objects.filter(center=patient.center), request.user, Action.CHANGE
    )
    form = ConsentRecordForm(request.POST or None, documents=documents)
    return _save(request, form, patient, consent_record, "Record consent")


@clinical_required
def consent_withdraw_view(request, pk: int):
    patient = patient_or_404(request.user, pk)
    form = ConsentWithdrawalForm(request.POST or None)
    return _save(request, form, patient, consent_withdraw, "Record a withdrawal")


@clinical_required
def consent_issues(request):
    patients = patients_with_consent_issue(patients_for(request.user).select_related("center"))
    page = Paginator(patients.order_by("registry_id"), 50).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    access_log_note(
        request,
        kind=AccessKind.CLINIC_PATIENT_LIST,
        patient_ids=[patient.pk for patient in page.object_list],
    )
    return render(request, "clinic/consent_issues.html", {"page": page})
