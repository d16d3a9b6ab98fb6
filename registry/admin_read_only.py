"""An admin page only superusers see and nobody edits: records the registry's own jobs write
(progression snapshots, cohort recomputations, export jobs), shown to operators following them."""

from django.contrib import admin


class SuperuserReadOnlyAdmin(admin.ModelAdmin):
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
