"""Patients (the person followed by a center) and their dated SSc subtype assessments."""

from __future__ import annotations

import secrets
from datetime import date

from django.db import models
from django.db.models import Q
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
)
from patients.classification import ClassificationItems, meets_acr_eular_2013
from patients.models.conditions import in_choices, in_range, not_after, precision_matches
from patients.partial_dates import PartialDate
from registry.audit import AuditedHistory
from registry.db_rules import RuleFieldsMixin, with_messages

# Crockford base32 without I, L, O, U: readable aloud, no confusable characters.
_REGISTRY_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_registry_id() -> str:
    """An opaque id drawn at random, never derived from an identifier (40 bits of entropy)."""
    return "SSC-" + "".join(secrets.choice(_REGISTRY_ID_ALPHABET) for _ in range(8))


CLASSIFICATION_FIELDS = [
    name for name in ClassificationItems.__dataclass_fields__ if name not in ("ssc_autoantibody",)
]


class Patient(RuleFieldsMixin, models.Model):
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
        help_text="The latest assessment; earlier ones stay in the patient's subtype history.",
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
    access_patient_path = "pk"  # consent: see accounts.access

    class Meta:
        ordering = ["registry_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["center", "local_id"], name="patient_local_id_unique_per_center"
            ),
            models.CheckConstraint(condition=~Q(local_id=""), name="patient_local_id_required"),
            models.CheckConstraint(condition=in_choices("sex", Sex), name="patient_sex_valid"),
            models.CheckConstraint(
                condition=in_choices("ssc_subtype", SscSubtype), name="patient_subtype_valid"
            ),
            *[
                models.CheckConstraint(
                    condition=in_choices(field, AntibodyResult), name=f"patient_{field}_valid"
                )
                for field, _label in AUTOANTIBODIES.values()
            ],
            models.CheckConstraint(
                condition=not_after("raynaud_onset", "diagnosis_date"),
                name="patient_raynaud_onset_not_after_diagnosis",
            ),
            models.CheckConstraint(
                condition=not_after("first_non_raynaud_onset", "diagnosis_date"),
                name="patient_first_onset_not_after_diagnosis",
            ),
            models.CheckConstraint(
                condition=not_after("birth_date", "diagnosis_date"),
                name="patient_diagnosis_not_before_birth",
            ),
            models.CheckConstraint(
                condition=precision_matches("raynaud_onset"),
                name="patient_raynaud_onset_precision",
            ),
            models.CheckConstraint(
                condition=precision_matches("first_non_raynaud_onset"),
                name="patient_first_onset_precision",
            ),
            models.CheckConstraint(
                condition=in_range("acr_eular_2013_score", 0, 28), name="patient_score_range"
            ),
        ]
        constraints = with_messages(constraints)
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


class SubtypeAssessment(RuleFieldsMixin, models.Model):
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
    access_patient_path = "patient"  # consent: see accounts.access
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "assessed_on"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "assessed_on"], name="subtype_one_per_day"),
            models.CheckConstraint(
                condition=in_choices("subtype", SscSubtype), name="subtype_valid"
            ),
        ]
        constraints = with_messages(constraints)

    def __str__(self) -> str:
        return f"{self.get_subtype_display()} on {self.assessed_on}"
