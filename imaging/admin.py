from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from accounts.access import Action
from imaging import services, validation
from imaging.choices import BodyRegion, Laterality, View
from imaging.dicom.unmatched import unmatched_assign
from imaging.models import (
    CalcinosisLesion,
    DicomInstance,
    LesionTrack,
    Radiograph,
    RadiographicFinding,
)
from patients.admin import CenterScopedAdmin
from patients.models import Patient
from registry.admin_site import RestrictedAdmin, RestrictedInline


class LesionInline(RestrictedInline, admin.TabularInline):
    model = CalcinosisLesion
    extra = 0
    fields = [
        "laterality",
        "digit",
        "segment",
        "tissue",
        "longest_diameter_mm",
        "perpendicular_diameter_mm",
        "morphology",
        "density",
        "track",
    ]


class FindingInline(RestrictedInline, admin.TabularInline):
    model = RadiographicFinding
    extra = 0
    fields = ["finding", "digit", "segment", "joint", "notes"]


@admin.register(Radiograph)
class RadiographAdmin(CenterScopedAdmin):
    list_display = [
        "patient",
        "acquired_on",
        "body_region",
        "laterality",
        "view",
        "pixel_spacing_source",
    ]
    list_filter = ["body_region", "laterality", "view", "patient__center"]
    search_fields = ["patient__registry_id", "patient__local_id", "sop_instance_uid"]
    inlines = [FindingInline, LesionInline]
    readonly_fields = [
        "study_instance_uid",
        "series_instance_uid",
        "sop_instance_uid",
        "modality",
        "rows",
        "columns",
    ]

    def save_model(self, request, obj, form, change):
        services.radiograph_save(radiograph=obj)

    def formset_savers(self) -> dict:
        return {
            CalcinosisLesion: lambda o: services.lesion_save(lesion=o),
            RadiographicFinding: lambda o: services.finding_save(finding=o),
        }


@admin.register(LesionTrack)
class LesionTrackAdmin(CenterScopedAdmin):
    list_display = ["__str__", "patient", "body_region", "laterality", "digit", "segment", "tissue"]
    list_filter = ["body_region", "laterality"]
    search_fields = ["patient__registry_id", "label"]

    def save_model(self, request, obj, form, change):
        services.track_save(track=obj)


class SiteIncompleteFilter(admin.SimpleListFilter):
    """Lesions stored before the site rule (imaging.validation) that an edit must complete."""

    title = "site"
    parameter_name = "site"

    def lookups(self, request, model_admin):
        return [("incomplete", "Segment or digit missing")]

    def queryset(self, request, queryset):
        if self.value() == "incomplete":
            return queryset.filter(validation.site_incomplete())
        return queryset


@admin.register(CalcinosisLesion)
class CalcinosisLesionAdmin(CenterScopedAdmin):
    list_display = ["radiograph", "digit", "segment", "tissue", "longest_diameter_mm", "track"]
    list_filter = [SiteIncompleteFilter, "morphology", "tissue", "segment"]
    search_fields = ["radiograph__patient__registry_id"]

    def save_model(self, request, obj, form, change):
        services.lesion_save(lesion=obj)


class AssignForm(forms.Form):
    """The patient (of the images' center) and what the headers may have lacked."""

    patient = forms.ModelChoiceField(queryset=Patient.objects.none())
    acquired_on = forms.DateField(required=False, help_text="Only if the header has no date.")
    laterality = forms.ChoiceField(choices=[("", "From the header"), *Laterality.choices])
    view = forms.ChoiceField(choices=[("", "From the header"), *View.choices], required=False)
    body_region = forms.ChoiceField(
        choices=[("", "From the header"), *BodyRegion.choices], required=False
    )

    def __init__(self, *args, patients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients
        self.fields["laterality"].required = False


@admin.register(DicomInstance)
class DicomInstanceAdmin(RestrictedAdmin):
    """The received DICOM images and the unmatched queue (filter: status = unmatched). Rows come
    only from ingest; the one change is the assign action. No identifier is shown or stored."""

    list_display = [
        "__str__",
        "status",
        "unmatched_reason",
        "center",
        "study_date",
        "acquired_on",
        "modality",
        "body_part_examined",
        "laterality",
        "view",
        "burned_in_annotation",
        "received_via",
        "received_at",
    ]
    list_filter = [
        "status",
        "unmatched_reason",
        "center",
        "received_via",
        "burned_in_annotation",
        "preview_status",
    ]
    date_hierarchy = "received_at"
    actions = ["assign_to_patient"]
    # the keyed fingerprint means nothing to a reader; files are served by the API, not /media/
    exclude = ["source_patient_key", "source_id_key", "file", "thumbnail", "viewer_image"]

    def get_readonly_fields(self, request, obj=None):
        fields = [f.name for f in self.model._meta.fields if f.name not in self.exclude]
        return [*fields, "thumbnail_preview"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Preview")
    def thumbnail_preview(self, obj: DicomInstance) -> str:
        if obj.preview_status != DicomInstance.PreviewStatus.READY:
            return obj.get_preview_status_display()
        url = (
            reverse("api:dicom-unmatched-preview", args=[obj.pk])
            if obj.radiograph_id is None
            else (reverse("api:radiograph-preview", args=[obj.radiograph_id]))
        )
        return format_html('<img src="{}" alt="preview" style="max-width:256px">', url)

    @admin.action(
        description="Assign the selected unmatched images to a patient…", permissions=["change"]
    )
    def assign_to_patient(self, request, queryset):
        queued = queryset.unmatched()
        centers = set(queued.values_list("center", flat=True))
        if len(centers) != 1:
            self.message_user(
                request, "Select unmatched images of one center.", level=messages.ERROR
            )
            return None
        patients = Patient.objects.filter(center_id=centers.pop()).restrict(
            request.user, Action.CHANGE
        )
        form = AssignForm(request.POST if "apply" in request.POST else None, patients=patients)
        if form.is_valid():
            values = {k: v for k, v in form.cleaned_data.items() if v not in ("", None)}
            try:
                with transaction.atomic():
                    for instance in queued:
                        unmatched_assign(instance=instance, user=request.user, **values)
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), level=messages.ERROR)
                return None
            self.message_user(request, f"{len(queued)} image(s) assigned to {values['patient']}.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Assign images to a patient",
            "form": form,
            "instances": queued,
            "selected": queued.values_list("pk", flat=True),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/imaging/dicominstance/assign.html", context)
