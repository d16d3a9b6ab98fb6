"""Who may use the clinic web app; the patients they see come through the one access rule."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import render

from accounts.access import Action, access_of, get_restricted_or_404
from patients.models import Patient

NOT_CLINICAL = (
    "The clinic app is for clinicians and center admins. Researchers use the API and the "
    "pseudonymized exports."
)


def clinical_required(view):
    """Logged in, with a clinical role in at least one center (superusers too)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        access = access_of(request.user)
        if not access.any:
            # An account with no center yet (e.g. created at its first single sign-on).
            return render(request, "clinic/no_center.html", status=403)
        if not access.clinical:
            raise PermissionDenied(NOT_CLINICAL)
        return view(request, *args, **kwargs)

    return wrapper


def any_role_required(view):
    """Logged in, with any role in a center (researchers too): the cohort and exports pages.

    What each role then sees comes from the one access rule (research rows pseudonymized)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not access_of(request.user).any:
            return render(request, "clinic/no_center.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def patients_for(user) -> QuerySet[Patient]:
    """The clinic works on identifiable records: the patients the user may change."""
    return Patient.objects.restrict(user, Action.CHANGE)


def patient_or_404(user, pk: int) -> Patient:
    """Another center's patient does not exist here: 404, exactly like an unknown id."""
    return get_restricted_or_404(
        Patient.objects.select_related("center"), user, Action.CHANGE, pk=pk
    )
