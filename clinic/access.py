"""Who may use the clinic web app, and which patients they see (their clinical centers)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.scoping import clinical_centers
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
        if not (request.user.is_superuser or clinical_centers(request.user).exists()):
            raise PermissionDenied(NOT_CLINICAL)
        return view(request, *args, **kwargs)

    return wrapper


def patients_for(user) -> QuerySet[Patient]:
    if user.is_superuser:
        return Patient.objects.all()
    return Patient.objects.filter(center__in=clinical_centers(user))


def patient_or_404(user, pk: int) -> Patient:
    """Another center's patient does not exist here: 404, exactly like an unknown id."""
    return get_object_or_404(patients_for(user).select_related("center"), pk=pk)
