"""Filters of the sign-in audit trail (API list): whose, which kind, since, until."""

from __future__ import annotations

import django_filters as filters

from accounts.models import SignInEvent
from registry.filtersets import SinceFilter


class SignInEventFilterSet(filters.FilterSet):
    user = filters.NumberFilter(field_name="user_id", help_text="The account's user id.")
    kind = filters.ChoiceFilter(choices=SignInEvent.Kind.choices)
    since = SinceFilter(field_name="at", lookup_expr="gte", help_text="At or after (ISO 8601).")
    until = SinceFilter(field_name="at", lookup_expr="lt", help_text="Before (ISO 8601).")

    class Meta:
        model = SignInEvent
        fields = ["user", "kind", "since", "until"]
