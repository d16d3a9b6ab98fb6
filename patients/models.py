"""Patients, their SSc subtype assessments, visits and calcinosis treatments."""

from __future__ import annotations

import secrets
from datetime import date

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from accounts.models import Center
from accounts.restricted import RestrictedQuerySet
from patients import duration, validation
from patients.choices import (
    AUTOANTIBODIES,
    CRITERIA_ANTIBODIES,
    AntibodyResult,
    OnsetPrecision,
    Sex,
    SscSubtype,
    Treatment,
    TreatmentRoute,
    VisitType,
)
from patients.classification import ClassificationItems, meets_acr_eular_2013
from patients.mrss import MRSS_TOTAL_MAX
from patients.partial_dates import PartialDate
from registry.audit import AuditedHistory

# Crockford base32 without I, L, O, U: readable aloud, no confusable characters.
_REGISTRY_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_registry_id() -> str:
    """An opaque id drawn at random, never derived from an identifier (40 bits of entropy)."""
    return "SSC-" + "".join(secrets.choice(_REGISTRY_ID_ALPHABET) for _ in range(8))


def _in(field: str, choices: type[models.TextChoices]) -> Q:
    return Q(**{f"{field}__in": choices.values})


def _not_after(earlier: str, later: str) -> Q:
    return (
        Q(**{f"{earlier}__isnull": True})
        | Q(**{f"{later}__isnull": True})
        | Q(**{f"{earlier}__lte": F(later)})
    )


def _precision_matches(field: str) -> Q:
    """A partial date has a precision exactly when it has a value."""
    return Q(**{f"{field}__isnull": True, f"{field}_precision": ""}) | Q(
        Q(**{f"{field}__isnull": False}) & ~Q(**{f"{field}_precision": ""})
    )


def _in_range(field: str, low: int, high: int | None = None) -> Q:
    bounds = Q(**{f"{field}__gte": low})
    if high is not None:
        bounds &= Q(**{f"{field}__lte": high})
    return Q(**{f"{field}__isnull": True}) | bounds


CLASSIFICATION_FIELDS = [
    name for name in ClassificationItems.__dataclass_fields__ if name not in ("ssc_autoantibody",)
]


