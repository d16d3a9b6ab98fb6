"""The viewset every clinical resource uses, composed of named mixins: center scoping
(:class:`RestrictedQuerysetMixin`), ETags (:class:`EtagMixin`), Idempotency-Key on create
(:class:`IdempotentCreateMixin`), If-Match on update and delete (:class:`IfMatchUpdateMixin`) and
the audit history of each record (:class:`HistoryMixin`). Nested create-only viewsets
(``/patients/{id}/visits/``) take the create mixin alone."""

from __future__ import annotations

import itertools

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from access_log.models import AccessKind
from access_log.patients import patient_ids_of
from access_log.recording import access_log_note
from accounts.access import Action, restrict
from api.concurrency import check_if_match, etag_for
from api.idempotency import idempotent
from api.permissions import ClinicalOnly, RegistryPermission
from api.serializers.history import HistoryEntrySerializer

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="The ETag you read; if the record changed since, the write is refused with 412. "
    "Without it the write is accepted even if someone else changed the record.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (e.g. a UUID). Retrying the same POST with the same key and "
    "body returns the first response instead of creating a second record.",
)
HISTORY_LIMIT = 500


class RestrictedQuerysetMixin:
    """Rows limited by the one access rule (the model's ``access_center_path``) for the request's
    action; a viewset narrows or prefetches in :meth:`base_queryset`."""

    def base_queryset(self):
        return self.queryset.all()

    def get_queryset(self):
        return restrict(
            self.base_queryset(), self.request.user, Action.for_method(self.request.method)
        )


class AccessLoggedMixin:
    """Reads of patient-bound rows go to the access log (:mod:`access_log.recording`): a list
    page with the patients it returned, one record with its patient. The patients come from the
    objects being serialized, so no viewset repeats it and no row costs a query."""

    logged_reads = {"list": AccessKind.API_LIST, "retrieve": AccessKind.API_DETAIL}

    def get_serializer(self, *args, **kwargs):
        kind = self.logged_reads.get(getattr(self, "action", None))
        if args and kind and self.request.method in ("GET", "HEAD"):
            rows = args[0] if kwargs.get("many") else [args[0]]
            self.note_read(rows, kind)
        return super().get_serializer(*args, **kwargs)

    def note_read(self, rows, kind: str) -> None:
        rows = list(rows)
        patient_ids = patient_ids_of(rows, type(rows[0])) if rows else []
        if patient_ids:
            named = next((v for v in self.kwargs.values() if str(v).isdigit()), None)
            access_log_note(
                self.request,
                kind=kind,
                patient_ids=patient_ids,
                object_id=int(named) if named is not None else None,
            )


class EtagMixin:
    """A response carrying one record carries its ETag (the If-Match of the next write)."""

    def with_etag(self, response: Response, instance) -> Response:
        response["ETag"] = etag_for(instance)
        return response


class IdempotentCreateMixin(EtagMixin):
    """POST with an Idempotency-Key: a retry with the same key and body returns the first
    response instead of creating a second record."""

    def create(self, request, *args, **kwargs):
        return idempotent(request, lambda: self.create_once(request))

    def create_once(self, request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        response = Response(serializer.data, status=status.HTTP_201_CREATED)
        return self.with_etag(response, serializer.instance)


class IfMatchUpdateMixin(EtagMixin):
    """PUT, PATCH and DELETE on a locked row, refused with 412 when If-Match names an older
    version."""

    def get_locked_object(self):
        """The object (scoped: 404 for other centers), its row locked for the rest of the
        transaction and read again, so the If-Match check and the write see one version."""
        instance = self.get_object()
        # Only this row: the model's default ordering may join the parent (radiograph -> patient),
        # and locking the parent's row too deadlocks concurrent writes to its siblings.
        rows = type(instance)._default_manager.filter(pk=instance.pk).order_by().values("pk")
        list(rows.select_for_update(of=("self",)))
        instance = self.get_object()
        check_if_match(self.request, instance)
        return instance

    @transaction.atomic
    def update(self, request, *args, **kwargs):
        instance = self.get_locked_object()
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        return self.with_etag(Response(serializer.data), serializer.instance)

    @transaction.atomic
    def destroy(self, request, *args, **kwargs):
        instance = self.get_locked_object()
        self.perform_destroy(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)


class HistoryMixin:
    """``{id}/history/``: the record's audit trail (clinical roles only)."""

    @extend_schema(
        responses=HistoryEntrySerializer(many=True),
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        permission_classes=[ClinicalOnly],
        pagination_class=None,
        filter_backends=[],
    )
    def history(self, request, *args, **kwargs):
        instance = self.get_object()
        self.note_read([instance], AccessKind.API_HISTORY)
        records = list(
            instance.history.select_related("history_user").order_by("-history_id")[:HISTORY_LIMIT]
        )
        previous = {
            newer.history_id: older for newer, older in itertools.pairwise(records)
        }
        serializer = HistoryEntrySerializer(records, many=True, context={"previous": previous})
        return Response(serializer.data)


@extend_schema(parameters=[IF_MATCH], methods=["PUT", "PATCH", "DELETE"])
@extend_schema(parameters=[IDEMPOTENCY_KEY], methods=["POST"])
class RegistryViewSet(
    AccessLoggedMixin,
    RestrictedQuerysetMixin,
    IdempotentCreateMixin,
    IfMatchUpdateMixin,
    HistoryMixin,
    viewsets.ModelViewSet,
):
    """CRUD on one model, limited by the one access rule (the model's ``access_center_path``)."""

    permission_classes = [RegistryPermission]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        return self.with_etag(Response(self.get_serializer(instance).data), instance)
