"""Filters of the patient, visit and treatment lists (django-filter). The patient list's filters
also select an export's cohort (:mod:`exports.selection`) and the clinic's patient list."""

from __future__ import annotations

import math
from datetime import timedelta

import django_filters as filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.access import RADIOGRAPHS, access_of, research_consented
from accounts.filtersets import CenterCodeFilter
from accounts.models import Center
from imaging.models import CalcinosisLesion
from patients.choices import AUTOANTIBODIES, AntibodyResult, Sex, SscSubtype, Treatment, VisitType
from patients.duration import DAYS_PER_YEAR
from patients.models import CalcinosisTreatment, Patient, Visit
from patients.partial_dates import PRECISIONS, latest_start_with_midpoint_on_or_before
from registry.filtersets import ScopedFilterSet, SinceFilter


def onset_midpoint_q(field: str, cutoff) -> Q:
    """Patients whose onset midpoint (the date computations use) is on or before ``cutoff``."""
    query = Q()
    for precision in PRECISIONS:
        start = latest_start_with_midpoint_on_or_before(cutoff, precision)
        query |= Q(**{f"{field}_precision": precision, f"{field}__lte": start})
    return query


# Disease durations beyond a lifetime are typing errors (and overflow the date arithmetic).
MAX_DURATION_YEARS = 150


class PatientFilterSet(ScopedFilterSet):
    center = CenterCodeFilter(
        field_name="center__code",
        to_field_name="code",
        queryset=Center.objects.all(),
        help_text="Center code; repeat for several.",
    )
    ssc_subtype = filters.MultipleChoiceFilter(choices=SscSubtype.choices)
    sex = filters.ChoiceFilter(choices=Sex.choices)
    disease_duration_min = filters.NumberFilter(
        method="filter_duration_min",
        min_value=0,
        max_value=MAX_DURATION_YEARS,
        help_text="Years since the first non-Raynaud manifestation, at least.",
    )
    disease_duration_max = filters.NumberFilter(
        method="filter_duration_max",
        min_value=0,
        max_value=MAX_DURATION_YEARS,
        help_text="Years since the first non-Raynaud manifestation, at most.",
    )
    has_calcinosis = filters.BooleanFilter(
        method="filter_has_calcinosis", help_text="At least one calcinosis lesion recorded."
    )
    meets_acr_eular_2013 = filters.BooleanFilter(method="filter_meets")
    birth_date = filters.DateFromToRangeFilter()
    # What a researcher can read of a birth date is its year
    # (accounts.research_fields.PATIENT_FILTERS).
    # Years a date can hold: year 0 made the database's date arithmetic fail (a 500).
    birth_year = filters.NumberFilter(
        field_name="birth_date", lookup_expr="year", min_value=1, max_value=9999
    )
    birth_year_min = filters.NumberFilter(
        field_name="birth_date", lookup_expr="year__gte", min_value=1, max_value=9999
    )
    birth_year_max = filters.NumberFilter(
        field_name="birth_date", lookup_expr="year__lte", min_value=1, max_value=9999
    )
    diagnosis_date = filters.DateFromToRangeFilter()
    visit_date = filters.DateFromToRangeFilter(
        field_name="visits__date", distinct=True, help_text="Has a visit in this range."
    )
    updated_since = SinceFilter(field_name="updated_at", lookup_expr="gte")
    registry_id = filters.CharFilter()
    local_id = filters.CharFilter()

    class Meta:
        model = Patient
        fields: list[str] = []

    def filter_duration_min(self, queryset, name, value):
        # duration >= v  <=>  days since midpoint >= ceil(v * 365.25)
        cutoff = timezone.localdate() - timedelta(days=math.ceil(float(value) * DAYS_PER_YEAR))
        return queryset.filter(onset_midpoint_q("first_non_raynaud_onset", cutoff))

    def filter_duration_max(self, queryset, name, value):
        # duration <= v  <=>  days since midpoint <= floor(v * 365.25)
        #               <=>  not (midpoint <= today - floor(v * 365.25) - 1 day)
        days = math.floor(float(value) * DAYS_PER_YEAR) + 1
        cutoff = timezone.localdate() - timedelta(days=days)
        return queryset.filter(first_non_raynaud_onset__isnull=False).exclude(
            onset_midpoint_q("first_non_raynaud_onset", cutoff)
        )

    def __init__(self, *args, research: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        self.research = research or access_of(user).research

    def filter_has_calcinosis(self, queryset, name, value):
        lesions = CalcinosisLesion.objects.filter(radiograph__patient=OuterRef("pk"))
        if self.research:  # without the radiographs scope, researchers know neither answer
            queryset = research_consented(queryset, RADIOGRAPHS)
        return queryset.filter(Exists(lesions) if value else ~Exists(lesions))

    def filter_meets(self, queryset, name, value):
        return (
            queryset.filter(acr_eular_2013_score__gte=9)
            if value
            else queryset.filter(
                Q(acr_eular_2013_score__lt=9) | Q(acr_eular_2013_score__isnull=True)
            )
        )


for _key, (_field, _label) in AUTOANTIBODIES.items():
    PatientFilterSet.base_filters[_key] = filters.ChoiceFilter(
        field_name=_field, choices=AntibodyResult.choices, help_text=_label
    )


class VisitFilterSet(ScopedFilterSet):
    date = filters.DateFromToRangeFilter()
    visit_type = filters.ChoiceFilter(choices=VisitType.choices)
    updated_since = SinceFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Visit
        fields = ["patient"]


class TreatmentFilterSet(ScopedFilterSet):
    treatment = filters.ChoiceFilter(choices=Treatment.choices)
    active_on = filters.DateFilter(
        method="filter_active_on", help_text="Started on or before, not stopped before."
    )

    class Meta:
        model = CalcinosisTreatment
        fields = ["patient", "visit"]

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(started_on__lte=value).filter(
            Q(stopped_on__isnull=True) | Q(stopped_on__gte=value)
        )