class Patient(models.Model):
    """A person with SSc followed by one center.

    ``local_id`` is the clinic's MRN: a direct identifier, unique per center, never exported to
    researchers. ``registry_id`` is opaque and random. The 2013 ACR/EULAR score is computed by
    :func:`patients.classification.acr_eular_2013_score` in the service that writes the items.
    """

    registry_id = models.CharField(
        max_length=16, unique=True, default=new_registry_id, editable=False
    )
    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="patients")
    local_id = models.CharField("local identifier (MRN)", max_length=64)
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_date = models.DateField()
    ssc_subtype = models.CharField(
        "SSc subtype",
        max_length=20,
        choices=SscSubtype.choices,
        default=SscSubtype.UNDETERMINED,
        help_text="The latest subtype assessment; the history is in SubtypeAssessment.",
    )
    # Partial dates: the first day of the period and its precision (patients.partial_dates).
    raynaud_onset = models.DateField(null=True, blank=True)
    raynaud_onset_precision = models.CharField(
        max_length=5, choices=OnsetPrecision.choices, blank=True, default=""
    )
    first_non_raynaud_onset = models.DateField(
        "first non-Raynaud manifestation",
        null=True,
        blank=True,
        help_text="Disease duration counts from here (EUSTAR convention).",
    )
    first_non_raynaud_onset_precision = models.CharField(
        max_length=5, choices=OnsetPrecision.choices, blank=True, default=""
    )
    diagnosis_date = models.DateField(null=True, blank=True)

    antibody_aca = models.CharField(
        "ACA", max_length=8, choices=AntibodyResult.choices, default=AntibodyResult.UNKNOWN
    )
    antibody_scl70 = models.CharField(
        "anti-Scl-70", max_length=8, choices=AntibodyResult.choices, default=AntibodyResult.UNKNOWN
    )
    antibody_rnap3 = models.CharField(
        "anti-RNA pol III",
        max_length=8,
        choices=AntibodyResult.choices,
        default=AntibodyResult.UNKNOWN,
    )
    antibody_u1rnp = models.CharField(
        "anti-U1-RNP", max_length=8, choices=AntibodyResult.choices, default=AntibodyResult.UNKNOWN
    )
    antibody_pmscl = models.CharField(
        "anti-PM/Scl", max_length=8, choices=AntibodyResult.choices, default=AntibodyResult.UNKNOWN
    )
    antibody_thto = models.CharField(
        "anti-Th/To", max_length=8, choices=AntibodyResult.choices, default=AntibodyResult.UNKNOWN
    )
    antibody_u3rnp = models.CharField(
        "anti-U3-RNP", max_length=8, choices=AntibodyResult.choices, default=AntibodyResult.UNKNOWN
    )

    # 2013 ACR/EULAR classification items (van den Hoogen et al. 2013); antibodies come from above.
    skin_thickening_proximal_to_mcp = models.BooleanField(
        "skin thickening of both hands' fingers proximal to the MCPs", default=False
    )
    puffy_fingers = models.BooleanField(default=False)
    sclerodactyly = models.BooleanField(default=False)
    digital_tip_ulcers = models.BooleanField(default=False)
    fingertip_pitting_scars = models.BooleanField(default=False)
    telangiectasia = models.BooleanField(default=False)
    abnormal_nailfold_capillaries = models.BooleanField(default=False)
    pulmonary_arterial_hypertension = models.BooleanField(default=False)
    interstitial_lung_disease = models.BooleanField(default=False)
    raynaud_phenomenon = models.BooleanField("Raynaud's phenomenon", default=False)
    not_applicable = models.BooleanField(
        "criteria not applicable",
        default=False,
        help_text="Skin thickening spares the fingers, or a scleroderma-like disorder explains "
        "the findings better.",
    )
    not_applicable_reason = models.CharField(max_length=200, blank=True, default="")
    acr_eular_2013_score = models.PositiveSmallIntegerField(
        "ACR/EULAR 2013 score",
        null=True,
        blank=True,
        editable=False,
        help_text="Computed from the items; null when the criteria do not apply.",
    )

    notes = models.TextField(blank=True, default="", help_text="Free text; never exported.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = HistoricalRecords(bases=[AuditedHistory])
    objects = RestrictedQuerySet.as_manager()

    access_center_path = "center"  # see accounts.access

    class Meta:
        ordering = ["registry_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["center", "local_id"], name="patient_local_id_unique_per_center"
            ),
            models.CheckConstraint(condition=~Q(local_id=""), name="patient_local_id_required"),
            models.CheckConstraint(condition=_in("sex", Sex), name="patient_sex_valid"),
            models.CheckConstraint(
                condition=_in("ssc_subtype", SscSubtype), name="patient_subtype_valid"
            ),
            *[
                models.CheckConstraint(
                    condition=_in(field, AntibodyResult), name=f"patient_{field}_valid"
                )
                for field, _label in AUTOANTIBODIES.values()
            ],
            models.CheckConstraint(
                condition=_not_after("raynaud_onset", "diagnosis_date"),
                name="patient_raynaud_onset_not_after_diagnosis",
            ),
            models.CheckConstraint(
                condition=_not_after("first_non_raynaud_onset", "diagnosis_date"),
                name="patient_first_onset_not_after_diagnosis",
            ),
            models.CheckConstraint(
                condition=_not_after("birth_date", "diagnosis_date"),
                name="patient_diagnosis_not_before_birth",
            ),
            models.CheckConstraint(
                condition=_precision_matches("raynaud_onset"),
                name="patient_raynaud_onset_precision",
            ),
            models.CheckConstraint(
                condition=_precision_matches("first_non_raynaud_onset"),
                name="patient_first_onset_precision",
            ),
            models.CheckConstraint(
                condition=_in_range("acr_eular_2013_score", 0, 28), name="patient_score_range"
            ),
        ]
        indexes = [models.Index(fields=["center", "ssc_subtype"])]

    def __str__(self) -> str:
        return self.registry_id

    # --- derived values (computed by the pure modules, never stored by hand) ---------------
    def onset(self, field: str) -> PartialDate | None:
        value = getattr(self, field)
        if value is None:
            return None
        return PartialDate(value, getattr(self, f"{field}_precision") or OnsetPrecision.DAY)

    def disease_duration_years(self, on: date) -> float | None:
        """Years from the first non-Raynaud manifestation (EUSTAR)."""
        return duration.duration_years(self.onset("first_non_raynaud_onset"), on)

    def raynaud_duration_years(self, on: date) -> float | None:
        return duration.duration_years(self.onset("raynaud_onset"), on)

    def autoantibodies(self) -> dict[str, str]:
        return {key: getattr(self, field) for key, (field, _label) in AUTOANTIBODIES.items()}

    def classification_items(self) -> ClassificationItems:
        antibody = any(
            getattr(self, AUTOANTIBODIES[key][0]) == AntibodyResult.POSITIVE
            for key in CRITERIA_ANTIBODIES
        )
        values = {name: getattr(self, name) for name in CLASSIFICATION_FIELDS}
        return ClassificationItems(ssc_autoantibody=antibody, **values)

    @property
    def meets_acr_eular_2013(self) -> bool | None:
        return meets_acr_eular_2013(self.acr_eular_2013_score)

    def clean(self) -> None:
        validation.raise_if(validation.patient_errors(self))


