"""Export jobs (a research dataset being written, then downloadable until it expires) and the
natural keys of imported records (so re-importing a file creates no duplicates)."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q

from patients.models import Patient
from registry.jobs import Job


def export_storage() -> Storage:
    """The storage of finished exports (a callable, so the FileField resolves the alias late)."""
    return storages[settings.REGISTRY_EXPORT_STORAGE]


class Level(models.TextChoices):
    """What one row of an export is (the FHIR format always holds every resource type).
    ``all``: every level as its own file in one package, with one patient map, so the files
    share pseudonyms and date offsets and join on ``patient`` (issue #16)."""

    PATIENTS = "patients", "Patients"
    VISITS = "visits", "Visits"
    TREATMENTS = "treatments", "Calcinosis treatments"
    RADIOGRAPHS = "radiographs", "Radiographs"
    FINDINGS = "findings", "Radiographic findings"
    LESIONS = "lesions", "Calcinosis lesions"
    PROGRESSION = "progression_timepoints", "Progression timepoints (per region series)"
    ALL = "all", "Every level, one package (files join on the patient pseudonym)"


# The levels of a package, in the order its files are written (and listed in the dictionary).
SINGLE_LEVELS = [level for level in Level if level != Level.ALL]


def levels_of(level: str) -> list[str]:
    """The single levels an export of ``level`` writes."""
    return list(SINGLE_LEVELS) if level == Level.ALL else [level]


class Format(models.TextChoices):
    CSV = "csv", "CSV, long (one row per record)"
    CSV_WIDE = "csv_wide", "CSV, wide (one row per patient and timepoint)"
    PARQUET = "parquet", "Parquet (typed columns)"
    XLSX = "xlsx", "Excel workbook (small cohorts)"
    FHIR = "fhir_ndjson", "FHIR R4 Bulk Data NDJSON"
    SPSS = "sav", "SPSS (.sav, labelled)"
    STATA = "dta", "Stata (.dta, labelled)"


# What each format is, for the API, the exports page and export_cohort.
FORMAT_HELP = (
    "csv: one row per record (the import reads it back); csv_wide: one row per patient and "
    "timepoint (visits, progression_timepoints); parquet: typed columns; xlsx: a workbook with "
    "the dictionary as a second sheet, for small cohorts; sav and dta: SPSS and Stata files with "
    "variable labels (units included), value labels for every category, dates as dates "
    "(the data dictionary lists the codes, and each variable's name in the file: Stata names "
    "past 29 characters are shortened); fhir_ndjson: FHIR R4 Bulk Data, every resource type "
    "whatever the level."
)


class DateMode(models.TextChoices):
    """How dates leave the registry (exports.pseudonyms)."""

    KEEP = "keep", "Kept as recorded (birth date as year)"
    SHIFT = "shift", "Shifted by a random offset per patient (intervals exact)"
    RELATIVE = "relative", "Days since the first non-Raynaud manifestation"


# The job statuses, and expired: the file was deleted.
ExportStatus = models.TextChoices(
    "ExportStatus",
    [(status.name, (status.value, status.label)) for status in Job.Status]
    + [("EXPIRED", ("expired", "Expired (file deleted)"))],
)


class ExportJob(Job):
    """One requested export: what was asked (filters, level, format, date mode, rules), its
    progress, and the finished zip in the export storage until ``expires_at``.

    Only the requesting user (and superusers) may see it. Status moves only through
    :mod:`exports.jobs` (conditional updates that refuse illegal moves). The project key, when
    given, makes pseudonyms and date offsets reproducible across the project's exports; it is
    never shown again.
    """

    Status = ExportStatus
    ALLOWED_MOVES = {
        **Job.ALLOWED_MOVES,
        Status.SUCCEEDED: {Status.EXPIRED},
        Status.FAILED: {Status.EXPIRED},
        Status.EXPIRED: set(),
    }
    task = "exports.tasks.run_export"
    fail = "exports.services.export_fail"
    scratch_prefix = "registry-export-"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    level = models.CharField(max_length=24, choices=Level.choices)
    format = models.CharField(max_length=12, choices=Format.choices)
    date_mode = models.CharField(max_length=8, choices=DateMode.choices, default=DateMode.SHIFT)
    filters = models.JSONField(
        default=dict, blank=True, help_text="The patient list's filters, as the request gave them."
    )
    center_ids = models.JSONField(
        null=True,
        blank=True,
        help_text="Centers the requester may export (clinicians); null: every center.",
    )
    project_key = models.CharField(max_length=200, blank=True, default="")
    # Fixed when requested: a run must not turn a research export into an unrestricted one
    # because the requester's roles changed meanwhile (review finding).
    research = models.BooleanField(
        default=False,
        help_text="Requested as a researcher: consent, allow-list and cell-size rules apply.",
    )
    rules = models.JSONField(default=dict, blank=True, help_text="Progression rules used.")
    generalize = models.BooleanField(
        default=False,
        help_text="Generalize the quasi-identifiers until every patient shares them with at "
        "least REGISTRY_EXPORT_K_ANONYMITY - 1 others, then suppress those still below "
        "(exports.disclosure).",
    )
    file = models.FileField(storage=export_storage, max_length=200, blank=True, default="")
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    checksum = models.CharField("SHA-256 of the file", max_length=64, blank=True, default="")
    row_counts = models.JSONField(default=dict, blank=True, help_text="Rows per data file.")
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ExportStatus.values), name="export_job_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(level__in=Level.values), name="export_job_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(format__in=Format.values), name="export_job_format_valid"
            ),
            models.CheckConstraint(
                condition=Q(date_mode__in=DateMode.values), name="export_job_date_mode_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=ExportStatus.SUCCEEDED)
                | (~Q(file="") & Q(expires_at__isnull=False)),
                name="export_job_succeeded_has_file",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"export {self.pk}: {self.level} {self.format} {self.status}"


class ImportedRecord(models.Model):
    """The key an import file gave a radiograph, lesion or track of a patient (its
    ``radiograph_number``, ``radiograph_number.lesion_number`` or ``track_number``), and the row
    it became. Radiographs and lesions have no natural key in the registry; this is what makes a
    re-import update the same rows instead of adding new ones."""

    class Kind(models.TextChoices):
        RADIOGRAPH = "radiograph", "Radiograph"
        LESION = "lesion", "Lesion"
        TRACK = "track", "Lesion track"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "kind", "key"], name="imported_record_unique_key"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["radiograph", "lesion", "track"]),
                name="imported_record_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} of patient {self.patient_id}"
