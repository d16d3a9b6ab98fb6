"""The users of the role tables (test_role_matrix, the DICOM and export tables): one per role of
``ROLES``, on centers A and B, and an API client for each."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts.models import Center
from accounts.services import token_create, user_add


def role_users(center_a: Center, center_b: Center) -> dict:
    """Role name -> user (None for anonymous), in the order of ``ROLES``."""
    return {
        "anonymous": None,
        "no_role": get_user_model().objects.create_user("norole@example.org"),
        "researcher": user_add(
            email="researcher@a.example.org", center=center_a, role="researcher"
        ),
        "clinician_b": user_add(email="clinician@b.example.org", center=center_b, role="clinician"),
        "admin_a": user_add(email="admin@a.example.org", center=center_a, role="center_admin"),
        "clinician_a": user_add(email="clinician@a.example.org", center=center_a, role="clinician"),
    }


def client_for(user) -> APIClient:
    """An API client with the user's bearer token (none for anonymous)."""
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")
    return client
