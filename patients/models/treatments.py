"""Calcinosis treatments with their start and stop dates and, where recorded, their dose."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from accounts.restricted import RestrictedQuerySet
from patients import validation
from patients.choices import DoseFrequency, DoseUnit, Treatment, TreatmentRoute
from patients.models.conditions import in_choices, not_after
from patients.models.patients import Patient
from patients.models.visits import Visit
from registry.audit import AuditedHistory
from registry.db_rules import RuleFieldsMixin, with_messages

# What a person records of a treatment (the clinic form, the admin inline and the API).
TREATMENT_FIELDS = (
    "treatment",
    "route",
    "other_text",
    "started_on",
    "stopped_on",
    "dose_amount",
    "dose_unit",
    "dose_frequency",
)


class CalcinosisTreatment(RuleFieldsMixin, models.Model):
    """A calcinosis treatment with its start and stop dates (DOMAIN.md's list) and, where
    recorded, its dose: an amount per administration in a UCUM unit, and how often it is given."""

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
    dose_amount = models.DecimalField(
        "dose",
        max_digits=9,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="Amount per administration, in the dose unit; empty when not recorded.",
    )
    dose_unit = models.CharField(
        "dose unit", max_length=8, choices=DoseUnit.choices, blank=True, default=""
    )
    dose_frequency = models.CharField(
        "dose frequency", max_length=20, choices=DoseFrequency.choices, blank=True, default=""
    )

    history = HistoricalRecords(bases=[AuditedHistory])

    access_center_path = "patient__center"  # see accounts.access
    access_patient_path = "patient"  # consent: see accounts.access
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "started_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=in_choices("treatment", Treatment), name="treatment_valid"
            ),
            models.CheckConstraint(
                condition=not_after("started_on", "stopped_on"), name="treatment_stop_after_start"
            ),
            models.CheckConstraint(
                condition=Q(route="") | Q(treatment=Treatment.SODIUM_THIOSULFATE),
                name="treatment_route_only_thiosulfate",
            ),
            models.CheckConstraint(
                condition=~Q(treatment=Treatment.OTHER) | ~Q(other_text=""),
                name="treatment_other_named",
            ),
            models.CheckConstraint(
                condition=Q(dose_amount__isnull=True, dose_unit="")
                | Q(dose_amount__gt=0, dose_unit__in=DoseUnit.values),
                name="treatment_dose_complete",
            ),
            models.CheckConstraint(
                condition=Q(dose_frequency__in=["", *DoseFrequency.values]),
                name="treatment_dose_frequency_valid",
            ),
            models.CheckConstraint(
                condition=~Q(treatment=Treatment.NONE)
                | Q(dose_amount__isnull=True, dose_frequency=""),
                name="treatment_none_has_no_dose",
            ),
        ]
        constraints = with_messages(constraints)

    def __str__(self) -> str:
        return self.get_treatment_display()

    @property
    def dose_text(self) -> str:
        """``2.5 mL weekly`` (the amount without trailing zeros); empty when none recorded."""
        amount = ""
        if self.dose_amount is not None:
            number = f"{self.dose_amount:f}"
            number = number.rstrip("0").rstrip(".") if "." in number else number
            amount = f"{number} {self.dose_unit}"
        frequency = self.get_dose_frequency_display().lower() if self.dose_frequency else ""
        return " ".join(part for part in (amount, frequency) if part)

    def clean(self) -> None:
        validation.raise_if(validation.treatment_errors(self))
