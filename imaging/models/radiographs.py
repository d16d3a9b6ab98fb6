"""Radiographs, their findings, calcinosis lesions and lesion tracks."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from accounts.restricted import RestrictedQuerySet
from imaging import validation
from imaging.choices import (
    BodyRegion,
    Density,
    Digit,
    Finding,
    Joint,
    Laterality,
    MeasurementSource,
    Morphology,
    Segment,
    Side,
    SpacingSource,
    Tissue,
    TrackAssignment,
    View,
)
from imaging.track_names import track_name
from patients.models import Patient, Visit
from patients.validation import raise_if
from registry.audit import AuditedHistory
from registry.db_rules import RuleFieldsMixin, with_messages

# No deposit in any region is plausibly longer than this (forearm sheets); per-region limits are
# the setting REGISTRY_MAX_LESION_DIAMETER_MM, enforced by validation.
ABSOLUTE_MAX_DIAMETER_MM = 300


def _in(field: str, choices, blank: bool = False) -> Q:
    values = list(choices.values) + ([""] if blank else [])
    return Q(**{f"{field}__in": values})


def _digit_valid(field: str = "digit") -> Q:
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 1, f"{field}__lte": 5})


class Radiograph(RuleFieldsMixin, models.Model):
    """One radiographic image (one view) of one body region of a patient on one date."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="radiographs")
    visit = models.ForeignKey(
        Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="radiographs"
    )
    acquired_on = models.DateField()
    body_region = models.CharField(
        max_length=10, choices=BodyRegion.choices, default=BodyRegion.HAND
    )
    laterality = models.CharField(max_length=10, choices=Laterality.choices)
    view = models.CharField(max_length=10, choices=View.choices)
    # mm per pixel (row spacing, column spacing); see SpacingSource for the DICOM rule.
    pixel_spacing_row_mm = models.FloatField(null=True, blank=True)
    pixel_spacing_column_mm = models.FloatField(null=True, blank=True)
    pixel_spacing_source = models.CharField(
        max_length=24, choices=SpacingSource.choices, blank=True, default=""
    )
    # DICOM identifiers, filled when the image comes in as DICOM (de-identified UIDs).
    study_instance_uid = models.CharField(max_length=64, blank=True, default="")  # (0020,000D)
    series_instance_uid = models.CharField(max_length=64, blank=True, default="")  # (0020,000E)
    sop_instance_uid = models.CharField(max_length=64, blank=True, default="")  # (0008,0018)
    modality = models.CharField(max_length=16, blank=True, default="")  # (0008,0060)
    rows = models.PositiveIntegerField(null=True, blank=True)  # (0028,0010)
    columns = models.PositiveIntegerField(null=True, blank=True)  # (0028,0011)
    notes = models.TextField(blank=True, default="", help_text="Free text; never exported.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = HistoricalRecords(bases=[AuditedHistory])

    access_center_path = "patient__center"  # see accounts.access
    access_patient_path = "patient"  # consent: see accounts.access
    access_consent_scope = "radiographs"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "acquired_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=_in("body_region", BodyRegion), name="radiograph_region_valid"
            ),
            models.CheckConstraint(
                condition=_in("laterality", Laterality), name="radiograph_laterality_valid"
            ),
            models.CheckConstraint(condition=_in("view", View), name="radiograph_view_valid"),
            models.CheckConstraint(
                condition=(
                    Q(
                        pixel_spacing_row_mm__isnull=True,
                        pixel_spacing_column_mm__isnull=True,
                        pixel_spacing_source="",
                    )
                    | Q(
                        pixel_spacing_row_mm__gt=0,
                        pixel_spacing_column_mm__gt=0,
                        pixel_spacing_row_mm__lte=10,
                        pixel_spacing_column_mm__lte=10,
                        pixel_spacing_source__in=SpacingSource.values,
                    )
                ),
                name="radiograph_spacing_complete_and_positive",
            ),
            # Per patient, not global: two centers that receive the same image each get their
            # radiograph (per center through DicomInstance, whose radiograph is one-to-one).
            models.UniqueConstraint(
                fields=["patient", "sop_instance_uid"],
                condition=~Q(sop_instance_uid=""),
                name="radiograph_sop_instance_uid_unique_per_patient",
            ),
        ]
        constraints = with_messages(constraints)
        indexes = [models.Index(fields=["patient", "body_region", "laterality", "acquired_on"])]

    def __str__(self) -> str:
        side, region = self.get_laterality_display(), self.get_body_region_display()
        return f"{side} {region} {self.get_view_display()} {self.acquired_on}"

    @property
    def pixel_spacing_mm(self) -> tuple[float, float] | None:
        if self.pixel_spacing_row_mm is None or self.pixel_spacing_column_mm is None:
            return None
        return (self.pixel_spacing_row_mm, self.pixel_spacing_column_mm)

    def clean(self) -> None:
        raise_if(validation.radiograph_errors(self))


