"""Radiographs, findings, lesion tracks and lesions."""

from __future__ import annotations

from django.db.models import Count
from rest_framework import mixins, viewsets
from rest_framework.generics import get_object_or_404

from api.permissions import RegistryPermission
from api.serializers.imaging import (
    FindingSerializer,
    LesionSerializer,
    LesionTrackSerializer,
    NestedLesionSerializer,
    RadiographSerializer,
)
from api.views.base import AccessLoggedMixin, IdempotentCreateMixin, RegistryViewSet
from imaging.filtersets import (
    FindingFilterSet,
    LesionFilterSet,
    LesionTrackFilterSet,
    RadiographFilterSet,
)
from imaging.models import CalcinosisLesion, LesionTrack, Radiograph, RadiographicFinding


class RadiographViewSet(RegistryViewSet):
    queryset = Radiograph.objects.select_related("dicom_instance__burned_in_reviewed_by")
    serializer_class = RadiographSerializer
    filterset_class = RadiographFilterSet
    ordering_fields = ["acquired_on", "updated_at"]


class FindingViewSet(RegistryViewSet):
    queryset = RadiographicFinding.objects.select_related("radiograph")  # its patient, logged
    serializer_class = FindingSerializer
    filterset_class = FindingFilterSet


class LesionTrackViewSet(RegistryViewSet):
    queryset = LesionTrack.objects.annotate(lesion_count=Count("lesions"))
    serializer_class = LesionTrackSerializer
    filterset_class = LesionTrackFilterSet


class LesionViewSet(RegistryViewSet):
    queryset = CalcinosisLesion.objects.select_related("radiograph")
    serializer_class = LesionSerializer
    filterset_class = LesionFilterSet
    ordering_fields = ["longest_diameter_mm", "updated_at"]


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
