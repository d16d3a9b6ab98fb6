"""``/health/``: is the database reachable, is the broker reachable. No secrets, no auth."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.response import Response

HEALTH = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(choices=["ok", "degraded", "down"]),
        "database": serializers.ChoiceField(choices=["ok", "unreachable"]),
        "broker": serializers.ChoiceField(choices=["ok", "unreachable", "in_process"]),
    },
)


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:  # any failure means unreachable; the reason stays in the server log
        return "unreachable"


def _broker() -> str:
    if not settings.CELERY_BROKER_URL:
        return "in_process"
    from registry.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception:
        return "unreachable"


@extend_schema(
    responses={200: HEALTH, 503: HEALTH}, auth=[], summary="Database and broker reachability"
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
@throttle_classes([])
def health(request):
    database, broker = _database(), _broker()
    state = "down" if database != "ok" else "degraded" if broker == "unreachable" else "ok"
    body = {"status": state, "database": database, "broker": broker}
    return Response(body, status=503 if state == "down" else 200)
