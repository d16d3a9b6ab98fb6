"""DICOM over HTTP: upload, the de-identified file and its previews, the unmatched queue.

Uploads are held in memory only (InMemoryDicomUploadHandler): Django's default handlers write
any file over 2.5 MB to a temporary file, and an upload is identifiable until
imaging.dicom.ingest has de-identified it. Files and previews follow the radiograph's access
rules (clinicians of its center; researchers read-only; another center's radiograph is 404);
researchers get the pixels only of images released by the burned-in text rule
(DicomInstance.research_visible).
"""

from __future__ import annotations

import io
from collections import Counter

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from access_log.models import AccessKind
from access_log.recording import access_log_note
from accounts.access import Action, access_of, only_center
from api.exception_handler import PayloadTooLarge
from api.permissions import ClinicalOnly, RegistryPermission
from api.schema import resource
from api.serializers.dicom import (
    BurnedInReviewSerializer,
    BurnedInStateSerializer,
    DicomUploadResultSerializer,
    DicomUploadSerializer,
    UnmatchedAssignResultSerializer,
    UnmatchedAssignSerializer,
    UnmatchedInstanceSerializer,
)
from imaging.dicom import ingest, unmatched
from imaging.dicom.burned_in import dicom_burned_in_review
from imaging.dicom.previews import preview_batch
from imaging.models import DicomInstance, Radiograph

FILE_TOO_LARGE = "{name} is larger than REGISTRY_DICOM_MAX_FILE_MB ({limit} MB): send it alone."
TOO_MANY_FILES = "At most {limit} files per request (REGISTRY_DICOM_MAX_FILES)."
CENTER_REQUIRED = "You work in several centers: give `center` (or `patient`)."
CENTER_MISMATCH = "The patient belongs to another center than `center`."
NO_DICOM = "This radiograph was not received as DICOM."
PREVIEW_PENDING = "The preview is being rendered; try again in a few seconds."
PREVIEW_FAILED = "No preview could be rendered for this image; the DICOM file is available."
BURNED_IN = (
    "This image may show identifying text in its pixels (Burned In Annotation): it is withheld "
    "until a clinician has reviewed it."
)
SIZES = ("thumb", "viewer")
SIZE_PARAMETER = OpenApiParameter("size", OpenApiTypes.STR, enum=SIZES, default="thumb")
PNG_RESPONSE = {(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="PNG")}
DICOM_RESPONSE = {
    (200, "application/dicom"): OpenApiResponse(OpenApiTypes.BINARY, description="Part 10 file")
}


class InMemoryDicomUploadHandler(FileUploadHandler):
    """Keeps each uploaded file in memory, up to REGISTRY_DICOM_MAX_FILE_MB and
    REGISTRY_DICOM_MAX_FILES; over either, the request fails before reading further."""

    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.count = 0
        self.buffer = io.BytesIO()

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.count += 1
        if self.count > settings.REGISTRY_DICOM_MAX_FILES:
            raise exceptions.ValidationError(
                {"files": [TOO_MANY_FILES.format(limit=settings.REGISTRY_DICOM_MAX_FILES)]},
                code="too_many_files",
            )
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if start + len(raw_data) > ingest.max_file_bytes():
            limit = settings.REGISTRY_DICOM_MAX_FILE_MB
            raise PayloadTooLarge(
                FILE_TOO_LARGE.format(name=self.file_name, limit=limit), code="file_too_large"
            )
        self.buffer.write(raw_data)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            self.buffer,
            self.field_name,
            self.file_name,
            self.content_type,
            file_size,
            self.charset,
            self.content_type_extra,
        )


