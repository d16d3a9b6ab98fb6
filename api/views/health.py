"""``/health/``: is the database reachable, are the broker and the cache reachable and quick.

No secrets, no auth. It answers within a bound even when a dependency hangs (issue 21): each
probe is one attempt limited by the socket timeouts of the settings (about a second), the
broker's in a thread of its own while the database and the cache are probed (one Redis often
holds both), and a probe that timed out is reported as ``slow``, one refused as ``unreachable``.
"""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import serializers
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.response import Response

PROBE = ["ok", "slow", "unreachable"]
HEALTH = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(choices=["ok", "degraded", "down"]),
        "database": serializers.ChoiceField(choices=["ok", "unreachable"]),
        "broker": serializers.ChoiceField(choices=[*PROBE, "in_process"]),
        "cache": serializers.ChoiceField(choices=[*PROBE, "local"]),
    },
)
TIMEOUTS = (RedisTimeoutError, socket.timeout)


def _failure(error: BaseException) -> str:
    """``slow`` when a timeout is anywhere in the chain (kombu wraps redis' errors)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, TIMEOUTS):
            return "slow"
        seen = seen.__cause__ or seen.__context__
    return "unreachable"


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
            conn.ensure_connection(max_retries=0)  # one attempt, bounded by the socket timeouts
            conn.default_channel.client.ping()  # a pooled connection may have gone quiet since
        return "ok"
    except Exception as error:
        return _failure(error)


def _cache() -> str:
    if not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        return "local"
    try:
        cache.get("registry:health")
        return "ok"
    except Exception as error:
        return _failure(error)


@extend_schema(
    responses={200: HEALTH, 503: HEALTH},
    auth=[],
    summary="Database, broker and cache reachability",
    tags=["Health"],
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
@throttle_classes([])
def health(request):
    with ThreadPoolExecutor(max_workers=1) as pool:
        broker = pool.submit(_broker)
        database, cache_state = _database(), _cache()
        broker = broker.result()
    degraded = {broker, cache_state} & {"slow", "unreachable"}
    state = "down" if database != "ok" else "degraded" if degraded else "ok"
    body = {"status": state, "database": database, "broker": broker, "cache": cache_state}
    return Response(body, status=503 if state == "down" else 200)
