"""Admin of patients with visits, treatments and radiographs inline, for superusers and center
admins (:mod:`registry.admin_site`: rows and choices by the one access rule). Saves go through
the services so derived values and validation are the same as the API's.
"""

from django.contrib import admin

from imaging.models import Radiograph
from imaging.services import radiograph_save
from patients import services
from patients.models import (
    TREATMENT_FIELDS,
    CalcinosisTreatment,
    Patient,
    SubtypeAssessment,
    Visit,
)
from registry.admin_site import RestrictedHistoryAdmin, RestrictedInline


class CenterScopedAdmin(RestrictedHistoryAdmin):
    """Clinical rows with their history; saves go through the services. Deleting clinical data
    is explicit and audited: superusers only (center admins add and change)."""

    def formset_savers(self) -> dict:
        """Inline model -> the service that saves one of its rows."""
        return {}

    def save_formset(self, request, form, formset, change):
        saver = self.formset_savers().get(formset.model)
        if saver is None:
            return super().save_formset(request, form, formset, change)
        for obj in formset.save(commit=False):
            saver(obj)
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()
        return None


class VisitInline(RestrictedInline, admin.StackedInline):
    model = Visit
    extra = 0
    show_change_link = True
    fields = [
        ("date", "visit_type"),
        ("mrss_total", "calcinosis_pain_nrs", "calcinosis_pain_vas_mm", "chfs_total"),
        ("ulceration", "ulceration_site", "infection", "infection_site"),
        ("drainage", "drainage_site", "digital_ulcer_count", "raynaud_attacks_per_day"),
    ]


class TreatmentInline(RestrictedInline, admin.TabularInline):
    model = CalcinosisTreatment
    extra = 0
    fields = [*TREATMENT_FIELDS, "visit"]


class SubtypeAssessmentInline(RestrictedInline, admin.TabularInline):
    model = SubtypeAssessment
    extra = 0
    fields = ["assessed_on", "subtype", "note"]


class RadiographInline(RestrictedInline, admin.TabularInline):
    model = Radiograph
    extra = 0
    show_change_link = True
    fields = ["acquired_on", "body_region", "laterality", "view", "visit"]


@admin.register(Patient)
class PatientAdmin(CenterScopedAdmin):
    list_display = [
        "registry_id",
        "local_id",
        "center",
        "sex",
        "ssc_subtype",
        "acr_eular_2013_score",
        "updated_at",
    ]
    list_filter = [
        "center",
        "ssc_subtype",
        "sex",
        "antibody_aca",
        "antibody_scl70",
        "antibody_rnap3",
    ]
    search_fields = ["registry_id", "local_id"]
    readonly_fields = ["registry_id", "acr_eular_2013_score", "created_at", "updated_at"]
    inlines = [SubtypeAssessmentInline, VisitInline, TreatmentInline, RadiographInline]
    fieldsets = [
        (
            None,
            {"fields": ["registry_id", "center", "local_id", "sex", "birth_date", "ssc_subtype"]},
        ),
        (
            "Disease course",
            {
                "fields": [
                    ("raynaud_onset", "raynaud_onset_precision"),
                    ("first_non_raynaud_onset", "first_non_raynaud_onset_precision"),
                    "diagnosis_date",
                ]
            },
        ),
        (
            "Autoantibodies",
            {
                "fields": [
                    ("antibody_aca", "antibody_scl70", "antibody_rnap3"),
                    ("antibody_u1rnp", "antibody_pmscl", "antibody_thto", "antibody_u3rnp"),
                ]
            },
        ),
        (
            "2013 ACR/EULAR classification",
            {
                "fields": [
                    "skin_thickening_proximal_to_mcp",
                    ("puffy_fingers", "sclerodactyly"),
                    ("digital_tip_ulcers", "fingertip_pitting_scars"),
                    "telangiectasia",
                    "abnormal_nailfold_capillaries",
                    ("pulmonary_arterial_hypertension", "interstitial_lung_disease"),
                    "raynaud_phenomenon",
                    ("not_applicable", "not_applicable_reason"),
                    "acr_eular_2013_score",
                ]
            },
        ),
        ("Notes", {"fields": ["notes", "created_at", "updated_at"]}),
    ]

    def save_model(self, request, obj, form, change):
        services.patient_save(patient=obj)

    def formset_savers(self) -> dict:
        return {
            Visit: lambda o: services.visit_save(visit=o),
            CalcinosisTreatment: lambda o: services.treatment_save(treatment=o),
            Radiograph: lambda o: radiograph_save(radiograph=o),
        }


@admin.register(Visit)
class VisitAdmin(CenterScopedAdmin):
    list_display = ["patient", "date", "visit_type", "mrss_total", "calcinosis_pain_nrs"]
    list_filter = ["visit_type", "patient__center"]
    search_fields = ["patient__registry_id", "patient__local_id"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        services.visit_save(visit=obj)


@admin.register(CalcinosisTreatment)
class TreatmentAdmin(CenterScopedAdmin):
    list_display = ["patient", "treatment", "route", "started_on", "stopped_on"]
    list_filter = ["treatment"]
    search_fields = ["patient__registry_id", "patient__local_id"]

    def save_model(self, request, obj, form, change):
        services.treatment_save(treatment=obj)
