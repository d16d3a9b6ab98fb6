"""Research exports (asynchronous jobs) and clinic imports.

``POST /exports/`` answers 202 with the job; ``GET /exports/{id}/`` shows its state and
progress; ``GET /exports/{id}/download/`` returns the zip once it succeeded (409 before, 410
after it expired). A job exists only for the user who asked (and superusers): anyone else gets
404. ``POST /imports/`` validates a CSV (dry run by default) and commits it all or nothing.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from access_log.models import AccessKind
from access_log.recording import access_log_note
from accounts.access import access_of, restrict_owned
from api.exception_handler import PayloadTooLarge
from api.idempotency import idempotent
from api.openapi_examples import EXPORT_REQUEST_EXAMPLES
from api.schema import ERROR_BODY, resource
from api.serializers.exports import (
    DictionaryEntrySerializer,
    DictionaryQuerySerializer,
    ExportJobSerializer,
    ExportRequestSerializer,
    ImportReportSerializer,
    ImportRequestSerializer,
)
from api.views.base import IDEMPOTENCY_KEY
from api.views.dicom import JsonErrorsOnly
from exports import services
from exports.columns import for_requester
from exports.dictionary import dictionary_rows
from exports.imports.rows import IMPORT_LEVELS
from exports.levels import LOCAL_ID
from exports.models import ExportJob
from exports.runner import LEVEL_COLUMNS

NO_ROLE = "Your account has no role in any center."
NOT_READY = "The export is not ready: its status is {status}."
GONE = "This export expired and its file was deleted; request it again."
IMPORT_CLINICAL_ONLY = "Only clinicians and center admins import data."
IMPORT_TOO_LARGE = "The file is larger than REGISTRY_IMPORT_MAX_MB ({limit} MB): split it."
ZIP_RESPONSE = {
    (200, "application/zip"): OpenApiResponse(
        OpenApiTypes.BINARY, description="The export: data, data_dictionary.csv, manifest.json"
    ),
    409: OpenApiResponse(ERROR_BODY, description="Not ready yet (pending, running or failed)."),
    410: OpenApiResponse(ERROR_BODY, description="Expired: its file has been deleted."),
}


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = GONE
    default_code = "expired"


class NotReady(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "not_ready"


class AnyRole(BasePermission):
    """Exports are for anyone with a role: researchers too (they are read-only elsewhere)."""

    message = NO_ROLE

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and access_of(request.user).any)


@resource("Exports", one="an export job", many="your export jobs")
class ExportJobViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Export jobs of the requesting user (superusers: everyone's)."""

    serializer_class = ExportJobSerializer
    permission_classes = [AnyRole]
    parser_classes = [JSONParser]
    filter_backends: list = []
    queryset = ExportJob.objects.none()  # the schema's model; requests use get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        jobs = restrict_owned(ExportJob.objects.all(), self.request.user, "requested_by")
        return jobs.order_by("-created_at", "-id")

    @extend_schema(
        request=ExportRequestSerializer,
        responses={202: ExportJobSerializer},
        examples=EXPORT_REQUEST_EXAMPLES,
        parameters=[IDEMPOTENCY_KEY],
        summary="Request a pseudonymized export (answers 202; poll the job)",
    )
    def create(self, request, *args, **kwargs):
        return idempotent(request, lambda: self._create(request))

    def _create(self, request) -> Response:
        serializer = ExportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            job = services.export_request(user=request.user, **serializer.validated_data)
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error) or NO_ROLE) from error
        job.refresh_from_db()
        data = ExportJobSerializer(job, context={"request": request}).data
        headers = {"Location": request.build_absolute_uri(f"{request.path}{job.pk}/")}
        return Response(data, status=status.HTTP_202_ACCEPTED, headers=headers)

    @extend_schema(
        responses=ZIP_RESPONSE,
        summary="Download the finished export (409 before it is ready, 410 once expired)",
    )
    @action(detail=True, methods=["get"], content_negotiation_class=JsonErrorsOnly)
    def download(self, request, *args, **kwargs):
        job = self.get_object()
        try:
            handle = services.export_file(job=job)
        except services.ExportGone as error:
            raise Gone() from error
        except services.ExportNotReady as error:
            raise NotReady(NOT_READY.format(status=job.status)) from error
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"registry-export-{job.pk}-{job.level}-{job.format}.zip",
            content_type="application/zip",
        )
        response["ETag"] = f'"{job.checksum}"'
        response["X-Checksum-SHA256"] = job.checksum
        access_log_note(
            request, kind=AccessKind.EXPORT_DOWNLOAD, object_id=job.pk, checksum=job.checksum
        )
        return response

    @extend_schema(
        parameters=[DictionaryQuerySerializer],
        responses=DictionaryEntrySerializer(many=True),
        summary="The data dictionary of a level (also the import format)",
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def dictionary(self, request, *args, **kwargs):
        query = DictionaryQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        level = query.validated_data["level"]
        columns = for_requester(
            LEVEL_COLUMNS[level](query.validated_data["date_mode"]),
            research=access_of(request.user).research,
        )
        importable = level in IMPORT_LEVELS  # treatments, findings, progression: export only
        rows = dictionary_rows(
            columns, import_only=[LOCAL_ID] if importable else [], importable=importable
        )
        return Response(DictionaryEntrySerializer(rows, many=True).data)


class InMemoryImportHandler(FileUploadHandler):
    """An import file holds local identifiers (MRNs): it stays in memory, never in a temporary
    file, and is refused above REGISTRY_IMPORT_MAX_MB."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        limit = settings.REGISTRY_IMPORT_MAX_MB
        if start + len(raw_data) > limit * 1024 * 1024:
            raise PayloadTooLarge(IMPORT_TOO_LARGE.format(limit=limit), code="file_too_large")
        self.buffer.write(raw_data)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            self.buffer, self.field_name, self.file_name, self.content_type, file_size,
            self.charset, self.content_type_extra,
        )


@resource("Imports")
class ImportView(APIView):
    """``POST /api/v1/imports/``: a dry run by default (200 with the report); with
    ``dry_run=false`` it commits (201) or, if any row fails, writes nothing (422 + report)."""

    parser_classes = [MultiPartParser]
    permission_classes = [AnyRole]

    def initial(self, request, *args, **kwargs):
        request.upload_handlers = [InMemoryImportHandler(request)]
        super().initial(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer},
        responses={200: ImportReportSerializer, 201: ImportReportSerializer,
                   422: ImportReportSerializer},
        summary="Import a CSV into a center (validate every row, then all or nothing)",
    )
    def post(self, request, *args, **kwargs):
        if not access_of(request.user).clinical:
            raise exceptions.PermissionDenied(IMPORT_CLINICAL_ONLY)
        serializer = ImportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        center = services.import_center(user=request.user, code=values.get("center"))
        report = services.import_run(
            data=values["file"].read(), center=center, commit=not values["dry_run"]
        )
        body = report.as_dict()
        if report.committed:
            return Response(body, status=status.HTTP_201_CREATED)
        if values["dry_run"]:
            return Response(body, status=status.HTTP_200_OK)
        return Response(body, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
