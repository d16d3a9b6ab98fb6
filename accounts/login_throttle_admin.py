"""Admin pieces of the sign-in throttle, for accounts/admin.py to register: the failure records
and the failure log (superusers only), and an "Unlock sign-in" action for a user admin.

axes' own admin registration is off (AXES_ENABLE_ADMIN = False): the registry's admin site
decides who sees what, and these records hold e-mails and addresses.
"""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin
from django.contrib import admin, messages
from django.contrib.auth import get_user_model

from accounts.login_throttle import login_unlock
from accounts.models import SignInEvent
from accounts.sign_in import sign_in_event_record


def _unlocked(request, *, user=None, username: str = "", cleared: int) -> None:
    """The unlock in the sign-in audit trail, with the administrator who did it."""
    sign_in_event_record(
        SignInEvent.Kind.UNLOCKED,
        request=request,
        user=user,
        username=username,
        method=SignInEvent.Method.ADMIN,
        actor=request.user,
        detail=f"{cleared} failure record(s) cleared",
    )


@admin.action(description="Unlock sign-in (clear failed attempts from every address)")
def unlock_sign_in(modeladmin, request, queryset) -> None:
    users = list(queryset)
    cleared = 0
    for user in users:
        count = login_unlock(username=user.get_username())
        _unlocked(request, user=user, cleared=count)
        cleared += count
    modeladmin.message_user(
        request,
        f"Unlocked {len(users)} account(s): {cleared} failure record(s) cleared.",
        messages.SUCCESS,
    )


class SuperuserOnly:
    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)


class LoginAttemptAdmin(SuperuserOnly, AccessAttemptAdmin):
    """Counted failures per account, address and browser; deleting a row unlocks that pair."""

    actions = ["unlock"]

    @admin.action(description="Unlock: clear the selected failure records")
    def unlock(self, request, queryset) -> None:
        usernames = sorted({name for name in queryset.values_list("username", flat=True) if name})
        count, _ = queryset.delete()
        users = get_user_model()._default_manager.filter(username__in=usernames)
        by_name = {user.get_username(): user for user in users}
        for username in usernames:
            _unlocked(request, user=by_name.get(username), username=username, cleared=count)
        self.message_user(request, f"Cleared {count} failure record(s).", messages.SUCCESS)


class LoginFailureLogAdmin(SuperuserOnly, AccessFailureLogAdmin):
    """Every failed sign-in, and whether it locked: the audit trail, read-only."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
