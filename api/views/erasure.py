"""Erasure (GDPR Art. 17) and subject access (Art. 15) of one patient: center admins of the
patient's center and superusers only (erasure.services, erasure.subject_access).

Clinicians and researchers get 403; a center admin asking about another center's patient gets
404, exactly like a missing one (the access rule's ``administer`` action).
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from access_log.models import AccessKind
from access_log.recording import access_log_note
from accounts.access import Action, access_of, get_restricted_or_404
from api.schema import resource
from api.serializers.erasure import ErasureTombstoneSerializer, PatientEraseSerializer
from erasure.services import patient_erase
from erasure.subject_access import subject_access_report
from patients.models import Patient

ADMINS_ONLY = "Only center admins of the patient's center erase a patient or produce their record."


class PatientAdminOnly(permissions.BasePermission):
    """Center admins (of some center) and superusers; the patient's center is checked by the
    access rule when the patient is fetched."""

    message = ADMINS_ONLY

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated) and (
            access_of(request.user).administers
        )


def _patient(request, pk: int) -> Patient:
    return get_restricted_or_404(
        Patient.objects.select_related("center"), request.user, Action.ADMINISTER, pk=pk
    )


@resource("Erasure")
class PatientEraseView(APIView):
    """``POST /api/v1/patients/{id}/erase/``: erase the patient; answers the tombstone."""

    permission_classes = [PatientAdminOnly]

    @extend_schema(
        request=PatientEraseSerializer,
        responses={201: ErasureTombstoneSerializer},
        summary="Erase a patient and everything recorded about them (GDPR Art. 17)",
        operation_id="patients_erase",
    )
    def post(self, request, pk: int):
        patient = _patient(request, pk)
        serializer = PatientEraseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            tombstone = patient_erase(
                patient=patient, actor=request.user, reason=serializer.validated_data["reason"]
            )
        except Patient.DoesNotExist as error:  # erased by someone else meanwhile
            raise exceptions.NotFound() from error
        return Response(ErasureTombstoneSerializer(tombstone).data, status=status.HTTP_201_CREATED)


@resource("Erasure")
class PatientSubjectAccessView(APIView):
    """``GET /api/v1/patients/{id}/subject-access/``: everything held about the patient."""

    permission_classes = [PatientAdminOnly]

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        summary="Everything the registry holds about a patient (GDPR Art. 15)",
        operation_id="patients_subject_access",
    )
    def get(self, request, pk: int):
        patient = _patient(request, pk)

        def preview_url(radiograph) -> str:
            return request.build_absolute_uri(
                reverse("api:radiograph-preview", args=[radiograph.pk])
            )

        access_log_note(
            request, kind=AccessKind.SUBJECT_ACCESS, patient_ids=[patient.pk], object_id=patient.pk
        )
        return Response(subject_access_report(patient=patient, preview_url=preview_url))
