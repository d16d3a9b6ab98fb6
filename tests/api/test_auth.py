"""Tokens (hashed, expiring, revocable), throttling, anonymous access, health."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import token_create, token_revoke, user_add

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_expired_and_revoked_tokens_are_refused(clinician):
    raw = token_create(user=clinician)
    assert bearer(raw).get("/api/v1/patients/").status_code == 200
    ApiToken.objects.filter(user=clinician).update(
        created_at=timezone.now() - timedelta(days=2),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    response = bearer(raw).get("/api/v1/patients/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    raw = token_create(user=clinician)
    token_revoke(token=ApiToken.objects.get(prefix=raw[:12]))
    assert bearer(raw).get("/api/v1/patients/").status_code == 401


def test_anonymous_sees_only_schema_docs_and_health(db):
    client = APIClient()
    assert client.get("/api/v1/patients/").status_code == 401
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/redoc/").status_code == 200
    health = client.get("/health/")
    assert health.status_code == 200
    assert health.json()["database"] == "ok"


def test_docs_are_served_offline(db):
    """Swagger UI's assets come from drf-spectacular-sidecar, not a CDN."""
    html = APIClient().get("/api/docs/").content.decode()
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


def test_user_without_role_is_forbidden(db):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("nobody@example.org")
    response = bearer(token_create(user=user)).get("/api/v1/patients/")
    assert response.status_code == 403


def test_throttling_answers_429_with_retry_after(center, monkeypatch):
    """Per user and per anonymous address; 429 carries Retry-After."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/min", "user": "3/min"})
    client = bearer(
        token_create(user=user_add(email="t@x.example", center=center, role="clinician"))
    )
    codes = [client.get("/api/v1/patients/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/api/v1/patients/")
    assert int(response["Retry-After"]) > 0
    assert response.json()["errors"][0]["code"] == "throttled"
    # Anonymous callers reach only the open endpoints; the schema is throttled per address.
    anonymous = [APIClient().get("/api/schema/").status_code for _ in range(3)]
    assert anonymous == [200, 200, 429]


def test_center_admin_manages_memberships_with_an_audit_trail(center, other_center):
    """Center admins add colleagues to their own center only; each change is in the history."""
    from tests.api.conftest import client_for

    admin = client_for(user_add(email="boss@north.example", center=center, role="center_admin"))
    created = admin.post("/api/v1/memberships/", {"email": "new@north.example", "center": "north",
                                                  "role": "clinician"}, format="json")
    assert created.status_code == 201, created.json()
    refused = admin.post("/api/v1/memberships/", {"email": "x@south.example", "center": "south",
                                                  "role": "clinician"}, format="json")
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "center"
    history = admin.get(f"/api/v1/memberships/{created.json()['id']}/history/").json()
    assert (history[0]["action"], history[0]["source"], history[0]["user"]) == (
        "created", "api", "boss@north.example")
    clinician = client_for(user_add(email="doc@north.example", center=center, role="clinician"))
    assert clinician.get("/api/v1/memberships/").status_code == 403
