"""The clinic home: each role's first page, also where a sign-in lands (clinic.auth)."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from accounts.access import access_of


def home_url(user) -> str:
    """Clinicians (and superusers): the patient list; researchers: the cohort page, or their
    exports while there is no cohort page; no role: the home, which says so."""
    access = access_of(user)
    if access.clinical:
        return reverse("clinic:patient-list")
    if not access.any:
        return reverse("clinic:home")
    try:
        return reverse("clinic:cohort")
    except NoReverseMatch:
        return reverse("clinic:exports")


def home(request):
    if not request.user.is_authenticated:
        return redirect("clinic:login")
    if not access_of(request.user).any:
        return render(request, "clinic/no_center.html", status=403)
    return redirect(home_url(request.user))
