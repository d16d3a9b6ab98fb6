"""Radiographs, findings, lesion tracks and lesions."""

from __future__ import annotations

from django.db.models import Count
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, viewsets
from rest_framework.generics import get_object_or_404

from api.permissions import RegistryPermission
from api.schema import resource
from api.serializers.imaging import (
    FindingSerializer,
    LesionSerializer,
    LesionTrackSerializer,
    NestedLesionSerializer,
    RadiographSerializer,
)
from api.views.base import AccessLoggedMixin, IdempotentCreateMixin, RegistryViewSet
from api.views.patients import DELETE_REASON_INVALID
from imaging.filtersets import (
    FindingFilterSet,
    LesionFilterSet,
    LesionTrackFilterSet,
    RadiographFilterSet,
)
from imaging.models import CalcinosisLesion, LesionTrack, Radiograph, RadiographicFinding
from imaging.services import lesion_delete


@resource("Radiographs", one="a radiograph", many="radiographs")
class RadiographViewSet(RegistryViewSet):
    queryset = Radiograph.objects.select_related("dicom_instance__burned_in_reviewed_by")
    serializer_class = RadiographSerializer
    filterset_class = RadiographFilterSet
    ordering_fields = ["acquired_on", "updated_at"]


@resource("Findings", one="a finding", many="findings")
class FindingViewSet(RegistryViewSet):
    queryset = RadiographicFinding.objects.select_related("radiograph")  # its patient, logged
    serializer_class = FindingSerializer
    filterset_class = FindingFilterSet


@resource("Lesion tracks", one="a lesion track", many="lesion tracks")
class LesionTrackViewSet(RegistryViewSet):
    queryset = LesionTrack.objects.annotate(lesion_count=Count("lesions"))
    serializer_class = LesionTrackSerializer
    filterset_class = LesionTrackFilterSet


@resource("Lesions", one="a lesion", many="lesions")
@extend_schema_view(
    create=extend_schema(summary="Create a lesion from pixel points or millimetres"),
    partial_update=extend_schema(
        summary="Update some fields of a lesion (remeasure from pixel points or millimetres)"
    ),
)
class LesionViewSet(RegistryViewSet):
    queryset = CalcinosisLesion.objects.select_related("radiograph")
    serializer_class = LesionSerializer
    filterset_class = LesionFilterSet
    ordering_fields = ["longest_diameter_mm", "updated_at"]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "reason",
                OpenApiTypes.STR,
                required=False,
                description="Why the lesion is removed (kept in the audit trail).",
            )
        ]
    )
    def destroy(self, request, *args, **kwargs):
        reason = request.query_params.get("reason", "").strip()
        if len(reason) > 100 or not reason.isprintable():  # history_change_reason: 100 chars
            raise exceptions.ValidationError({"reason": [DELETE_REASON_INVALID]})
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        reason = self.request.query_params.get("reason", "").strip()
        if reason:  # the viewer asks for one; API clients may omit it (as before)
            lesion_delete(lesion=instance, reason=reason)
        else:
            instance.delete()


@resource("Lesions")
@extend_schema_view(
    list=extend_schema(summary="List a radiograph's lesions"),
    create=extend_schema(
        summary="Create a lesion on a radiograph from pixel points or millimetres"
    ),
)
class RadiographLesionViewSet(
    AccessLoggedMixin,
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """``/radiographs/{radiograph_id}/lesions/``; another center's radiograph is 404."""

    serializer_class = NestedLesionSerializer
    permission_classes = [RegistryPermission]
    filterset_class = LesionFilterSet

    def get_radiograph(self) -> Radiograph:
        if not hasattr(self, "_radiograph"):
            radiographs = Radiograph.objects.restrict(self.request.user)
            self._radiograph = get_object_or_404(radiographs, pk=self.kwargs["radiograph_pk"])
        return self._radiograph

    queryset = CalcinosisLesion.objects.none()  # the schema's model; requests use get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return CalcinosisLesion.objects.select_related("radiograph").filter(
            radiograph=self.get_radiograph()
        )

    def create(self, request, *args, **kwargs):
        self.get_radiograph()
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.save(radiograph=self.get_radiograph())
