"""Read-only view of export jobs for superusers (operators following a job); the files are
downloaded through the API by whoever asked, and the project key is never shown."""

from django.contrib import admin

from exports.models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ["pk", "requested_by", "level", "format", "date_mode", "status", "done",
                    "total", "created_at", "expires_at"]
    list_filter = ["status", "level", "format"]
    exclude = ["project_key"]

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
