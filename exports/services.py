"""Export jobs: request, run, download, expire; and the import service the API and CLI call.

Who may export (the same rule as the API's modes, :mod:`api.access`): clinicians and center
admins export their own centers; researchers every center; superusers every center. Every
export is pseudonymized, whoever asks: it never holds a direct identifier.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from accounts.models import Center, Membership
from exports.imports import ImportReport, import_cohort
from exports.jobs import IllegalJobMove, Status, job_move, job_progress
from exports.models import DateMode, ExportJob, Format
from exports.package import file_sha256
from exports.runner import ExportSpec, export_to_zip
from exports.selection import row_estimate, selected_patients
from exports.tabular import XLSX_TOO_LARGE, XlsxTooLarge
from exports.wide import WIDE_LEVELS, WIDE_NOT_AVAILABLE
from progression.rules import rules_with

logger = logging.getLogger(__name__)

NO_ROLE = "Your account has no role in any center."
FHIR_NEEDS_DATES = "FHIR resources need calendar dates: choose the keep or shift date mode."
NOT_YOUR_CENTER = "You can import only into a center where you are a clinician or center admin."
CENTER_REQUIRED = "Choose the center to import into (you belong to several)."
TRANSIENT = (OperationalError, InterfaceError)
CLINICAL_ROLES = (Membership.Role.CLINICIAN, Membership.Role.CENTER_ADMIN)
STALLED_AFTER = timedelta(minutes=10)


class ExportNotReady(Exception):
    """The job has no file yet (pending, running or failed)."""


class ExportGone(Exception):
    """The job's file expired and was deleted."""


def export_scope(user) -> list[int] | None:
    """Centers ``user`` may export: their clinical centers, or None for every center
    (researchers, superusers). PermissionDenied without any role. A researcher role elsewhere
    does not widen a clinician's scope (as in the API)."""
    if user.is_superuser:
        return None
    roles = list(Membership.objects.filter(user=user).values_list("center_id", "role"))
    clinical = sorted({center for center, role in roles if role in CLINICAL_ROLES})
    if clinical:
        return clinical
    if any(role == Membership.Role.RESEARCHER for _center, role in roles):
        return None
    raise PermissionDenied(NO_ROLE)


def export_check(spec: ExportSpec) -> None:
    """ValidationError naming the field when the request cannot produce an export."""
    if spec.format == Format.CSV_WIDE and spec.level not in WIDE_LEVELS:
        raise ValidationError({"format": [WIDE_NOT_AVAILABLE.format(level=spec.level)]})
    if spec.format == Format.FHIR and spec.date_mode == DateMode.RELATIVE:
        raise ValidationError({"date_mode": [FHIR_NEEDS_DATES]})
    try:
        rules_with(spec.rules)
    except (ValueError, TypeError) as error:
        raise ValidationError({"rules": [str(error)]}) from error
    try:
        patients = selected_patients(filters=spec.filters, center_ids=spec.center_ids)
    except ValidationError as error:
        raise ValidationError(
            {f"filters.{name}": messages for name, messages in error.message_dict.items()}
        ) from error
    if spec.format == Format.XLSX:
        limit = settings.REGISTRY_EXPORT_XLSX_MAX_ROWS
        rows = row_estimate(patients, spec.level)
        if rows > limit:
            raise ValidationError({"format": [XLSX_TOO_LARGE.format(rows=rows, limit=limit)]})


def _enqueue(job_id: int) -> None:
    from exports.tasks import run_export

    try:
        run_export.apply_async((job_id,))
    except BrokerError as error:  # the sweep queues it again
        logger.warning("export job %s not queued (broker: %s)", job_id, type(error).__name__)


@transaction.atomic
def export_request(
    *,
    user,
    level: str,
    format: str,
    date_mode: str = DateMode.SHIFT,
    filters: dict[str, Any] | None = None,
    project_key: str = "",
    rules: dict[str, Any] | None = None,
) -> ExportJob:
    """Check and record an export request, queued after commit (in-process without a broker)."""
    spec = ExportSpec(
        level=level,
        format=format,
        date_mode=date_mode,
        filters=dict(filters or {}),
        center_ids=export_scope(user),
        project_key=project_key,
        rules=dict(rules or {}),
    )
    export_check(spec)
    job = ExportJob.objects.create(
        requested_by=user,
        level=level,
        format=format,
        date_mode=date_mode,
        filters=spec.filters,
        center_ids=spec.center_ids,
        project_key=project_key,
        rules=rules_with(spec.rules).as_dict(),
    )
    transaction.on_commit(lambda: _enqueue(job.pk), robust=True)
    return job


def spec_of(job: ExportJob) -> ExportSpec:
    return ExportSpec(
        level=job.level,
        format=job.format,
        date_mode=job.date_mode,
        filters=job.filters,
        center_ids=job.center_ids,
        project_key=job.project_key,
        rules=job.rules,
    )


