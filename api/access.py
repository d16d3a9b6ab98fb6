"""What the requesting user may do, worked out once per request.

- Clinical mode: clinicians and center admins read and write their centers' patients
  (superusers: all centers). Another center's record does not exist for them (404).
- Research mode: users whose only role is researcher read every center, read-only and
  pseudonymized (no local identifier, no free text, birth year only).
A user with a clinical role works in clinical mode; a researcher role elsewhere does not widen it.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Membership


@dataclass(frozen=True)
class Access:
    clinical_center_ids: frozenset[int]
    admin_center_ids: frozenset[int]
    research: bool
    superuser: bool

    @property
    def clinical(self) -> bool:
        return self.superuser or bool(self.clinical_center_ids)

    @property
    def any(self) -> bool:
        return self.clinical or self.research


NO_ACCESS = Access(frozenset(), frozenset(), False, False)
CLINICAL_ROLES = {Membership.Role.CLINICIAN, Membership.Role.CENTER_ADMIN}


def access_for(request) -> Access:
    """Cached on the request: one query for the user's memberships."""
    cached = getattr(request, "_registry_access", None)
    if cached is not None:
        return cached
    user = request.user
    if not user or not user.is_authenticated:
        access = NO_ACCESS
    else:
        roles = list(Membership.objects.filter(user=user).values_list("center_id", "role"))
        clinical = frozenset(c for c, role in roles if role in CLINICAL_ROLES)
        admin = frozenset(c for c, role in roles if role == Membership.Role.CENTER_ADMIN)
        research = (
            not clinical
            and not user.is_superuser
            and any(role == Membership.Role.RESEARCHER for _, role in roles)
        )
        access = Access(clinical, admin, research, user.is_superuser)
    request._registry_access = access
    return access
