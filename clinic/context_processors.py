"""What the clinic's menu shows: the signed-in person's roles (accounts.access), computed once."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from accounts.access import access_of


def roles(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"access": SimpleLazyObject(lambda: access_of(user))}