class SubtypeAssessment(models.Model):
    """One dated assessment of the SSc subtype. Subtypes are reassessed (30 of 57 sine
    scleroderma patients were reclassified as limited within ~2 years, PMID 25274885)."""

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="subtype_assessments"
    )
    assessed_on = models.DateField()
    subtype = models.CharField(max_length=20, choices=SscSubtype.choices)
    note = models.CharField(max_length=200, blank=True, default="")

    history = HistoricalRecords(bases=[AuditedHistory])

    access_center_path = "patient__center"  # see accounts.access
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "assessed_on"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "assessed_on"], name="subtype_one_per_day"),
            models.CheckConstraint(condition=_in("subtype", SscSubtype), name="subtype_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_subtype_display()} on {self.assessed_on}"


class Visit(models.Model):
    """A clinic visit with its skin score and calcinosis symptoms."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="visits")
    date = models.DateField()
    visit_type = models.CharField(
        max_length=12, choices=VisitType.choices, default=VisitType.FOLLOW_UP
    )
    # Modified Rodnan skin score: total 0-51, or the 17 site scores 0-3 (patients.mrss).
    mrss_total = models.PositiveSmallIntegerField(
        "mRSS total", null=True, blank=True, validators=[MaxValueValidator(MRSS_TOTAL_MAX)]
    )
    mrss_sites = models.JSONField("mRSS site scores", null=True, blank=True)
    # Calcinosis pain: 0-10 numeric rating scale, or 0-100 mm visual analogue scale.
    calcinosis_pain_nrs = models.PositiveSmallIntegerField(
        "calcinosis pain (NRS 0-10)", null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    calcinosis_pain_vas_mm = models.PositiveSmallIntegerField(
        "calcinosis pain (VAS 0-100 mm)", null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    # Over a deposit: each yes/no (null: not assessed), with the site if known.
    ulceration = models.BooleanField("ulceration over a deposit", null=True, blank=True)
    ulceration_site = models.CharField(max_length=100, blank=True, default="")
    infection = models.BooleanField("infection of a deposit", null=True, blank=True)
    infection_site = models.CharField(max_length=100, blank=True, default="")
    drainage = models.BooleanField("drainage / extrusion of chalky material", null=True, blank=True)
    drainage_site = models.CharField(max_length=100, blank=True, default="")
    # Cochin Hand Function Scale: 18 items, total 0-90, higher is worse.
    chfs_total = models.PositiveSmallIntegerField(
        "Cochin Hand Function Scale", null=True, blank=True, validators=[MaxValueValidator(90)]
    )
    digital_ulcer_count = models.PositiveSmallIntegerField(
        "digital ulcers (current)", null=True, blank=True, validators=[MaxValueValidator(50)]
    )
    raynaud_attacks_per_day = models.DecimalField(
        "Raynaud attacks per day",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    notes = models.TextField(blank=True, default="", help_text="Free text; never exported.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = HistoricalRecords(bases=[AuditedHistory])

    access_center_path = "patient__center"  # see accounts.access
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "date", "visit_type"], name="visit_unique_type_per_day"
            ),
            models.UniqueConstraint(
                fields=["patient"], condition=Q(visit_type="baseline"), name="visit_one_baseline"
            ),
            models.CheckConstraint(condition=_in("visit_type", VisitType), name="visit_type_valid"),
            models.CheckConstraint(
                condition=_in_range("mrss_total", 0, MRSS_TOTAL_MAX), name="visit_mrss_range"
            ),
            models.CheckConstraint(
                condition=_in_range("calcinosis_pain_nrs", 0, 10), name="visit_pain_nrs_range"
            ),
            models.CheckConstraint(
                condition=_in_range("calcinosis_pain_vas_mm", 0, 100), name="visit_pain_vas_range"
            ),
            models.CheckConstraint(
                condition=_in_range("chfs_total", 0, 90), name="visit_chfs_range"
            ),
            models.CheckConstraint(
                condition=_in_range("digital_ulcer_count", 0, 50), name="visit_digital_ulcers_range"
            ),
            models.CheckConstraint(
                condition=_in_range("raynaud_attacks_per_day", 0, 100), name="visit_raynaud_range"
            ),
            models.CheckConstraint(
                condition=Q(mrss_sites__isnull=True) | Q(mrss_total__isnull=False),
                name="visit_mrss_sites_give_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_visit_type_display()} {self.date}"

    def clean(self) -> None:
        validation.raise_if(validation.visit_errors(self))


class CalcinosisTreatment(models.Model):
    """A calcinosis treatment with its start and stop dates (DOMAIN.md's list)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="treatments")
    visit = models.ForeignKey(
        Visit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="treatments",
        help_text="The visit at which it was recorded, if any.",
    )
    treatment = models.CharField(max_length=20, choices=Treatment.choices)
    route = models.CharField(
        max_length=14,
        choices=TreatmentRoute.choices,
        blank=True,
        default="",
        help_text="Sodium thiosulfate only.",
    )
    other_text = models.CharField("other treatment", max_length=100, blank=True, default="")
    started_on = models.DateField()
    stopped_on = models.DateField(null=True, blank=True)

    history = HistoricalRecords(bases=[AuditedHistory])

    access_center_path = "patient__center"  # see accounts.access
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "started_on", "id"]
        constraints = [
            models.CheckConstraint(condition=_in("treatment", Treatment), name="treatment_valid"),
            models.CheckConstraint(
                condition=_not_after("started_on", "stopped_on"), name="treatment_stop_after_start"
            ),
            models.CheckConstraint(
                condition=Q(route="") | Q(treatment=Treatment.SODIUM_THIOSULFATE),
                name="treatment_route_only_thiosulfate",
            ),
            models.CheckConstraint(
                condition=~Q(treatment=Treatment.OTHER) | ~Q(other_text=""),
                name="treatment_other_named",
            ),
        ]

    def __str__(self) -> str:
        return self.get_treatment_display()

    def clean(self) -> None:
        validation.raise_if(validation.treatment_errors(self))
