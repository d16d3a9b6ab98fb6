"""Which centers a user may see and write: the one rule every interface applies."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Center, Membership


def centers_for(user, *roles: str) -> QuerySet[Center]:
    """Centers where ``user`` holds one of ``roles`` (any role if none); all for superusers."""
    if not user.is_authenticated:
        return Center.objects.none()
    if user.is_superuser:
        return Center.objects.all()
    memberships = Membership.objects.filter(user=user)
    if roles:
        memberships = memberships.filter(role__in=roles)
    return Center.objects.filter(pk__in=memberships.values("center"))


def clinical_centers(user) -> QuerySet[Center]:
    """Centers whose identifiable patient data the user may read and write."""
    return centers_for(user, Membership.Role.CLINICIAN, Membership.Role.CENTER_ADMIN)


def is_researcher_only(user) -> bool:
    roles = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    return not user.is_superuser and roles == {Membership.Role.RESEARCHER}
