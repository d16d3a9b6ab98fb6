"""Read-only view of export jobs for superusers (operators following a job); the files are
downloaded through the API by whoever asked, and the project key is never shown."""

from django.contrib import admin

from exports.models import ExportJob
from registry.admin_read_only import SuperuserReadOnlyAdmin


@admin.register(ExportJob)
class ExportJobAdmin(SuperuserReadOnlyAdmin):
    list_display = ["pk", "requested_by", "level", "format", "date_mode", "generalize", "status",
                    "done", "total", "created_at", "expires_at"]
    list_filter = ["status", "level", "format"]
    exclude = ["project_key"]
