"""Filters of the radiograph, finding, lesion track and lesion lists (django-filter)."""

from __future__ import annotations

import django_filters as filters

from imaging.choices import BodyRegion, Finding, Laterality, Morphology, Segment, Side, Tissue, View
from imaging.models import CalcinosisLesion, LesionTrack, Radiograph, RadiographicFinding
from registry.filtersets import ScopedFilterSet, SinceFilter


class RadiographFilterSet(ScopedFilterSet):
    acquired_on = filters.DateFromToRangeFilter()
    body_region = filters.ChoiceFilter(choices=BodyRegion.choices)
    laterality = filters.ChoiceFilter(choices=Laterality.choices)
    view = filters.ChoiceFilter(choices=View.choices)
    updated_since = SinceFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Radiograph
        fields = ["patient", "visit"]


class FindingFilterSet(ScopedFilterSet):
    finding = filters.ChoiceFilter(choices=Finding.choices)
    patient = filters.NumberFilter(field_name="radiograph__patient")

    class Meta:
        model = RadiographicFinding
        fields = ["radiograph"]


class LesionTrackFilterSet(ScopedFilterSet):
    body_region = filters.ChoiceFilter(choices=BodyRegion.choices)
    laterality = filters.ChoiceFilter(choices=Side.choices)

    class Meta:
        model = LesionTrack
        fields = ["patient", "digit"]


class LesionFilterSet(ScopedFilterSet):
    patient = filters.NumberFilter(field_name="radiograph__patient")
    acquired_on = filters.DateFromToRangeFilter(field_name="radiograph__acquired_on")
    segment = filters.ChoiceFilter(choices=Segment.choices)
    tissue = filters.ChoiceFilter(choices=Tissue.choices)
    morphology = filters.ChoiceFilter(choices=Morphology.choices)
    updated_since = SinceFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = CalcinosisLesion
        fields = ["radiograph", "track", "digit"]
