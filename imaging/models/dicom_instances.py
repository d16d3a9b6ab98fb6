"""Received DICOM images: the stored de-identified file and the queue of unmatched images."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from accounts.models import Center
from accounts.restricted import RestrictedQuerySet
from imaging.choices import Laterality, SpacingSource, View
from imaging.dicom.storage import dicom_storage
from imaging.models.radiographs import Radiograph
from patients.models import Patient
from registry.audit import AuditedHistory
from registry.db_rules import RuleFieldsMixin, with_messages


class DicomInstanceQuerySet(RestrictedQuerySet):
    def unmatched(self) -> DicomInstanceQuerySet:
        return self.filter(status=DicomInstance.Status.UNMATCHED)


class DicomInstance(RuleFieldsMixin, models.Model):
    """One received DICOM image (PS3.10 file), de-identified before it was stored.

    The file and every field here come from the de-identified dataset (PS3.15 Annex E Basic
    Profile with Retain Full Dates, imaging.dicom.deidentify): UIDs are the mapped ones. The
    original (0010,0020) Patient ID and (0010,0021) Issuer of Patient ID are kept only as
    ``source_patient_key``, a keyed hash, so the unmatched queue shows dates, modality, body part,
    side and view but never an identifier; a clinician assigns an image by choosing the patient.
    ``center`` is the center that received it (the queue's owner), the patient is one of its own.
    """

    class Status(models.TextChoices):
        MATCHED = "matched", "Matched to a patient"
        UNMATCHED = "unmatched", "Waiting for a clinician"

    class Via(models.TextChoices):
        API = "api", "REST API upload"
        CLI = "cli", "import_dicom"
        SCP = "scp", "DICOM C-STORE"

    class UnmatchedReason(models.TextChoices):
        NONE = "", "—"
        NO_PATIENT_ID = "no_patient_id", "No Patient ID in the file"
        NO_PATIENT = "no_patient", "No patient with this identifier in the center"
        ISSUER = "issuer_not_accepted", "Identifier issued by another organisation"
        NO_DATE = "no_date", "No acquisition or study date"
        NO_LATERALITY = "no_laterality", "No image laterality"
        NO_VIEW = "no_view", "No view position"
        INVALID = "invalid", "The radiograph fails validation (e.g. dated before birth)"

    class PreviewStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    class BurnedInVerdict(models.TextChoices):
        """A clinician's look at the pixels (the review docs/security.md describes)."""

        NOT_REVIEWED = "", "Not reviewed"
        NO_TEXT = "no_burned_in_text", "No burned-in text"
        TEXT_PRESENT = "burned_in_text_present", "Burned-in text present"

    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="dicom_instances")
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, null=True, blank=True, related_name="dicom_instances"
    )
    radiograph = models.OneToOneField(
        Radiograph,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="dicom_instance",
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    unmatched_reason = models.CharField(
        max_length=20, choices=UnmatchedReason.choices, blank=True, default=""
    )
    received_via = models.CharField(max_length=3, choices=Via.choices)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    # HMAC of center + original issuer + Patient ID (imaging.dicom.keys); "" without a Patient ID.
    source_patient_key = models.CharField(max_length=64, blank=True, default="", db_index=True)
    # The same without the issuer: erasure finds every queued image sent under a patient's
    # local id, whichever organisation issued it ("" without a Patient ID).
    source_id_key = models.CharField(max_length=64, blank=True, default="", db_index=True)

    # The de-identified Part 10 file, named by its SHA-256 (imaging.dicom.storage).
    file = models.FileField(storage=dicom_storage, max_length=200)
    sha256 = models.CharField(max_length=64, db_index=True)
    size_bytes = models.PositiveBigIntegerField()

    sop_instance_uid = models.CharField(max_length=64)  # (0008,0018), mapped; unique per center
    sop_class_uid = models.CharField(max_length=64)  # (0008,0016)
    study_instance_uid = models.CharField(max_length=64, db_index=True)  # (0020,000D), mapped
    series_instance_uid = models.CharField(max_length=64, blank=True, default="")  # (0020,000E)
    transfer_syntax_uid = models.CharField(max_length=64)  # (0002,0010)
    modality = models.CharField(max_length=16, blank=True, default="")  # (0008,0060)
    # (0028,0004) Photometric Interpretation
    photometric_interpretation = models.CharField(max_length=16, blank=True, default="")
    rows = models.PositiveIntegerField(null=True, blank=True)  # (0028,0010)
    columns = models.PositiveIntegerField(null=True, blank=True)  # (0028,0011)
    study_date = models.DateField(null=True, blank=True)  # (0008,0020)
    # (0008,0022) Acquisition Date, else (0008,002A), (0008,0023), (0008,0020)
    acquired_on = models.DateField(null=True, blank=True)
    body_part_examined = models.CharField(max_length=16, blank=True, default="")  # (0018,0015)
    # (0020,0062) Image Laterality, else (0020,0060) Laterality
    laterality = models.CharField(max_length=10, choices=Laterality.choices, blank=True, default="")
    view_position = models.CharField(max_length=16, blank=True, default="")  # (0018,5101)
    view = models.CharField(max_length=10, choices=View.choices, blank=True, default="")
    # mm per pixel (row, column) and which DICOM attribute gave them (DOMAIN.md spacing rule)
    pixel_spacing_row_mm = models.FloatField(null=True, blank=True)
    pixel_spacing_column_mm = models.FloatField(null=True, blank=True)
    pixel_spacing_source = models.CharField(
        max_length=24, choices=SpacingSource.choices, blank=True, default=""
    )
    # (0028,0301) Burned In Annotation as read: True = YES, False = NO, None = absent (or another
    # value). De-identification does not touch pixels, so text in them may identify the patient:
    # only an explicit NO, or a clinician's review, lets researchers see the image.
    burned_in_annotation = models.BooleanField(null=True, blank=True, default=None)
    burned_in_verdict = models.CharField(
        max_length=24, choices=BurnedInVerdict.choices, blank=True, default=""
    )
    burned_in_reviewed_at = models.DateTimeField(null=True, blank=True)
    burned_in_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    preview_status = models.CharField(
        max_length=8, choices=PreviewStatus.choices, default=PreviewStatus.PENDING
    )
    thumbnail = models.FileField(storage=dicom_storage, max_length=200, blank=True, default="")
    viewer_image = models.FileField(storage=dicom_storage, max_length=200, blank=True, default="")

    objects = DicomInstanceQuerySet.as_manager()
    history = HistoricalRecords(bases=[AuditedHistory])  # who reviewed, when, from where

    access_center_path = "center"  # see accounts.access
    access_patient_path = "patient"  # consent: see accounts.access
    access_consent_scope = "radiographs"

    class Meta:
        ordering = ["-received_at", "id"]
        constraints = [
            # Duplicates are decided per center: a file another center sent is news here.
            models.UniqueConstraint(
                fields=["center", "sop_instance_uid"],
                name="dicominstance_sop_instance_uid_unique_per_center",
            ),
            models.CheckConstraint(
                condition=Q(
                    status="matched",
                    patient__isnull=False,
                    radiograph__isnull=False,
                    unmatched_reason="",
                )
                | (Q(status="unmatched", radiograph__isnull=True) & ~Q(unmatched_reason="")),
                name="dicominstance_status_consistent",
            ),
            models.CheckConstraint(
                condition=Q(received_via__in=["api", "cli", "scp"]),
                name="dicominstance_via_valid",
            ),
            models.CheckConstraint(
                condition=Q(preview_status__in=["pending", "ready", "failed"]),
                name="dicominstance_preview_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    pixel_spacing_row_mm__isnull=True,
                    pixel_spacing_column_mm__isnull=True,
                    pixel_spacing_source="",
                )
                | Q(
                    pixel_spacing_row_mm__gt=0,
                    pixel_spacing_column_mm__gt=0,
                    pixel_spacing_source__in=SpacingSource.values,
                ),
                name="dicominstance_spacing_complete",
            ),
            models.CheckConstraint(
                condition=Q(burned_in_verdict="", burned_in_reviewed_at__isnull=True)
                | Q(
                    burned_in_verdict__in=["no_burned_in_text", "burned_in_text_present"],
                    burned_in_reviewed_at__isnull=False,
                ),
                name="dicominstance_burned_in_review_complete",
            ),
        ]
        constraints = with_messages(constraints)
        indexes = [models.Index(fields=["center", "status", "received_at"])]

    def __str__(self) -> str:
        side = self.get_laterality_display() or "?"
        return f"{self.modality or 'DICOM'} {self.acquired_on or 'undated'} {side} #{self.pk}"

    @property
    def pixel_spacing_mm(self) -> tuple[float, float] | None:
        if self.pixel_spacing_row_mm is None or self.pixel_spacing_column_mm is None:
            return None
        return (self.pixel_spacing_row_mm, self.pixel_spacing_column_mm)

    @property
    def research_visible(self) -> bool:
        """Whether researchers may see the pixels (file and previews): a clinician's review
        decides; unreviewed, only an explicit (0028,0301) NO does (security review, finding 9)."""
        if self.burned_in_verdict:
            return self.burned_in_verdict == self.BurnedInVerdict.NO_TEXT
        return self.burned_in_annotation is False