class JsonErrorsOnly(BaseContentNegotiation):
    """File views answer files directly; anything DRF renders (errors) is JSON, whatever the
    Accept header (an `Accept: image/png` must not turn an error into a 406)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@resource("DICOM")
class RadiographDicomUploadView(APIView):
    """``POST /api/v1/radiographs/dicom/``: one result per file; a bad file aborts nothing."""

    parser_classes = [MultiPartParser]
    permission_classes = [RegistryPermission]

    def initialize_request(self, request, *args, **kwargs):
        request.upload_handlers = [InMemoryDicomUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": DicomUploadSerializer},
        responses=DicomUploadResultSerializer,
        summary="Upload DICOM radiographs (de-identified on receipt; matched by Patient ID)",
    )
    def post(self, request):
        serializer = DicomUploadSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        patient = serializer.validated_data.get("patient")
        center = self._center(request, patient, serializer.validated_data.get("center"))
        results = []
        with preview_batch():
            for upload in serializer.validated_data["files"]:
                result = ingest.radiograph_ingest(
                    upload.read(),
                    center=center,
                    via=DicomInstance.Via.API,
                    user=request.user,
                    patient=patient,
                )
                results.append(self._result(upload.name, result))
        counts = Counter(result["outcome"] for result in results)
        body = {"results": results, "counts": {o: counts[o] for o in ingest.OUTCOMES}}
        return Response(DicomUploadResultSerializer(body).data, status=status.HTTP_200_OK)

    @staticmethod
    def _center(request, patient, center):
        if patient is not None:
            if center is not None and center.pk != patient.center_id:
                raise exceptions.ValidationError({"center": [CENTER_MISMATCH]})
            return patient.center
        if center is not None:
            return center
        try:
            return only_center(request.user, Action.CHANGE)
        except ValueError as error:
            raise exceptions.ValidationError({"center": [CENTER_REQUIRED]}) from error

    @staticmethod
    def _result(name: str, result: ingest.IngestResult) -> dict:
        return {
            "filename": name,
            "outcome": result.outcome,
            "reason": result.reason,
            "detail": result.detail,
            "instance": result.instance_id,
            "radiograph": result.radiograph_id,
            "sop_instance_uid": result.sop_instance_uid,
        }


def _file_response(field, content_type: str, filename: str) -> FileResponse:
    """A stored file; content-addressed, so its name is a strong ETag."""
    response = FileResponse(field.open("rb"), content_type=content_type, filename=filename)
    response["ETag"] = f'"{field.name.rsplit("/", 1)[-1]}"'
    response["Cache-Control"] = "private, max-age=3600"
    return response


def preview_response(request, instance: DicomInstance) -> FileResponse:
    """The PNG of ``?size=thumb|viewer``, or 404 with why there is none."""
    size = request.query_params.get("size", "thumb")
    if size not in SIZES:
        raise exceptions.ValidationError({"size": [f"Choose one of: {', '.join(SIZES)}."]})
    if instance.preview_status == DicomInstance.PreviewStatus.PENDING:
        raise exceptions.NotFound(PREVIEW_PENDING, code="preview_pending")
    if instance.preview_status == DicomInstance.PreviewStatus.FAILED:
        raise exceptions.NotFound(PREVIEW_FAILED, code="preview_failed")
    field = instance.thumbnail if size == "thumb" else instance.viewer_image
    return _file_response(field, "image/png", f"radiograph-{size}.png")


class RadiographFileView(APIView):
    """Base of the radiograph's DICOM file and preview: the radiograph's access rules; a file
    sent is a read of the patient's data (the access log's ``kind``)."""

    permission_classes = [RegistryPermission]
    content_negotiation_class = JsonErrorsOnly
    kind: str

    def instance(self, request, pk: int) -> DicomInstance:
        radiographs = Radiograph.objects.restrict(request.user)
        radiograph = get_object_or_404(radiographs, pk=pk)
        instance = DicomInstance.objects.filter(radiograph=radiograph).first()
        if instance is None:
            raise exceptions.NotFound(NO_DICOM, code="no_dicom")
        if access_of(request.user).research and not instance.research_visible:
            raise exceptions.PermissionDenied(BURNED_IN, code="burned_in_annotation")
        access_log_note(
            request, kind=self.kind, patient_ids=[radiograph.patient_id], object_id=radiograph.pk
        )
        return instance


@resource("DICOM")
class RadiographPreviewView(RadiographFileView):
    """``GET /api/v1/radiographs/{id}/preview.png?size=thumb|viewer``."""

    kind = AccessKind.PREVIEW_DOWNLOAD

    @extend_schema(
        parameters=[SIZE_PARAMETER],
        responses=PNG_RESPONSE,
        summary="PNG preview of the radiograph",
        operation_id="radiographs_preview",
    )
    def get(self, request, pk: int):
        return preview_response(request, self.instance(request, pk))


@resource("DICOM")
class RadiographDicomFileView(RadiographFileView):
    """``GET /api/v1/radiographs/{id}/dicom``."""

    kind = AccessKind.DICOM_DOWNLOAD

    @extend_schema(
        responses=DICOM_RESPONSE,
        summary="The de-identified DICOM file",
        operation_id="radiographs_dicom_file",
    )
    def get(self, request, pk: int):
        instance = self.instance(request, pk)
        return _file_response(
            instance.file, "application/dicom", f"{instance.sop_instance_uid}.dcm"
        )


@resource("DICOM")
class RadiographBurnedInReviewView(APIView):
    """``POST /api/v1/radiographs/{id}/burned-in-review/``: clinicians of the radiograph's
    center say whether its pixels show text (imaging.burned_in)."""

    permission_classes = [RegistryPermission]

    @extend_schema(
        request=BurnedInReviewSerializer,
        responses=BurnedInStateSerializer,
        summary="Review the image for burned-in text (releases it to researchers or not)",
        operation_id="radiographs_burned_in_review",
    )
    def post(self, request, pk: int):
        radiographs = Radiograph.objects.restrict(request.user, Action.CHANGE)
        radiograph = get_object_or_404(radiographs, pk=pk)
        instance = DicomInstance.objects.filter(radiograph=radiograph).first()
        if instance is None:
            raise exceptions.NotFound(NO_DICOM, code="no_dicom")
        serializer = BurnedInReviewSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        instance = dicom_burned_in_review(
            instance=instance, user=request.user, verdict=serializer.validated_data["verdict"]
        )
        return Response(BurnedInStateSerializer(instance).data)


@resource("DICOM", one="an image that matched no patient", many="images that matched no patient")
class UnmatchedInstanceViewSet(viewsets.ReadOnlyModelViewSet):
    """Images waiting for a clinician of the receiving center to choose the patient."""

    content_negotiation_class = JsonErrorsOnly

    serializer_class = UnmatchedInstanceSerializer
    permission_classes = [ClinicalOnly]
    filterset_fields = ["unmatched_reason", "center"]
    ordering_fields = ["received_at", "acquired_on"]
    queryset = DicomInstance.objects.none()  # the schema's model; requests use get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        same_source = (
            DicomInstance.objects.unmatched()
            .filter(center=OuterRef("center"), source_patient_key=OuterRef("source_patient_key"))
            .exclude(pk=OuterRef("pk"))
            .exclude(source_patient_key="")
            .order_by()
            .values("center")
            .annotate(n=Count("pk"))
            .values("n")
        )
        queryset = DicomInstance.objects.unmatched().annotate(
            same_source_count=Coalesce(Subquery(same_source), 0)
        )
        return queryset.restrict(self.request.user, Action.CHANGE)

    @extend_schema(
        request=UnmatchedAssignSerializer,
        responses=UnmatchedAssignResultSerializer,
        summary="Assign the image (and optionally its same-source images) to a patient",
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def assign(self, request, pk=None):
        instance = self.get_object()
        serializer = UnmatchedAssignSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        targets = [instance]
        if values.pop("same_source"):
            targets += list(unmatched.same_source_unmatched(instance).order_by("pk"))
        assigned = []
        try:
            with transaction.atomic():  # all of them or none
                for target in targets:
                    done = unmatched.unmatched_assign(instance=target, user=request.user, **values)
                    assigned.append({"instance": done.pk, "radiograph": done.radiograph_id})
        except DjangoValidationError as exc:
            raise serializers.ValidationError(serializers.as_serializer_error(exc)) from exc
        return Response(UnmatchedAssignResultSerializer({"assigned": assigned}).data)

    @extend_schema(
        parameters=[SIZE_PARAMETER],
        responses=PNG_RESPONSE,
        summary="PNG preview of a queued image",
        operation_id="dicom_unmatched_preview",
    )
    def preview(self, request, pk=None):
        """Routed in api/urls.py (``preview.png`` without the router's trailing slash)."""
        return preview_response(request, self.get_object())
