"""Calcinosis treatments with their start and stop dates."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from accounts.restricted import RestrictedQuerySet
from patients import validation
from patients.choices import Treatment, TreatmentRoute
from patients.models.conditions import in_choices, not_after
from patients.models.patients import Patient
from patients.models.visits import Visit
from registry.audit import AuditedHistory
from registry.db_rules import RuleFieldsMixin, with_messages


class CalcinosisTreatment(RuleFieldsMixin, models.Model):
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
        ]
        constraints = with_messages(constraints)

    def __str__(self) -> str:
        return self.get_treatment_display()

    def clean(self) -> None:
        validation.raise_if(validation.treatment_errors(self))
