"""Export jobs: request, run, download, expire; and the import service the API and CLI call.

Who may export (the one access rule, :mod:`accounts.access`): clinicians and center
admins export their own centers; researchers every center; superusers every center. Every
export is pseudonymized, whoever asks: it never holds a direct identifier.
"""

from __future__ import annotations

import contextlib
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from access_log.models import AccessKind
from access_log.services import access_log_record
from accounts.access import CENTER_REQUIRED as ONE_OF_SEVERAL
from accounts.access import Action, access_of, only_center, restrict
from accounts.models import Center
from erasure.models import ErasureTombstone
from exports.formats.labelled import LABELLED_TOO_LARGE, LabelledTooLarge
from exports.formats.tabular import XLSX_TOO_LARGE, XlsxTooLarge
from exports.formats.wide import WIDE_LEVELS, WIDE_NOT_AVAILABLE
from exports.imports.cohort import ImportReport, import_cohort
from exports.imports.rows import NOT_IMPORTED, export_only_level, header_of
from exports.jobs import IllegalJobMove, Status, job_move, job_progress
from exports.models import DateMode, ExportJob, Format, Level, levels_of
from exports.package import file_sha256
from exports.runner import ExportSpec, export_to_zip
from exports.selection import row_estimate, selected_patients
from progression.registry_rules import rules_with
from registry.enqueue import enqueue
from registry.jobs import heartbeat

NO_ROLE = "Your account has no role in any center."
ACCESS_CHANGED = (
    "The requester's access changed after the request (a role removed or the account "
    "disabled): request the export again."
)
ERASED_MEANWHILE = (
    "A patient of this export's centers was erased while it was written: request it again."
)
# Researchers read real visit dates through the API: a birth date shifted (or made relative)
# with the other dates would be recovered exactly from one of them (security review).
RESEARCH_DATES_AS_RECORDED = (
    "Researchers export dates as recorded (keep), with the birth date as its year: the API "
    "already shows them the real dates, and a shifted birth date could be recovered from them."
)
PACKAGE_NOT_WIDE = (
    "Every level in one package is written long (one row per record, the files joining on "
    "the patient pseudonym): choose CSV long, Parquet, XLSX or FHIR."
)
RESEARCH_GENERALIZED = (
    "Researchers' exports are generalized until every patient shares their quasi-identifiers "
    "with at least K - 1 others (REGISTRY_EXPORT_RESEARCH_GENERALIZE): leave generalize out or "
    "set it to true."
)
FHIR_NEEDS_DATES = "FHIR resources need calendar dates: choose the keep or shift date mode."
NOT_YOUR_CENTER = "You can import only into a center where you are a clinician or center admin."
CENTER_REQUIRED = "Choose the center to import into (you belong to several)."
TOO_FEW_PATIENTS = (
    "This selection holds fewer than {limit} patients (REGISTRY_MIN_CELL_SIZE): researchers "
    "export cohorts of at least that many."
)
TRANSIENT = (OperationalError, InterfaceError)


class ExportNotReady(Exception):
    """The job has no file yet (pending, running or failed)."""


class ExportGone(Exception):
    """The job's file expired and was deleted."""


def export_scope(user) -> list[int] | None:
    """Centers ``user`` may export (the view rule of :mod:`accounts.access`): their clinical
    centers, or None for every center (researchers, superusers). PermissionDenied without a
    role."""
    access = access_of(user)
    if not access.any:
        raise PermissionDenied(NO_ROLE)
    ids = access.center_ids(Action.VIEW)
    return None if ids is None else sorted(ids)


