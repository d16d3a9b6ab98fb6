"""Clinic visits: skin score, calcinosis symptoms and hand function."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from accounts.restricted import RestrictedQuerySet
from patients import validation
from patients.choices import VisitType
from patients.models.conditions import in_choices, in_range
from patients.models.patients import Patient
from patients.mrss import MRSS_TOTAL_MAX
from registry.audit import AuditedHistory
from registry.db_rules import RuleFieldsMixin, rule_message, with_messages


def _bounds(rule: str, high: int) -> list:
    """0..high, saying the database rule's sentence (registry.db_rules) when out of range."""
    message = rule_message(rule)
    return [MinValueValidator(0, message=message), MaxValueValidator(high, message=message)]


class Visit(RuleFieldsMixin, models.Model):
    """A clinic visit with its skin score and calcinosis symptoms."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="visits")
    date = models.DateField()
    visit_type = models.CharField(
        max_length=12, choices=VisitType.choices, default=VisitType.FOLLOW_UP
    )
    # Modified Rodnan skin score: total 0-51, or the 17 site scores 0-3 (patients.mrss).
    mrss_total = models.PositiveSmallIntegerField(
        "mRSS total", null=True, blank=True, validators=_bounds("visit_mrss_range", MRSS_TOTAL_MAX)
    )
    mrss_sites = models.JSONField("mRSS site scores", null=True, blank=True)
    # Calcinosis pain: 0-10 numeric rating scale, or 0-100 mm visual analogue scale.
    calcinosis_pain_nrs = models.PositiveSmallIntegerField(
        "calcinosis pain (NRS 0-10)",
        null=True,
        blank=True,
        validators=_bounds("visit_pain_nrs_range", 10),
    )
    calcinosis_pain_vas_mm = models.PositiveSmallIntegerField(
        "calcinosis pain (VAS 0-100 mm)",
        null=True,
        blank=True,
        validators=_bounds("visit_pain_vas_range", 100),
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
        "Cochin Hand Function Scale",
        null=True,
        blank=True,
        validators=_bounds("visit_chfs_range", 90),
    )
    digital_ulcer_count = models.PositiveSmallIntegerField(
        "digital ulcers (current)",
        null=True,
        blank=True,
        validators=_bounds("visit_digital_ulcers_range", 50),
    )
    raynaud_attacks_per_day = models.DecimalField(
        "Raynaud attacks per day",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=_bounds("visit_raynaud_range", 100),
    )
    notes = models.TextField(blank=True, default="", help_text="Free text; never exported.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = HistoricalRecords(bases=[AuditedHistory])

    access_center_path = "patient__center"  # see accounts.access
    access_patient_path = "patient"  # consent: see accounts.access
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
            models.CheckConstraint(
                condition=in_choices("visit_type", VisitType), name="visit_type_valid"
            ),
            models.CheckConstraint(
                condition=in_range("mrss_total", 0, MRSS_TOTAL_MAX), name="visit_mrss_range"
            ),
            models.CheckConstraint(
                condition=in_range("calcinosis_pain_nrs", 0, 10), name="visit_pain_nrs_range"
            ),
            models.CheckConstraint(
                condition=in_range("calcinosis_pain_vas_mm", 0, 100), name="visit_pain_vas_range"
            ),
            models.CheckConstraint(
                condition=in_range("chfs_total", 0, 90), name="visit_chfs_range"
            ),
            models.CheckConstraint(
                condition=in_range("digital_ulcer_count", 0, 50), name="visit_digital_ulcers_range"
            ),
            models.CheckConstraint(
                condition=in_range("raynaud_attacks_per_day", 0, 100), name="visit_raynaud_range"
            ),
            models.CheckConstraint(
                condition=Q(mrss_sites__isnull=True) | Q(mrss_total__isnull=False),
                name="visit_mrss_sites_give_total",
            ),
        ]
        constraints = with_messages(constraints)

    def __str__(self) -> str:
        return f"{self.get_visit_type_display()} {self.date}"

    def clean(self) -> None:
        validation.raise_if(validation.visit_errors(self))