def export_run(*, job_id: int) -> None:
    """Write the job's export and store it; a refused request fails the job with its reason.
    Transient database errors propagate (the task retries; the job stays running)."""
    job = ExportJob.objects.get(pk=job_id)
    if job.is_finished:
        return
    job_move(job_id, Status.RUNNING, done=0)
    every = settings.REGISTRY_EXPORT_PROGRESS_ROWS
    last = {"done": 0}

    def on_progress(done: int, total: int) -> None:
        if done - last["done"] >= every or done == 0:
            last["done"] = done
            job_progress(job_id, done=done, total=total)

    with tempfile.TemporaryDirectory(prefix="registry-export-") as workdir:
        path = Path(workdir) / f"export-{job_id}.zip"
        try:
            result = export_to_zip(spec_of(job), path, on_progress=on_progress)
        except TRANSIENT:
            raise
        except (ValidationError, XlsxTooLarge, PermissionDenied) as error:
            export_fail(job_id=job_id, error=_message(error))
            return
        except Exception as error:
            export_fail(job_id=job_id, error=f"{type(error).__name__}: {error}")
            raise
        _store(job, path, result.row_counts)


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    return str(error)


def _store(job: ExportJob, path: Path, row_counts: dict[str, int]) -> None:
    name = f"exports/{job.pk}-{job.level}-{job.format}-{secrets.token_hex(8)}.zip"
    with open(path, "rb") as handle:
        stored = ExportJob._meta.get_field("file").storage.save(name, File(handle))
    rows = sum(row_counts.values())
    try:
        job_move(
            job.pk,
            Status.SUCCEEDED,
            file=stored,
            size_bytes=path.stat().st_size,
            checksum=file_sha256(path),
            row_counts=row_counts,
            done=rows,
            total=rows,
            expires_at=timezone.now() + timedelta(hours=settings.REGISTRY_EXPORT_EXPIRY_HOURS),
        )
    except IllegalJobMove:  # another run of the job finished first: keep its file, not ours
        ExportJob._meta.get_field("file").storage.delete(stored)


def export_fail(*, job_id: int, error: str) -> None:
    """Mark the job failed with ``error`` unless it is already over."""
    with contextlib.suppress(IllegalJobMove):
        job_move(job_id, Status.FAILED, error=error[:4000])


def export_file(*, job: ExportJob):
    """The finished file, opened; ExportGone once expired (expiring it now if due),
    ExportNotReady before it succeeded."""
    if job.status == Status.SUCCEEDED and job.expires_at and job.expires_at <= timezone.now():
        export_expire(job=job)
        job.refresh_from_db()
    if job.status == Status.EXPIRED:
        raise ExportGone()
    if job.status != Status.SUCCEEDED:
        raise ExportNotReady()
    return job.file.open("rb")


def export_expire(*, job: ExportJob) -> None:
    """Delete the file and mark the job expired (a finished job only)."""
    name = job.file.name
    try:
        job_move(job.pk, Status.EXPIRED, file="")
    except IllegalJobMove:
        return
    if name:
        job.file.storage.delete(name)


def export_sweep() -> dict[str, int]:
    """Expire due jobs and queue again pending jobs whose task was lost (broker down)."""
    now = timezone.now()
    due = ExportJob.objects.filter(
        Q(status=Status.SUCCEEDED, expires_at__lte=now)
        | Q(status=Status.FAILED, finished_at__lte=now - timedelta(
            hours=settings.REGISTRY_EXPORT_EXPIRY_HOURS))
    )
    expired = 0
    for job in due.iterator():
        export_expire(job=job)
        expired += 1
    stalled = ExportJob.objects.filter(status=Status.PENDING, created_at__lte=now - STALLED_AFTER)
    requeued = 0
    for job_id in stalled.values_list("pk", flat=True):
        _enqueue(job_id)
        requeued += 1
    return {"expired": expired, "requeued": requeued}


def import_center(*, user, code: str | None) -> Center:
    """The center ``user`` imports into: the one named (theirs), or their only clinical one."""
    if user.is_superuser:
        centers = Center.objects.all()
    else:
        centers = Center.objects.filter(
            memberships__user=user, memberships__role__in=CLINICAL_ROLES
        ).distinct()
    if code:
        center = centers.filter(code=code).first()
        if center is None:
            raise ValidationError({"center": [NOT_YOUR_CENTER]})
        return center
    mine = list(centers[:2])
    if len(mine) == 1 and not user.is_superuser:
        return mine[0]
    raise ValidationError({"center": [CENTER_REQUIRED if mine else NOT_YOUR_CENTER]})


def import_run(*, data: bytes, center: Center, commit: bool) -> ImportReport:
    return import_cohort(
        data=data, center=center, commit=commit, max_rows=settings.REGISTRY_IMPORT_MAX_ROWS
    )