class RadiographicFinding(RuleFieldsMixin, models.Model):
    """A coded radiographic finding other than calcinosis, with its site."""

    radiograph = models.ForeignKey(Radiograph, on_delete=models.CASCADE, related_name="findings")
    finding = models.CharField(max_length=30, choices=Finding.choices)
    digit = models.PositiveSmallIntegerField(choices=Digit.choices, null=True, blank=True)
    segment = models.CharField(max_length=20, choices=Segment.choices, blank=True, default="")
    joint = models.CharField(max_length=12, choices=Joint.choices, blank=True, default="")
    notes = models.CharField(max_length=200, blank=True, default="")

    history = HistoricalRecords(bases=[AuditedHistory])

    access_center_path = "radiograph__patient__center"  # see accounts.access
    access_patient_path = "radiograph__patient"  # consent: see accounts.access
    access_consent_scope = "radiographs"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["radiograph", "id"]
        constraints = [
            models.CheckConstraint(condition=_in("finding", Finding), name="finding_valid"),
            models.CheckConstraint(condition=_digit_valid(), name="finding_digit_range"),
            models.CheckConstraint(
                condition=_in("segment", Segment, blank=True), name="finding_segment_valid"
            ),
            models.CheckConstraint(
                condition=_in("joint", Joint, blank=True), name="finding_joint_valid"
            ),
            models.CheckConstraint(
                condition=~Q(finding=Finding.OTHER) | ~Q(notes=""), name="finding_other_described"
            ),
        ]
        constraints = with_messages(constraints)

    def __str__(self) -> str:
        return self.get_finding_display()

    def clean(self) -> None:
        raise_if(validation.finding_errors(self))


class LesionTrack(RuleFieldsMixin, models.Model):
    """One calcium deposit followed over time, within one region series (region + side)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="lesion_tracks")
    body_region = models.CharField(max_length=10, choices=BodyRegion.choices)
    laterality = models.CharField(max_length=5, choices=Side.choices)
    digit = models.PositiveSmallIntegerField(choices=Digit.choices, null=True, blank=True)
    segment = models.CharField(max_length=20, choices=Segment.choices, blank=True, default="")
    tissue = models.CharField(max_length=14, choices=Tissue.choices, blank=True, default="")
    label = models.CharField(max_length=60, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(bases=[AuditedHistory])

    access_center_path = "patient__center"  # see accounts.access
    access_patient_path = "patient"  # consent: see accounts.access
    access_consent_scope = "radiographs"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "id"]
        constraints = [
            models.CheckConstraint(
                condition=_in("body_region", BodyRegion), name="track_region_valid"
            ),
            models.CheckConstraint(
                condition=_in("laterality", Side), name="track_laterality_valid"
            ),
            models.CheckConstraint(condition=_digit_valid(), name="track_digit_range"),
            models.CheckConstraint(
                condition=_in("segment", Segment, blank=True), name="track_segment_valid"
            ),
            models.CheckConstraint(
                condition=_in("tissue", Tissue, blank=True), name="track_tissue_valid"
            ),
        ]
        constraints = with_messages(constraints)

    def __str__(self) -> str:
        return self.label or track_name(self.site)

    @property
    def site(self) -> dict:
        """The site's codes, as :func:`imaging.track_names.track_name` reads them."""
        return {
            "body_region": self.body_region,
            "laterality": self.laterality,
            "digit": self.digit,
            "segment": self.segment,
            "tissue": self.tissue,
        }


