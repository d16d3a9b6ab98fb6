"""``/tasks/``: every background job the user may see (their own; every job for superusers),
of every kind, newest first; ``/tasks/{id}/``: a cohort recomputation (an export's own resource
is ``/exports/{id}/``, named by each row's ``url``)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from accounts.access import restrict_owned
from api.pagination import INVALID_CURSOR, RegistryCursorPagination, cursor_seal, cursor_unseal
from api.permissions import RegistryPermission
from api.schema import resource
from api.serializers.progression import RecomputeJobSerializer
from api.serializers.tasks import TASK_KINDS, TaskSerializer
from progression.models import RecomputeJob

FIELDS = ("id", "status", "done", "total", "error", "created_at", "started_at", "finished_at")
OWNER = {"cohort_recompute": "created_by", "export": "requested_by"}
DETAIL = {"cohort_recompute": "api:task-detail", "export": "api:export-detail"}


def _sort_key(row: dict) -> tuple:
    """Newest first; on the same instant, by kind, then newest id first."""
    return (-row["created_at"].timestamp(), row["kind"], -row["id"])


def _after(kind: str, position: tuple[datetime, str, int] | None) -> Q:
    """The rows of ``kind`` that come after ``position`` in :func:`_sort_key`'s order."""
    if position is None:
        return Q()
    at, last_kind, last_id = position
    if kind > last_kind:
        return Q(created_at__lte=at)
    if kind == last_kind:
        return Q(created_at__lt=at) | Q(created_at=at, id__lt=last_id)
    return Q(created_at__lt=at)


def _decode(sealed: str | None) -> tuple[datetime, str, int] | None:
    if sealed is None:
        return None
    token = cursor_unseal(sealed)
    try:
        position = (datetime.fromisoformat(token["t"]), token["k"], int(token["i"]))
    except (ValueError, TypeError, KeyError) as error:
        raise exceptions.ValidationError({"cursor": [INVALID_CURSOR]}) from error
    if position[1] not in TASK_KINDS:
        raise exceptions.ValidationError({"cursor": [INVALID_CURSOR]})
    return position


def _encode(row: dict) -> str:
    token = {"t": row["created_at"].isoformat(), "k": row["kind"], "i": row["id"]}
    return cursor_seal(token)


@resource("Tasks", one="a task (its state and progress)", many="tasks")
class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    """``/tasks/{id}/``: a background job's state and progress (done/total)."""

    permission_classes = [RegistryPermission]
    serializer_class = RecomputeJobSerializer
    queryset = RecomputeJob.objects.all()
    pagination_class = RegistryCursorPagination  # the page size rules; the cursor is our own

    def get_queryset(self):
        jobs = self.queryset.all()
        if getattr(self, "swagger_fake_view", False):
            return jobs
        return restrict_owned(jobs, self.request.user, "created_by")

    def get_serializer_class(self):
        return TaskSerializer if self.action == "list" else RecomputeJobSerializer

    @extend_schema(
        responses=TaskSerializer(many=True),
        summary="Your background jobs of every kind (cohort recomputations, exports)",
    )
    def list(self, request, *args, **kwargs):
        size = self.paginator.get_page_size(request)
        position = _decode(request.query_params.get("cursor"))
        rows = []
        for kind, model in TASK_KINDS.items():
            jobs = restrict_owned(model.objects.all(), request.user, OWNER[kind])
            if model is RecomputeJob:  # a job's parts are readable by id, listed in their job
                jobs = jobs.filter(parent__isnull=True)
            jobs = jobs.filter(_after(kind, position)).order_by("-created_at", "-id")
            rows += [{**row, "kind": kind} for row in jobs.values(*FIELDS)[: size + 1]]
        rows.sort(key=_sort_key)
        page, more = rows[:size], len(rows) > size
        for row in page:
            row["progress"] = round(row["done"] / row["total"], 4) if row["total"] else 1.0
            row["url"] = reverse(DETAIL[row["kind"]], args=[row["id"]])
        next_link = None
        if more:
            next_link = replace_query_param(
                request.build_absolute_uri(), "cursor", _encode(page[-1])
            )
        data = TaskSerializer(page, many=True).data
        return Response({"next": next_link, "previous": None, "results": data})
