"""Filters of the list endpoints (django-filter)."""

from __future__ import annotations

import math
from datetime import UTC, timedelta

import django_filters as filters
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.access import restrict
from accounts.models import Center
from api import research_fields
from imaging.choices import BodyRegion, Finding, Laterality, Morphology, Segment, Side, Tissue, View
from imaging.models import CalcinosisLesion, LesionTrack, Radiograph, RadiographicFinding
from patients.choices import AUTOANTIBODIES, AntibodyResult, Sex, SscSubtype, Treatment, VisitType
from patients.duration import DAYS_PER_YEAR
from patients.models import CalcinosisTreatment, Patient, Visit
from patients.partial_dates import PRECISIONS, latest_start_with_midpoint_on_or_before


def onset_midpoint_q(field: str, cutoff) -> Q:
    """Patients whose onset midpoint (the date computations use) is on or before ``cutoff``."""
    query = Q()
    for precision in PRECISIONS:
        start = latest_start_with_midpoint_on_or_before(cutoff, precision)
        query |= Q(**{f"{field}_precision": precision, f"{field}__lte": start})
    return query


# Disease durations beyond a lifetime are typing errors (and overflow the date arithmetic).
MAX_DURATION_YEARS = 150


class ScopedFilterSet(filters.FilterSet):
    """A filter naming another center's record is refused exactly like one naming a record that
    does not exist: otherwise "200 empty" versus "400 invalid choice" leaks its existence.

    ``research_filters`` are the parameters a researcher may use (none unless listed)."""

    research_filters: frozenset[str] = frozenset()

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is None:
            return
        for flt in self.filters.values():
            if isinstance(flt, filters.ModelChoiceFilter | filters.ModelMultipleChoiceFilter):
                flt.queryset = restrict(flt.queryset, request.user)


class UtcIsoDateTimeField(IsoDateTimeField):
    """ISO 8601 allows offsets up to ±23:59, PostgreSQL only ±15:59: compare in UTC, and refuse a
    date that UTC takes out of the calendar's range instead of failing in the database."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc


class SinceFilter(filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


@extend_schema_field(OpenApiTypes.STR)
class CenterCodeFilter(filters.ModelMultipleChoiceFilter):
    """Center codes; repeat the parameter for several."""


class CenterFilterSet(ScopedFilterSet):
    research_filters = research_fields.CENTER_FILTERS

    class Meta:
        model = Center
        fields = ["code"]


class PatientFilterSet(ScopedFilterSet):
    research_filters = research_fields.PATIENT_FILTERS
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
    # What a researcher can read of a birth date is its year (research_fields.PATIENT_FILTERS).
    birth_year = filters.NumberFilter(field_name="birth_date", lookup_expr="year")
    birth_year_min = filters.NumberFilter(field_name="birth_date", lookup_expr="year__gte")
    birth_year_max = filters.NumberFilter(field_name="birth_date", lookup_expr="year__lte")
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

    def filter_has_calcinosis(self, queryset, name, value):
        lesions = CalcinosisLesion.objects.filter(radiograph__patient=OuterRef("pk"))
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
    research_filters = research_fields.VISIT_FILTERS
    date = filters.DateFromToRangeFilter()
    visit_type = filters.ChoiceFilter(choices=VisitType.choices)
    updated_since = SinceFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Visit
        fields = ["patient"]


class TreatmentFilterSet(ScopedFilterSet):
    research_filters = research_fields.TREATMENT_FILTERS
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


class RadiographFilterSet(ScopedFilterSet):
    research_filters = research_fields.RADIOGRAPH_FILTERS
    acquired_on = filters.DateFromToRangeFilter()
    body_region = filters.ChoiceFilter(choices=BodyRegion.choices)
    laterality = filters.ChoiceFilter(choices=Laterality.choices)
    view = filters.ChoiceFilter(choices=View.choices)
    updated_since = SinceFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Radiograph
        fields = ["patient", "visit"]


class FindingFilterSet(ScopedFilterSet):
    research_filters = research_fields.FINDING_FILTERS
    finding = filters.ChoiceFilter(choices=Finding.choices)
    patient = filters.NumberFilter(field_name="radiograph__patient")

    class Meta:
        model = RadiographicFinding
        fields = ["radiograph"]


class LesionTrackFilterSet(ScopedFilterSet):
    research_filters = research_fields.LESION_TRACK_FILTERS
    body_region = filters.ChoiceFilter(choices=BodyRegion.choices)
    laterality = filters.ChoiceFilter(choices=Side.choices)

    class Meta:
        model = LesionTrack
        fields = ["patient", "digit"]


class LesionFilterSet(ScopedFilterSet):
    research_filters = research_fields.LESION_FILTERS
    patient = filters.NumberFilter(field_name="radiograph__patient")
    acquired_on = filters.DateFromToRangeFilter(field_name="radiograph__acquired_on")
    segment = filters.ChoiceFilter(choices=Segment.choices)
    tissue = filters.ChoiceFilter(choices=Tissue.choices)
    morphology = filters.ChoiceFilter(choices=Morphology.choices)
    updated_since = SinceFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = CalcinosisLesion
        fields = ["radiograph", "track", "digit"]