class CalcinosisLesion(RuleFieldsMixin, models.Model):
    """A calcium deposit marked on one radiograph (pathologic calcification, SNOMED CT 18115005).

    Diameters are in mm as entered, or computed from pixel end points and the radiograph's pixel
    spacing; ``spacing_source`` keeps the spacing label with the mm values. The database checks
    (migration imaging 0002) that the track belongs to the radiograph's patient, region and side.
    """

    radiograph = models.ForeignKey(Radiograph, on_delete=models.CASCADE, related_name="lesions")
    # A track holding lesions cannot be deleted on its own (reassign its lesions first); deleting
    # the whole patient takes both (RESTRICT, not PROTECT).
    track = models.ForeignKey(
        LesionTrack, on_delete=models.RESTRICT, null=True, blank=True, related_name="lesions"
    )
    track_assignment = models.CharField(
        max_length=4, choices=TrackAssignment.choices, blank=True, default=""
    )
    laterality = models.CharField(
        max_length=5,
        choices=Side.choices,
        help_text="The radiograph's side unless it is bilateral.",
    )
    digit = models.PositiveSmallIntegerField(choices=Digit.choices, null=True, blank=True)
    segment = models.CharField(max_length=20, choices=Segment.choices, blank=True, default="")
    tissue = models.CharField(max_length=14, choices=Tissue.choices, blank=True, default="")
    longest_diameter_mm = models.FloatField()
    perpendicular_diameter_mm = models.FloatField(null=True, blank=True)
    density = models.CharField(max_length=6, choices=Density.choices, blank=True, default="")
    morphology = models.CharField(max_length=6, choices=Morphology.choices, blank=True, default="")
    # End points in image pixels, [[x1, y1], [x2, y2]] (column, row), when measured on the image.
    longest_axis_px = models.JSONField(null=True, blank=True)
    perpendicular_axis_px = models.JSONField(null=True, blank=True)
    measurement_source = models.CharField(
        max_length=6, choices=MeasurementSource.choices, default=MeasurementSource.MANUAL
    )
    spacing_source = models.CharField(
        max_length=24,
        choices=SpacingSource.choices,
        blank=True,
        default="",
        help_text="The spacing label of the mm values when measured on the image.",
    )
    notes = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = HistoricalRecords(bases=[AuditedHistory])

    access_center_path = "radiograph__patient__center"  # see accounts.access
    access_patient_path = "radiograph__patient"  # consent: see accounts.access
    access_consent_scope = "radiographs"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["radiograph", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    longest_diameter_mm__gt=0, longest_diameter_mm__lte=ABSOLUTE_MAX_DIAMETER_MM
                ),
                name="lesion_longest_diameter_plausible",
            ),
            models.CheckConstraint(
                condition=Q(perpendicular_diameter_mm__isnull=True)
                | Q(
                    perpendicular_diameter_mm__gt=0,
                    perpendicular_diameter_mm__lte=F("longest_diameter_mm"),
                ),
                name="lesion_perpendicular_not_longer",
            ),
            models.CheckConstraint(
                condition=_in("laterality", Side), name="lesion_laterality_valid"
            ),
            models.CheckConstraint(condition=_digit_valid(), name="lesion_digit_range"),
            models.CheckConstraint(
                condition=_in("segment", Segment, blank=True), name="lesion_segment_valid"
            ),
            models.CheckConstraint(
                condition=_in("tissue", Tissue, blank=True), name="lesion_tissue_valid"
            ),
            models.CheckConstraint(
                condition=_in("density", Density, blank=True), name="lesion_density_valid"
            ),
            models.CheckConstraint(
                condition=_in("morphology", Morphology, blank=True), name="lesion_morphology_valid"
            ),
            models.CheckConstraint(
                condition=Q(track__isnull=True, track_assignment="")
                | Q(track__isnull=False, track_assignment__in=["user", "auto"]),
                name="lesion_track_assignment_consistent",
            ),
            models.CheckConstraint(
                condition=Q(measurement_source="manual")
                | Q(measurement_source="pixels", longest_axis_px__isnull=False)
                & ~Q(spacing_source=""),
                name="lesion_pixel_measurement_has_points",
            ),
        ]
        constraints = with_messages(constraints)

    def __str__(self) -> str:
        return f"{self.longest_diameter_mm:g} mm"

    @property
    def site(self) -> dict:
        """The site's codes (the region is the radiograph's), as :mod:`imaging.track_names`
        reads them."""
        return {
            "body_region": self.radiograph.body_region,
            "laterality": self.laterality,
            "digit": self.digit,
            "segment": self.segment,
            "tissue": self.tissue,
        }

    def clean(self) -> None:
        raise_if(validation.lesion_errors(self))