def export_check(spec: ExportSpec, *, research: bool = False) -> None:
    """ValidationError naming the field when the request cannot produce an export; a
    researcher's filters must be on the research allow-list and select at least
    REGISTRY_MIN_CELL_SIZE patients (security review, issue #12, finding 2)."""
    if spec.format == Format.CSV_WIDE and spec.level == Level.ALL:
        raise ValidationError({"format": [PACKAGE_NOT_WIDE]})
    if spec.format == Format.CSV_WIDE and spec.level not in WIDE_LEVELS:
        raise ValidationError({"format": [WIDE_NOT_AVAILABLE.format(level=spec.level)]})
    if spec.format == Format.FHIR and spec.date_mode == DateMode.RELATIVE:
        raise ValidationError({"date_mode": [FHIR_NEEDS_DATES]})
    if research and spec.date_mode != DateMode.KEEP:
        raise ValidationError({"date_mode": [RESEARCH_DATES_AS_RECORDED]})
    try:
        rules_with(spec.rules)
    except (ValueError, TypeError) as error:
        raise ValidationError({"rules": [str(error)]}) from error
    try:
        patients = selected_patients(
            filters=spec.filters, center_ids=spec.center_ids, research=research
        )
    except ValidationError as error:
        raise ValidationError(
            {f"filters.{name}": messages for name, messages in error.message_dict.items()}
        ) from error
    limit = settings.REGISTRY_MIN_CELL_SIZE
    if research and patients.count() < limit:
        raise ValidationError({"filters": [TOO_FEW_PATIENTS.format(limit=limit)]})
    row_limits = {
        Format.XLSX: (settings.REGISTRY_EXPORT_XLSX_MAX_ROWS, XLSX_TOO_LARGE),
        Format.SPSS: (settings.REGISTRY_EXPORT_LABELLED_MAX_ROWS, LABELLED_TOO_LARGE),
        Format.STATA: (settings.REGISTRY_EXPORT_LABELLED_MAX_ROWS, LABELLED_TOO_LARGE),
    }
    if spec.format in row_limits:
        limit, message = row_limits[spec.format]
        # One file per level: the largest must fit.
        rows = max(row_estimate(patients, level) for level in levels_of(spec.level))
        if rows > limit:
            raise ValidationError({"format": [message.format(rows=rows, limit=limit)]})


def _enqueue(job_id: int) -> None:
    # If the broker is down, the job sweep queues it again.
    enqueue("exports.tasks.run_export", (job_id,))


@transaction.atomic
def export_request(
    *,
    user,
    level: str,
    format: str,
    date_mode: str | None = None,
    filters: dict[str, Any] | None = None,
    project_key: str = "",
    rules: dict[str, Any] | None = None,
    generalize: bool | None = None,
) -> ExportJob:
    """Check and record an export request, queued after commit (in-process without a broker).
    ``generalize`` None: no, except for researchers while REGISTRY_EXPORT_RESEARCH_GENERALIZE
    is on, who cannot turn it off (exports.disclosure: a researcher's generalized export may
    leave with relative dates, its birth then a band, though a researcher cannot ask for
    them)."""
    research = access_of(user).research
    if date_mode is None:  # researchers: dates as the API shows them; others: shifted
        date_mode = DateMode.KEEP if research else DateMode.SHIFT
    required = research and settings.REGISTRY_EXPORT_RESEARCH_GENERALIZE
    if required and generalize is False:  # the recipient may not lift the protection
        raise ValidationError({"generalize": [RESEARCH_GENERALIZED]})
    if generalize is None:
        generalize = required
    spec = ExportSpec(
        level=level,
        format=format,
        date_mode=date_mode,
        filters=dict(filters or {}),
        center_ids=export_scope(user),
        project_key=project_key,
        rules=dict(rules or {}),
        research=research,
        generalize=generalize,
    )
    export_check(spec, research=spec.research)
    job = ExportJob.objects.create(
        requested_by=user,
        level=level,
        format=format,
        date_mode=date_mode,
        filters=spec.filters,
        center_ids=spec.center_ids,
        project_key=project_key,
        research=spec.research,
        rules=rules_with(spec.rules).as_dict(),
        generalize=generalize,
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
        research=job.research,
        generalize=job.generalize,
    )


def requester_still_allowed(job: ExportJob) -> bool:
    """The requester may still make this export: a research job needs the research role, a
    clinical one every center it names (access is read again when the job runs)."""
    access = access_of(job.requested_by)
    if job.research:
        return access.research
    if not access.clinical:
        return False
    ids = access.center_ids(Action.VIEW)
    return ids is None or (job.center_ids is not None and set(job.center_ids) <= ids)


