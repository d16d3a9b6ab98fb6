"""Foreign keys in API input, limited by the one access rule (:mod:`accounts.access`)."""

from __future__ import annotations

from rest_framework import serializers

from accounts.access import Action, restrict


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key whose choices are the rows the user may change: another center's id is
    answered exactly like an id that does not exist."""

    def get_queryset(self):
        request = self.context.get("request")
        queryset = super().get_queryset()
        return restrict(queryset, request.user, Action.CHANGE) if request else queryset.none()
