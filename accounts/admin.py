from django.contrib import admin, messages

from accounts import services
from accounts.models import ApiToken, Center, Membership
from accounts.scoping import centers_for


@admin.register(Center)
class CenterAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "created_at"]
    search_fields = ["code", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=centers_for(request.user))


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "center", "role", "created_at"]
    list_filter = ["role", "center"]
    search_fields = ["user__username", "user__email"]

    def _admin_centers(self, request):
        return centers_for(request.user, Membership.Role.CENTER_ADMIN)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(center__in=self._admin_centers(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "center":
            kwargs["queryset"] = self._admin_centers(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created by ``registry_user``; here they can only be seen and revoked."""

    list_display = [
        "prefix",
        "user",
        "name",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["revoked_at"]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    actions = ["revoke"]

    def get_queryset(self, request):
        admin_centers = centers_for(request.user, Membership.Role.CENTER_ADMIN)
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(user__memberships__center__in=admin_centers).distinct()

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            services.token_revoke(token=token)
        self.message_user(request, f"Revoked {queryset.count()} token(s).", messages.SUCCESS)
