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

Consent (issue 15, docs/governance.md): a researcher reads a patient-bound row only if the
patient's research consent is granted (REGISTRY_CONSENT_REQUIRED_FOR_RESEARCH), and a
radiograph-bound row (radiographs, their findings, lesions, tracks and DICOM files) only if the
radiographs scope is granted too. A model says how its rows reach their patient with
``access_patient_path`` and which scope they need with ``access_consent_scope``; a model with
``access_research = False`` (the consent rows themselves) is never read by researchers. The
state is the one :mod:`consent.services` stores, looked up by name (``apps.get_model``) so that
accounts does not import consent. Patients with no consent record at all count as allowed or
not by REGISTRY_CONSENT_NOT_RECORDED_RESEARCH.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q
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


RESEARCH = "research"
RADIOGRAPHS = "radiographs"
GRANTED = "granted"


def consent_scopes_of(model: type[models.Model]) -> tuple[str | None, frozenset[str]]:
    """How ``model``'s rows reach their patient, and the consent scopes a researcher needs."""
    live = getattr(model, "instance_type", model)
    path = getattr(live, "access_patient_path", None)
    if path is None:
        return None, frozenset()
    return path, frozenset({RESEARCH, getattr(live, "access_consent_scope", RESEARCH)})


def consent_q(path: str, scopes: frozenset[str]) -> Q:
    """Rows whose patient (at ``path``) has each of ``scopes`` granted (patients without any
    consent record: as REGISTRY_CONSENT_NOT_RECORDED_RESEARCH says). Read at every call, so a
    withdrawal counts from the next query on."""
    state = apps.get_model("consent", "PatientConsentState")
    record = apps.get_model("consent", "ConsentRecord")
    withdrawal = apps.get_model("consent", "ConsentWithdrawal")
    query = Q(**{f"{path}__isnull": False})
    for scope in sorted(scopes):
        granted = state.objects.filter(scope=scope, state=GRANTED).values("patient_id")
        query &= Q(**{f"{path}__in": granted})
    if settings.REGISTRY_CONSENT_NOT_RECORDED_RESEARCH:
        unrecorded = (
            Q(**{f"{path}__isnull": False})
            & ~Q(**{f"{path}__in": record.objects.values("patient_id")})
            & ~Q(**{f"{path}__in": withdrawal.objects.values("patient_id")})
        )
        query |= unrecorded
    return query


def consent_sql(column: str, scopes: frozenset[str]) -> str:
    """:func:`consent_q` as an SQL condition on ``column`` (a patient id) for the exports'
    raw SQL; the scopes and states are fixed names, never user input."""
    state = apps.get_model("consent", "PatientConsentState")._meta.db_table
    record = apps.get_model("consent", "ConsentRecord")._meta.db_table
    withdrawal = apps.get_model("consent", "ConsentWithdrawal")._meta.db_table
    parts = [
        f"{column} IN (SELECT patient_id FROM {state} WHERE scope = '{scope}' "
        f"AND state = '{GRANTED}')"
        for scope in sorted(scopes)
    ]
    condition = " AND ".join(parts)
    if settings.REGISTRY_CONSENT_NOT_RECORDED_RESEARCH:
        condition = (
            f"({condition}) OR ({column} NOT IN (SELECT patient_id FROM {record}) "
            f"AND {column} NOT IN (SELECT patient_id FROM {withdrawal}))"
        )
    return f"({condition})"


def research_consented(queryset: models.QuerySet, scope: str | None = None) -> models.QuerySet:
    """The rows researchers may read by consent (the model's scopes, plus ``scope``); every row
    when REGISTRY_CONSENT_REQUIRED_FOR_RESEARCH is off. For jobs that act for a researcher
    (exports); requests go through :func:`restrict`."""
    path, scopes = consent_scopes_of(queryset.model)
    if path is None:
        return queryset
    if not settings.REGISTRY_CONSENT_REQUIRED_FOR_RESEARCH:
        return queryset
    return queryset.filter(consent_q(path, scopes | ({scope} if scope else set())))


def restrict_to_scope(queryset: models.QuerySet, user, scope: str) -> models.QuerySet:
    """For a researcher, only the rows whose patient also granted ``scope`` (e.g. cohort
    statistics computed from radiograph measurements need ``radiographs``)."""
    if not access_of(user).research:
        return queryset
    if consent_scopes_of(queryset.model)[0] is None:
        raise LookupError(f"{queryset.model.__name__} has no access_patient_path.")
    return research_consented(queryset, scope)


def _research_rows(queryset: models.QuerySet) -> models.QuerySet:
    live = getattr(queryset.model, "instance_type", queryset.model)
    if not getattr(live, "access_research", True):
        return queryset.none()
    return research_consented(queryset)


def restrict(queryset: models.QuerySet, user, action: Action = Action.VIEW) -> models.QuerySet:
    """The rows of ``queryset`` that ``user`` may reach for ``action``."""
    access = access_of(user)
    if not access.any and not access.administers:
        return queryset.none()
    ids = access.center_ids(action)
    if access.research and action == Action.VIEW:
        queryset = _research_rows(queryset)
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
