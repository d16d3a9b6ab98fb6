"""Centers (read) and memberships (center admins manage their center's users)."""

from __future__ import annotations

from rest_framework import viewsets

from accounts.access import Action
from accounts.filtersets import CenterFilterSet
from accounts.models import Center, Membership
from api.permissions import CenterAdminOnly, RegistryPermission
from api.schema import resource
from api.serializers.accounts import CenterSerializer, MembershipSerializer
from api.views.base import RegistryViewSet


@resource("Accounts", one="a center", many="centers")
class CenterViewSet(viewsets.ReadOnlyModelViewSet):
    """Clinicians see their centers; researchers every center. Centers are created in the admin."""

    serializer_class = CenterSerializer
    permission_classes = [RegistryPermission]
    filterset_class = CenterFilterSet
    ordering_fields = ["code", "name"]

    def get_queryset(self):
        return Center.objects.restrict(self.request.user, Action.VIEW)


@resource("Accounts", one="a membership", many="memberships")
class MembershipViewSet(RegistryViewSet):
    """Users' roles in the centers the requesting user administers."""

    serializer_class = MembershipSerializer
    permission_classes = [CenterAdminOnly]
    queryset = Membership.objects.select_related("user", "center")
    filterset_fields = ["role"]
    ordering_fields = ["created_at"]

    def get_permissions(self):
        # Every action, the audit history included, is for the center's admins only.
        return [CenterAdminOnly()]

    def get_queryset(self):
        return self.queryset.restrict(self.request.user, Action.ADMINISTER)