def export_run(*, job_id: int) -> None:
    """Write the job's export and store it; a refused request fails the job with its reason.
    A duplicate task of a job whose run is alive does nothing. Transient database errors
    propagate (the task retries) and hand the job back (pending) for the retry to take."""
    job = ExportJob.objects.get(pk=job_id)
    if job.is_finished:
        return
    try:
        job_move(job_id, Status.RUNNING, done=0)
    except IllegalJobMove:  # finished meanwhile, or another run holds it and is alive
        return
    job.refresh_from_db(fields=["started_at"])  # erasures after this may be in the file
    every = settings.REGISTRY_EXPORT_PROGRESS_ROWS
    last = {"done": 0}

    def on_progress(done: int, total: int) -> None:
        if done - last["done"] >= every or done == 0:
            last["done"] = done
            job_progress(job_id, done=done, total=total)

    with heartbeat(ExportJob, job_id), ExportJob.scratch_dir(job_id) as workdir:
        path = Path(workdir) / f"export-{job_id}.zip"
        try:
            if not requester_still_allowed(job):
                raise PermissionDenied(ACCESS_CHANGED)
            if job.research:  # the cohort may have shrunk since
                export_check(spec_of(job), research=True)
            result = export_to_zip(spec_of(job), path, on_progress=on_progress)
        except TRANSIENT:
            with contextlib.suppress(IllegalJobMove, *TRANSIENT):
                job_move(job_id, Status.PENDING)
            raise
        except (ValidationError, XlsxTooLarge, LabelledTooLarge, PermissionDenied) as error:
            export_fail(job_id=job_id, error=_message(error))
            return
        except Exception as error:
            export_fail(job_id=job_id, error=f"{type(error).__name__}: {error}")
            raise
        _store(job, path, result.row_counts, patients=result.patients)


def erased_since(job: ExportJob) -> bool:
    """A patient of the job's centers was erased after the job started: the file it is about
    to store may hold them, and erasure removes only the files finished before it."""
    tombstones = ErasureTombstone.objects.filter(erased_at__gte=job.started_at or job.created_at)
    if job.center_ids is not None:
        tombstones = tombstones.filter(center_id__in=job.center_ids)
    return tombstones.exists()


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    return str(error)


def _store(job: ExportJob, path: Path, row_counts: dict[str, int], *, patients: int) -> None:
    """Store the file, mark the job succeeded and log the export (its patient count and
    checksum: the file is pseudonymized, its patients are not listed)."""
    if erased_since(job):
        export_fail(job_id=job.pk, error=ERASED_MEANWHILE)
        return
    name = f"exports/{job.pk}-{job.level}-{job.format}-{secrets.token_hex(8)}.zip"
    with open(path, "rb") as handle:
        stored = ExportJob._meta.get_field("file").storage.save(name, File(handle))
    rows = sum(row_counts.values())
    checksum = file_sha256(path)
    try:
        job_move(
            job.pk,
            Status.SUCCEEDED,
            file=stored,
            size_bytes=path.stat().st_size,
            checksum=checksum,
            row_counts=row_counts,
            done=rows,
            total=rows,
            expires_at=timezone.now() + timedelta(hours=settings.REGISTRY_EXPORT_EXPIRY_HOURS),
        )
    except IllegalJobMove:  # another run of the job finished first: keep its file, not ours
        ExportJob._meta.get_field("file").storage.delete(stored)
        return
    access_log_record(
        user=job.requested_by,
        kind=AccessKind.EXPORT_PRODUCED,
        route="exports.tasks.run_export",
        object_id=job.pk,
        patient_count=patients,
        checksum=checksum,
    )


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
    """Expire due jobs (jobs whose task was lost or whose worker stopped:
    :mod:`registry.job_sweep`)."""
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
    return {"expired": expired}


def import_center(*, user, code: str | None) -> Center:
    """The center ``user`` imports into: the one named (one they may change), or their only
    clinical one."""
    if code:
        center = restrict(Center.objects.filter(code=code), user, Action.CHANGE).first()
        if center is None:
            raise ValidationError({"center": [NOT_YOUR_CENTER]})
        return center
    try:
        return only_center(user, Action.CHANGE)
    except ValueError as error:
        message = CENTER_REQUIRED if str(error) == ONE_OF_SEVERAL else NOT_YOUR_CENTER
        raise ValidationError({"center": [message]}) from error


def import_run(*, data: bytes, center: Center, commit: bool) -> ImportReport:
    """The import's report; ValidationError naming ``file`` when it is an exported level the
    import does not read (treatments, findings): refused whole, not row by row."""
    level = export_only_level(header_of(data))
    if level:
        raise ValidationError({"file": [NOT_IMPORTED.format(level=level)]})
    return import_cohort(
        data=data, center=center, commit=commit, max_rows=settings.REGISTRY_IMPORT_MAX_ROWS
    )

