"""Progression of a patient (JSON and chart), of a cohort, and cohort recomputation jobs."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from access_log.models import AccessKind
from access_log.recording import access_log_note
from accounts.access import RADIOGRAPHS, access_of, restrict_to_scope
from api.filter_backends import refuse_for_research, research_filters
from api.idempotency import idempotent
from api.permissions import RegistryPermission
from api.schema import resource
from api.serializers.progression import (
    CohortRecomputeSerializer,
    ProgressionSerializer,
    RecomputeJobSerializer,
)
from patients.filtersets import PatientFilterSet
from patients.models import Patient
from progression.charts import kaplan_meier_chart_svg, progression_chart_svg
from progression.cohort_jobs import cohort_recompute_start
from progression.cohort_summary import cohort_progression_summary, cohort_summary_suppressed
from progression.engine.rules import RULE_KEYS, Rules
from progression.services import progression_detail

RULE_PARAMETERS = [
    OpenApiParameter(
        key,
        OpenApiTypes.FLOAT,
        required=False,
        description="Override (computed on the fly, not stored).",
    )
    for key in RULE_KEYS
]
SVG = OpenApiResponse(OpenApiTypes.STR, description="An SVG image (image/svg+xml).")
BAND_WIDTH = OpenApiParameter(
    "band_width_years",
    OpenApiTypes.FLOAT,
    required=False,
    description="Width of the disease-duration bands (default 5).",
)
SUPERUSERS_ONLY = "Only registry administrators recompute the whole cohort."


def rule_overrides(request) -> dict[str, str]:
    """Rule overrides from the query string, validated (a bad value names its parameter)."""
    overrides = {key: request.query_params[key] for key in RULE_KEYS if key in request.query_params}
    try:
        Rules.from_mapping(overrides)
    except ValueError as exc:
        key = next((k for k in RULE_KEYS if k in str(exc)), None)
        raise exceptions.ValidationError({key or "rules": [str(exc)]}) from exc
    return overrides


def svg_response(svg: str) -> HttpResponse:
    return HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")


@resource("Progression")
class PatientProgressionViewSet(viewsets.ViewSet):
    """``/patients/{id}/progression/``: the stored snapshot, or computed with overrides."""

    permission_classes = [RegistryPermission]

    def _patient(self, request, patient_pk) -> Patient:
        # Progression is read off the radiographs: a researcher needs that scope too.
        patients = restrict_to_scope(Patient.objects.restrict(request.user), request.user,
                                     RADIOGRAPHS)
        patient = get_object_or_404(patients, pk=patient_pk)
        access_log_note(
            request, kind=AccessKind.API_DETAIL, patient_ids=[patient.pk], object_id=patient.pk
        )
        return patient

    @extend_schema(
        parameters=RULE_PARAMETERS,
        responses=ProgressionSerializer,
        summary="A patient's calcinosis progression (DOMAIN.md rules)",
    )
    def list(self, request, patient_pk=None):
        patient = self._patient(request, patient_pk)
        return Response(progression_detail(patient_id=patient.pk, rules=rule_overrides(request)))

    @extend_schema(
        parameters=RULE_PARAMETERS,
        responses={(200, "image/svg+xml"): SVG},
        summary="Burden over time per region series, statuses marked (SVG)",
    )
    def chart(self, request, patient_pk=None):
        patient = self._patient(request, patient_pk)
        detail = progression_detail(patient_id=patient.pk, rules=rule_overrides(request))
        return svg_response(progression_chart_svg(detail))


@resource("Cohort")
class CohortProgressionViewSet(viewsets.ViewSet):
    """``/cohort/progression/``: statuses, burden by disease duration, Kaplan-Meier."""

    permission_classes = [RegistryPermission]
    filterset_class = PatientFilterSet

    def _patients(self, request):
        # Cohort statistics come from radiograph measurements: for researchers, only patients
        # who granted research and radiographs (docs/governance.md).
        patients = restrict_to_scope(Patient.objects.restrict(request.user), request.user,
                                     RADIOGRAPHS)
        params = request.query_params.copy()
        params.pop("band_width_years", None)
        if access_of(request.user).research:
            refuse_for_research(set(params) - research_filters(PatientFilterSet))
        filterset = PatientFilterSet(params, queryset=patients, request=request)
        if not filterset.is_valid():
            raise exceptions.ValidationError(filterset.errors)
        return filterset.qs

    def _band_width(self, request) -> float:
        raw = request.query_params.get("band_width_years", "5")
        try:
            width = float(raw)
        except ValueError:
            width = 0.0
        if not 0.5 <= width <= 50:
            raise exceptions.ValidationError(
                {"band_width_years": ["Give a band width from 0.5 to 50 years."]}
            )
        return width

    def _summary(self, request) -> dict:
        """The summary; a researcher's with small counts suppressed (REGISTRY_MIN_CELL_SIZE)."""
        summary = cohort_progression_summary(
            self._patients(request), band_width_years=self._band_width(request)
        )
        if access_of(request.user).research:
            return cohort_summary_suppressed(summary, min_cell=settings.REGISTRY_MIN_CELL_SIZE)
        return summary

    @extend_schema(
        parameters=[BAND_WIDTH],
        responses=OpenApiTypes.OBJECT,
        summary="Cohort progression: counts, burden by disease duration, Kaplan-Meier",
    )
    def list(self, request):
        return Response(self._summary(request))

    @extend_schema(
        parameters=[BAND_WIDTH],
        responses={(200, "image/svg+xml"): SVG},
        summary="Kaplan-Meier curve of progression-free proportion (SVG)",
    )
    def chart(self, request):
        summary = self._summary(request)
        return svg_response(kaplan_meier_chart_svg(summary["kaplan_meier"]["follow_up"]))

    @extend_schema(
        request=CohortRecomputeSerializer,
        responses={202: RecomputeJobSerializer},
        summary="Recompute every patient's progression (a job with progress)",
    )
    def recompute(self, request):
        if not request.user.is_superuser:
            raise exceptions.PermissionDenied(SUPERUSERS_ONLY)

        def start() -> Response:
            serializer = CohortRecomputeSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            job = cohort_recompute_start(
                rules=serializer.validated_data.get("rules"), user=request.user
            )
            return Response(RecomputeJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

        return idempotent(request, start)
