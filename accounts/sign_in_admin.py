"""The sign-in audit trail in the admin (issue 14): read-only, for superusers (every event) and
center admins (the events of their centers' members, by the one access rule)."""

from __future__ import annotations

from accounts.access import Action
from registry.admin_site import RestrictedAdmin


class SignInEventAdmin(RestrictedAdmin):
    """Append-only: nobody adds, changes or deletes an event here."""

    list_display = ["at", "kind", "method", "user", "username", "address", "actor", "detail"]
    list_filter = ["kind", "method"]
    list_select_related = ["user", "actor"]
    search_fields = ["username"]
    date_hierarchy = "at"
    view_action = Action.ADMINISTER
    admin_action = Action.ADMINISTER
    admin_actions = ()

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
