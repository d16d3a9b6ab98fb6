"""Role rules: clinical users read and write; researchers only read; others nothing."""

from __future__ import annotations

from rest_framework import permissions

from accounts.access import access_of

RESEARCH_READ_ONLY = "Researchers have read-only access."
NO_ROLE = "Your account has no role in any center."


class RegistryPermission(permissions.BasePermission):
    """Object scoping happens in each viewset's queryset (other centers: 404, not 403)."""

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        access = access_of(request.user)
        if not access.any:
            self.message = NO_ROLE
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if not access.clinical:
            self.message = RESEARCH_READ_ONLY
            return False
        return True


class ClinicalOnly(RegistryPermission):
    """Endpoints that show identifiable detail (history): clinical users only."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if not access_of(request.user).clinical:
            self.message = "Only clinicians and center admins can read the audit history."
            return False
        return True


class CenterAdminOnly(RegistryPermission):
    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        access = access_of(request.user)
        if access.superuser or access.admin_center_ids:
            return True
        self.message = "Only center admins manage users."
        return False
