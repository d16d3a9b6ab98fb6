"""Consent documents (center admins write, clinical users of the center read), a patient's
consent records and withdrawals (clinical users of the patient's center record and read; nobody
edits one afterwards: a correction is a new record or withdrawal; superusers delete an entry
made in error in the admin), and the patients whose consent needs action. Researchers: 403.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.serializers import as_serializer_error

from accounts.access import Action, access_of, restrict
from api.permissions import NO_ROLE, RegistryPermission
from api.schema import resource
from api.serializers.consent import (
    ConsentDocumentSerializer,
    ConsentIssueSerializer,
    ConsentRecordSerializer,
    ConsentWithdrawalSerializer,
)
from api.views.base import AccessLoggedMixin, IdempotentCreateMixin
from consent.models import ConsentDocument, ConsentRecord, ConsentWithdrawal
from consent.selection import patients_with_consent_issue
from consent.services import consent_document_delete
from patients.models import Patient

CLINICAL_ONLY = "Consent is read and recorded by the patient's clinicians and center admins."
ADMINS_ONLY = "Only center admins manage consent documents."
NO_PDF = "This document has no PDF."


class ConsentPermission(RegistryPermission):
    """Clinical users only (researchers never read consent rows)."""

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        access = access_of(request.user)
        if not access.clinical:
            self.message = CLINICAL_ONLY if access.any else NO_ROLE
            return False
        return True


class ConsentDocumentPermission(ConsentPermission):
    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if (
            request.method not in ("GET", "HEAD", "OPTIONS")
            and not access_of(request.user).administers
        ):
            self.message = ADMINS_ONLY
            return False
        return True


@resource("Consent", one="a consent document", many="consent documents")
class ConsentDocumentViewSet(viewsets.ModelViewSet):
    """``/consent-documents/``: versions of the centers' consent forms."""

    serializer_class = ConsentDocumentSerializer
    permission_classes = [ConsentDocumentPermission]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    queryset = ConsentDocument.objects.none()
    filterset_fields = ["language"]
    ordering_fields = ["effective_on", "title"]

    def get_queryset(self):
        documents = ConsentDocument.objects.with_superseded().select_related("center")
        read = self.request.method in ("GET", "HEAD", "OPTIONS")
        return restrict(documents, self.request.user, Action.VIEW if read else Action.ADMINISTER)

    def perform_destroy(self, instance):
        try:
            consent_document_delete(document=instance)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(as_serializer_error(exc)) from exc

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
        summary="The document's PDF",
    )
    @action(detail=True, methods=["get"], url_path="pdf")
    def pdf(self, request, pk=None):
        document = self.get_object()
        if not document.pdf:
            raise exceptions.NotFound(NO_PDF)
        try:
            handle = document.pdf.open("rb")
        except FileNotFoundError as error:  # the storage lost it: say so, not 500
            raise exceptions.NotFound(NO_PDF) from error
        return FileResponse(handle, content_type="application/pdf", filename="consent.pdf")


class PatientConsentMixin(AccessLoggedMixin, IdempotentCreateMixin):
    """A patient's consent rows; another center's patient is 404."""

    permission_classes = [ConsentPermission]

    def get_patient(self) -> Patient:
        if not hasattr(self, "_patient"):
            action = Action.for_method(self.request.method)
            patients = Patient.objects.restrict(self.request.user, action)
            self._patient = get_object_or_404(patients, pk=self.kwargs["patient_pk"])
        return self._patient

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        rows = self.queryset.model.objects.select_related("patient", "recorded_by")
        return rows.filter(patient=self.get_patient())

    def create(self, request, *args, **kwargs):
        self.get_patient()  # another center's patient: 404 before the body is read
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.save(patient=self.get_patient(), recorded_by=self.request.user)


@resource("Consent")
@extend_schema_view(
    list=extend_schema(summary="List a patient's signed consents"),
    create=extend_schema(summary="Record a patient's signed consent"),
)
class PatientConsentRecordViewSet(
    PatientConsentMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """``/patients/{patient_pk}/consent-records/``: signatures (create and read only)."""

    serializer_class = ConsentRecordSerializer
    queryset = ConsentRecord.objects.none()


@resource("Consent")
@extend_schema_view(
    list=extend_schema(summary="List a patient's consent withdrawals"),
    create=extend_schema(summary="Record a patient's withdrawal of consent"),
)
class PatientConsentWithdrawalViewSet(
    PatientConsentMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """``/patients/{patient_pk}/consent-withdrawals/``: withdrawals (create and read only)."""

    serializer_class = ConsentWithdrawalSerializer
    queryset = ConsentWithdrawal.objects.none()


@resource("Consent")
@extend_schema_view(
    list=extend_schema(summary="List patients whose consent needs action")
)
class ConsentIssueViewSet(AccessLoggedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """``/consent-issues/``: the user's centers' patients whose consent is missing or on a
    superseded document version."""

    serializer_class = ConsentIssueSerializer
    permission_classes = [ConsentPermission]
    queryset = Patient.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        patients = Patient.objects.restrict(self.request.user).select_related("center")
        return patients_with_consent_issue(patients).order_by("registry_id")
