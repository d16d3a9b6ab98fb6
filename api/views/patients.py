"""Patients, their visits and treatments."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, viewsets
from rest_framework.generics import get_object_or_404

from api.permissions import RegistryPermission
from api.schema import resource
from api.serializers.patients import PatientDetailSerializer, PatientSerializer
from api.serializers.visits import NestedVisitSerializer, TreatmentSerializer, VisitSerializer
from api.views.base import AccessLoggedMixin, IdempotentCreateMixin, RegistryViewSet
from patients.filtersets import PatientFilterSet, TreatmentFilterSet, VisitFilterSet
from patients.models import CalcinosisTreatment, Patient, Visit
from patients.services import patient_delete

DELETE_REASON_REQUIRED = (
    "Deleting a patient is explicit: give ?reason=... (kept in the audit trail)."
)
DELETE_REASON_INVALID = "The reason is plain text of at most 100 characters, no control characters."


@resource("Patients", one="a patient", many="patients")
class PatientViewSet(RegistryViewSet):
    """Patients of the user's centers (researchers: every center, pseudonymized)."""

    queryset = Patient.objects.select_related("center")
    filterset_class = PatientFilterSet
    ordering_fields = ["registry_id", "birth_date", "diagnosis_date", "updated_at", "created_at"]

    def base_queryset(self):
        queryset = self.queryset.all()
        if self.action in ("retrieve", "update", "partial_update"):
            visits = Visit.objects.select_related("patient").order_by("date", "id")
            queryset = queryset.prefetch_related(
                "subtype_assessments", Prefetch("visits", visits), "consent_states"
            )
        return queryset

    def get_serializer_class(self):
        # Reads and writes of one patient use the same shape (round-trip); lists stay lean.
        if self.action in ("retrieve", "create", "update", "partial_update"):
            return PatientDetailSerializer
        return PatientSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "reason", OpenApiTypes.STR, required=True, description="Why the patient is deleted."
            )
        ]
    )
    def destroy(self, request, *args, **kwargs):
        reason = request.query_params.get("reason", "").strip()
        if not reason:
            raise exceptions.ValidationError({"reason": [DELETE_REASON_REQUIRED]})
        if len(reason) > 100 or not reason.isprintable():  # history_change_reason: 100 chars
            raise exceptions.ValidationError({"reason": [DELETE_REASON_INVALID]})
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        patient_delete(patient=instance, reason=self.request.query_params["reason"].strip())


@resource("Visits", one="a visit", many="visits")
class VisitViewSet(RegistryViewSet):
    queryset = Visit.objects.select_related("patient")
    serializer_class = VisitSerializer
    filterset_class = VisitFilterSet
    ordering_fields = ["date", "updated_at"]


@resource("Treatments", one="a treatment", many="treatments")
class TreatmentViewSet(RegistryViewSet):
    queryset = CalcinosisTreatment.objects.select_related("patient")
    serializer_class = TreatmentSerializer
    filterset_class = TreatmentFilterSet
    ordering_fields = ["started_on", "stopped_on"]


@resource("Visits")
@extend_schema_view(
    list=extend_schema(summary="List a patient's visits"),
    create=extend_schema(summary="Record a visit of a patient"),
)
class PatientVisitViewSet(
    AccessLoggedMixin,
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """``/patients/{patient_id}/visits/``: a patient's visits; another center's patient is 404."""

    serializer_class = NestedVisitSerializer
    permission_classes = [RegistryPermission]
    filterset_class = VisitFilterSet
    ordering_fields = ["date", "updated_at"]

    def get_patient(self) -> Patient:
        if not hasattr(self, "_patient"):
            patients = Patient.objects.restrict(self.request.user)
            self._patient = get_object_or_404(patients, pk=self.kwargs["patient_pk"])
        return self._patient

    queryset = Visit.objects.none()  # the schema's model; requests use get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return Visit.objects.select_related("patient").filter(patient=self.get_patient())

    def create(self, request, *args, **kwargs):
        self.get_patient()
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.save(patient=self.get_patient())
