"""The access log for an audit: ``/access-log/`` (list and CSV) and
``/patients/{id}/access-log/`` ("who looked at this patient"). Center admins see the entries
about their centers' patients (only those patients' ids) and their members' exports; superusers
everything; anyone else 403 (:mod:`access_log.visibility`)."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission

from access_log.filtersets import AccessLogFilterSet
from access_log.models import AccessLogEntry
from access_log.report import access_log_csv
from access_log.visibility import audits, visible_entries
from accounts.access import Action, get_restricted_or_404
from api.schema import resource
from api.serializers.access_log import AccessLogEntrySerializer
from api.views.dicom import JsonErrorsOnly
from patients.models import Patient

AUDITORS_ONLY = "Only center admins (for their centers) and superusers read the access log."
CSV_RESPONSE = {
    (200, "text/csv"): OpenApiResponse(
        OpenApiTypes.STR, description="One line per entry (columns: access_log.report)."
    )
}
CSV_CHUNK = 2000


class AuditorsOnly(BasePermission):
    message = AUDITORS_ONLY

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and audits(request.user))


class AccessLogMixin:
    serializer_class = AccessLogEntrySerializer
    permission_classes = [AuditorsOnly]
    filterset_class = AccessLogFilterSet
    ordering_fields = ["at"]
    ordering = ["-at"]
    queryset = AccessLogEntry.objects.none()  # the schema's model; requests use get_queryset


@resource("Access log", one="an access log entry", many="access log entries")
class AccessLogViewSet(AccessLogMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Reads of your centers' patients, newest first; ``csv/`` downloads them for an audit."""

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return visible_entries(self.request.user)

    @extend_schema(responses=CSV_RESPONSE, summary="The access log as CSV (same filters)")
    @action(
        detail=False,
        methods=["get"],
        url_path="csv",
        pagination_class=None,
        content_negotiation_class=JsonErrorsOnly,
    )
    def csv(self, request, *args, **kwargs):
        entries = self.filter_queryset(self.get_queryset())
        response = StreamingHttpResponse(
            access_log_csv(entries.iterator(chunk_size=CSV_CHUNK)),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="access-log.csv"'
        return response


@resource("Access log")
@extend_schema_view(
    get=extend_schema(summary="Who read a patient's record: the patient's access log")
)
class PatientAccessLogView(AccessLogMixin, generics.ListAPIView):
    """``/patients/{id}/access-log/``: who looked at this patient (a patient of a center you
    administer; any other is 404)."""

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        user = self.request.user
        patient = get_restricted_or_404(
            Patient.objects.all(), user, Action.ADMINISTER, pk=self.kwargs["patient_pk"]
        )
        return visible_entries(user).filter(patients__patient_id=patient.pk)
