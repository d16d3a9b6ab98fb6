from django.contrib import admin

from imaging import services
from imaging.models import CalcinosisLesion, LesionTrack, Radiograph, RadiographicFinding
from patients.admin import CenterScopedAdmin


class LesionInline(admin.TabularInline):
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


class FindingInline(admin.TabularInline):
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


@admin.register(CalcinosisLesion)
class CalcinosisLesionAdmin(CenterScopedAdmin):
    center_path = "radiograph__patient__center"
    list_display = ["radiograph", "digit", "segment", "tissue", "longest_diameter_mm", "track"]
    list_filter = ["morphology", "tissue", "segment"]
    search_fields = ["radiograph__patient__registry_id"]

    def save_model(self, request, obj, form, change):
        services.lesion_save(lesion=obj)
