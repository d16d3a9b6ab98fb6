"""The one access rule: which rows a person may reach, and for which action.

Every interface (API, clinic, admin, exports, imports, DICOM paths, the tasks endpoint) asks
here and nowhere else, the way NetBox's ``RestrictedQuerySet.restrict(user, action)`` does:

- **view**: clinicians and center admins read their centers' rows, identifiable. A user whose
  only role is researcher reads every center's rows, but only through the research
  representation (allow-listed fields, read-only). Superusers read everything.
- **change**: clinicians and center admins create, change and delete their centers' clinical
  rows; superusers everything; researchers nothing.
- **administer**: center admins manage their centers' memberships and their members' tokens;
  superusers everything.

A clinical role anywhere makes a user clinical everywhere they act: a researcher role at another
center does not widen it to that center's identifiable data. A model says how its rows reach a
center with ``access_center_path`` (``"center"``, ``"patient__center"``, ...).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import models
from django.http import Http404

from accounts.models import Center, Membership

CLINICAL_ROLES = frozenset({Membership.Role.CLINICIAN, Membership.Role.CENTER_ADMIN})
CENTER_REQUIRED = "Choose the center (you work in several)."
NO_CENTER = "Your account has no center where you may do this."


class Action(enum.StrEnum):
    VIEW = "view"
    CHANGE = "change"
    ADMINISTER = "administer"

    @classmethod
    def for_method(cls, method: str) -> Action:
        return cls.VIEW if method in ("GET", "HEAD", "OPTIONS") else cls.CHANGE


@dataclass(frozen=True)
class Access:
    """A user's roles, read once: the centers per action (``None`` means every center)."""

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

    @property
    def administers(self) -> bool:
        return self.superuser or bool(self.admin_center_ids)

    def center_ids(self, action: Action) -> frozenset[int] | None:
        if self.superuser:
            return None
        if action == Action.VIEW:
            return None if self.research else self.clinical_center_ids
        if action == Action.CHANGE:
            return self.clinical_center_ids
        return self.admin_center_ids

    def allows(self, action: Action, center_id: int | None) -> bool:
        ids = self.center_ids(action)
        return ids is None or center_id in ids


NO_ACCESS = Access(frozenset(), frozenset(), research=False, superuser=False)


def access_of(user) -> Access:
    """The user's access, cached on the user object (one query per request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_ACCESS
    cached = getattr(user, "_registry_access", None)
    if cached is not None:
        return cached
    roles = list(Membership.objects.filter(user=user).values_list("center_id", "role"))
    clinical = frozenset(c for c, role in roles if role in CLINICAL_ROLES)
    admin = frozenset(c for c, role in roles if role == Membership.Role.CENTER_ADMIN)
    research = (
        not clinical
        and not user.is_superuser
        and any(role == Membership.Role.RESEARCHER for _, role in roles)
    )
    access = Access(clinical, admin, research=research, superuser=user.is_superuser)
    user._registry_access = access
    return access


def forget_access(user) -> None:
    """After a membership change within one request (tests, services acting on themselves)."""
    user.__dict__.pop("_registry_access", None)


def center_path_of(model: type[models.Model]) -> str:
    """How ``model``'s rows reach their center; a historical model uses its live model's path."""
    live = getattr(model, "instance_type", model)
    path = getattr(live, "access_center_path", None)
    if path is None:
        raise LookupError(f"{live.__name__} has no access_center_path: it cannot be restricted.")
    return path


def restrict(queryset: models.QuerySet, user, action: Action = Action.VIEW) -> models.QuerySet:
    """The rows of ``queryset`` that ``user`` may reach for ``action``."""
    access = access_of(user)
    if not access.any and not access.administers:
        return queryset.none()
    ids = access.center_ids(action)
    if ids is None:
        return queryset
    path = center_path_of(queryset.model)
    if path == "pk":
        return queryset.filter(pk__in=ids)
    if getattr(queryset.model, "access_center_many", False):
        # A path through a to-many relation (a user's memberships) would repeat rows.
        reachable = queryset.model._base_manager.filter(**{f"{path}__in": ids}).values("pk")
        return queryset.filter(pk__in=reachable)
    return queryset.filter(**{f"{path}__in": ids})


def get_restricted_or_404(queryset: models.QuerySet, user, action: Action = Action.VIEW, **kw):
    """One row the user may reach; another center's row is a 404, exactly like a missing one."""
    try:
        return restrict(queryset, user, action).get(**kw)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as error:
        raise Http404 from error


def only_center(user, action: Action = Action.CHANGE) -> Center:
    """The one center where ``user`` may do ``action``, when no center was named.

    ValueError with :data:`CENTER_REQUIRED` if there are several (or every center),
    :data:`NO_CENTER` if there is none.
    """
    ids = access_of(user).center_ids(action)
    if ids is None or len(ids) > 1:
        raise ValueError(CENTER_REQUIRED)
    if not ids:
        raise ValueError(NO_CENTER)
    return Center.objects.get(pk=next(iter(ids)))


def users_administered(user) -> models.QuerySet:
    """The people ``user`` administers: members of their centers (everyone for superusers)."""
    people = get_user_model().objects.all()
    ids = access_of(user).center_ids(Action.ADMINISTER)
    if ids is None:
        return people
    return people.filter(pk__in=Membership.objects.filter(center__in=ids).values("user"))


def restrict_owned(queryset: models.QuerySet, user, owner_field: str) -> models.QuerySet:
    """Background jobs (exports, recomputations): their owner's while the owner still has a
    role; every job for superusers. A job's rows were chosen by the rule when it was made."""
    access = access_of(user)
    if access.superuser:
        return queryset
    if not access.any:
        return queryset.none()
    return queryset.filter(**{owner_field: user})
