"""Read-only views of progression results and cohort jobs, for superusers: both are written by
the engine only, and snapshots span every center (the API applies the center rules)."""

from django.contrib import admin

from progression.models import ProgressionSnapshot, RecomputeJob
from registry.admin_read_only import SuperuserReadOnlyAdmin


@admin.register(ProgressionSnapshot)
class ProgressionSnapshotAdmin(SuperuserReadOnlyAdmin):
    list_display = ["patient", "status", "data_version", "computed_at"]
    list_filter = ["status"]
    search_fields = ["patient__registry_id"]
    list_select_related = ["patient"]


@admin.register(RecomputeJob)
class RecomputeJobAdmin(SuperuserReadOnlyAdmin):
    list_display = ["pk", "status", "done", "total", "failures", "created_by", "created_at"]
    list_filter = ["status"]
