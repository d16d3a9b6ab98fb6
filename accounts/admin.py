from axes.models import AccessAttempt, AccessFailureLog
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from accounts import services
from accounts.access import Action, users_administered
from accounts.login_throttle_admin import LoginAttemptAdmin, LoginFailureLogAdmin, unlock_sign_in
from accounts.models import ApiToken, Center, Membership, SignInEvent
from accounts.passwords import password_set_sessions_end
from accounts.sign_in_admin import SignInEventAdmin
from accounts.two_factor_admin import reset_member_two_factor, reset_two_factor
from registry.admin_site import RestrictedAdmin


@admin.register(Center)
class CenterAdmin(RestrictedAdmin):
    """Centers are created and renamed by superusers; center admins see theirs."""

    list_display = ["code", "name", "created_at"]
    search_fields = ["code", "name"]
    admin_actions = ()


@admin.register(Membership)
class MembershipAdmin(RestrictedAdmin):
    """Center admins change roles and remove members of their centers. A new member is added
    through an invitation the person accepts (API ``/memberships/``), never by picking another
    center's user here: the user choice lists only people already in one's centers."""

    list_display = ["user", "center", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email"]
    view_action = Action.ADMINISTER
    admin_action = Action.ADMINISTER
    admin_actions = ("change", "delete")
    actions = [reset_member_two_factor]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not request.user.is_superuser:
            kwargs["queryset"] = users_administered(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ApiToken)
class ApiTokenAdmin(RestrictedAdmin):
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

    view_action = Action.ADMINISTER
    admin_action = Action.ADMINISTER
    admin_actions = ("change",)  # revoke

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            services.token_revoke(token=token)
        self.message_user(request, f"Revoked {queryset.count()} token(s).", messages.SUCCESS)


# The sign-in throttle's records (superusers only), and "Unlock sign-in" on the user admin.
admin.site.register(AccessAttempt, LoginAttemptAdmin)
admin.site.register(AccessFailureLog, LoginFailureLogAdmin)
admin.site.register(SignInEvent, SignInEventAdmin)
admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class RegistryUserAdmin(UserAdmin):
    """Accounts are for superusers; center admins manage memberships (and the API's
    /memberships/), never another person's account."""

    actions = [unlock_sign_in, reset_two_factor]

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def user_change_password(self, request, id, form_url=""):
        """Django's page (the validators); a new password then ends the person's sessions."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, id)
            password_set_sessions_end(
                request=request,
                user=user,
                kind=SignInEvent.Kind.PASSWORD_CHANGED,
                actor=request.user,
            )
        return response

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)
