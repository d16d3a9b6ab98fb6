"""The exports page: request a pseudonymized export (the API's service,
:func:`exports.services.export_request`), follow its progress, download it, read its manifest.

Clinicians export their centers; researchers every center under the research rules (consent,
allow-list, cell size), all decided by the service. A person sees only their own exports
(superusers too, here: the API lists everyone's for them); anyone else's is 404.
"""

from __future__ import annotations

import json
import zipfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from accounts.access import access_of, restrict_owned
from clinic.access import any_role_required
from clinic.exports_form import ExportRequestForm
from exports import services
from exports.models import ExportJob

REQUESTED = "Export {id} requested: it is being written. This page shows its progress."
RECENT = 50  # past exports listed on the page
MANIFEST = "manifest.json"


def own_exports(user) -> QuerySet[ExportJob]:
    """The person's own export jobs, newest first (a superuser's own too: the rule of the API
    would list everyone's)."""
    return restrict_owned(ExportJob.objects.all(), user, "requested_by").filter(
        requested_by=user
    ).order_by("-created_at", "-id")


@any_role_required
def exports_page(request):
    research = access_of(request.user).research
    form = ExportRequestForm(request.POST or None, user=request.user, research=research)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.export_request(user=request.user, **form.request())
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, REQUESTED.format(id=job.pk))
            return redirect("clinic:export-detail", pk=job.pk)
    jobs = list(own_exports(request.user)[:RECENT])
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "clinic/exports.html",
        {
            "form": form,
            "jobs": jobs,
            "research": research,
            "running": any(not job.is_finished for job in jobs),
        },
        status=status,
    )


def manifest_of(job: ExportJob) -> dict | None:
    """The manifest inside the finished zip (None once it expired or before it exists)."""
    if job.status != ExportJob.Status.SUCCEEDED or not job.file:
        return None
    try:
        with job.file.open("rb") as handle, zipfile.ZipFile(handle) as archive:
            return json.loads(archive.read(MANIFEST))
    except (OSError, KeyError, zipfile.BadZipFile, ValueError):
        return None


@any_role_required
def export_detail(request, pk: int):
    job = get_object_or_404(own_exports(request.user), pk=pk)
    if job.status == ExportJob.Status.SUCCEEDED and job.expires_at <= timezone.now():
        services.export_expire(job=job)  # due: say so now rather than at download
        job.refresh_from_db()
    return render(
        request,
        "clinic/exports_detail.html",
        {"job": job, "manifest": manifest_of(job), "running": not job.is_finished},
    )
