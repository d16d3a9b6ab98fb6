"""The access log: who read which patients' data, when, how and from where (issue 15).

One :class:`AccessLogEntry` per read by a person (an API request, a clinic page, a file
download, an export), not one per patient; the patients it returned are rows of
:class:`AccessedPatient`. A child table rather than an array column because "who looked at this
patient" must be one indexed lookup on PostgreSQL *and* SQLite (an ``ArrayField`` with a GIN
index exists only on PostgreSQL), and because erasing one patient is then a plain ``DELETE ...
WHERE patient_id = %s``. ``patient_id`` is a plain integer, not a foreign key: deleting a patient
the ordinary way must not rewrite (or cascade into) the log; only erasure removes a patient from
it (:func:`access_log.services.access_log_erase_patient`).

No patient identifier other than the patient's primary key is stored: no URL, no query string
(both may carry a local id or a name), only the route's name and the object's key.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AccessKind(models.TextChoices):
    """What was read (the kind of request or file)."""

    API_LIST = "api_list", "API list"
    API_DETAIL = "api_detail", "API record"
    API_HISTORY = "api_history", "API audit history of a record"
    CLINIC_PATIENT_LIST = "clinic_patient_list", "Clinic patient list"
    CLINIC_PATIENT = "clinic_patient", "Clinic patient page"
    CLINIC_VIEWER = "clinic_viewer", "Clinic radiograph viewer"
    CLINIC_COHORT = "clinic_cohort", "Clinic cohort page (counts only)"
    DICOM_DOWNLOAD = "dicom_download", "DICOM file download"
    PREVIEW_DOWNLOAD = "preview_download", "Radiograph preview download"
    EXPORT_PRODUCED = "export_produced", "Export produced"
    EXPORT_DOWNLOAD = "export_download", "Export downloaded"
    SUBJECT_ACCESS = "subject_access", "Subject access report"


class AccessLogEntry(models.Model):
    """One read of patient data by one person."""

    Kind = AccessKind

    at = models.DateTimeField(default=timezone.now)
    # SET_NULL: removing a staff account keeps its reads; ``username`` says who it was.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(max_length=254, blank=True, default="")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    route = models.CharField(
        max_length=100, blank=True, default="", help_text="URL name, e.g. api:patient-list."
    )
    object_id = models.BigIntegerField(
        null=True, blank=True, help_text="The key the URL named (record, parent or export job)."
    )
    address = models.GenericIPAddressField(null=True, blank=True)
    patient_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="Exports: the patients in the file (not listed)."
    )
    checksum = models.CharField("SHA-256 of the export file", max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["at"], name="access_log_at"),
            models.Index(fields=["user", "at"], name="access_log_user_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AccessKind.values),
                name="access_log_kind_valid",
            ),
        ]
        verbose_name = "access log entry"
        verbose_name_plural = "access log"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or '-'} {self.kind}"


class AccessedPatient(models.Model):
    """A patient an entry returned. The unique (patient_id, entry) index answers "who looked at
    this patient" in one index range scan."""

    # DO_NOTHING: pruning and erasure delete these rows first, in one statement each, so that
    # deleting entries needs no per-row cascade collection in Python.
    entry = models.ForeignKey(AccessLogEntry, on_delete=models.DO_NOTHING, related_name="patients")
    patient_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient_id", "entry"], name="accessed_patient_unique"),
        ]

    def __str__(self) -> str:
        return f"patient {self.patient_id} in entry {self.entry_id}"
