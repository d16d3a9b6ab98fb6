"""``/sign-in-events/``: the sign-in audit trail (issue 14), newest first. Center admins read the
events of their centers' members, superusers every event, anyone else 403."""

from __future__ import annotations

from rest_framework import mixins, viewsets
from rest_framework.permissions import BasePermission

from accounts.access import Action, access_of
from accounts.models import SignInEvent
from accounts.sign_in_filtersets import SignInEventFilterSet
from api.schema import resource
from api.serializers.sign_in_events import SignInEventSerializer

SIGN_IN_AUDITORS_ONLY = "Only center admins (for their centers) and superusers read sign-in events."


class SignInAuditorsOnly(BasePermission):
    message = SIGN_IN_AUDITORS_ONLY

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and access_of(user).administers)


@resource("Sign-in events", one="a sign-in event", many="sign-in events")
class SignInEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Sign-ins, failures, lockouts, unlocks, second-factor and password events: who, when,
    from which address; filter by ``user``, ``kind``, ``since`` and ``until``."""

    serializer_class = SignInEventSerializer
    permission_classes = [SignInAuditorsOnly]
    filterset_class = SignInEventFilterSet
    ordering_fields = ["at"]
    ordering = ["-at"]
    queryset = SignInEvent.objects.all()

    def get_queryset(self):
        return self.queryset.restrict(self.request.user, Action.ADMINISTER)
