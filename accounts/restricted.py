"""The queryset base of every model whose rows belong to a center: ``.restrict(user, action)``.

Kept apart from :mod:`accounts.access` (the rule itself) because ``accounts.models`` uses it and
the rule reads ``accounts.models``.
"""

from __future__ import annotations

from django.db import models


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view") -> models.QuerySet:
        """The rows ``user`` may reach for ``action`` (see :mod:`accounts.access`)."""
        from accounts.access import Action, restrict  # the rule imports the models

        return restrict(self, user, Action(action))
