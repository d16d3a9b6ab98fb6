"""The production settings pass Django's deployment checks and refuse to start without a secret."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, **env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({"DJANGO_SETTINGS_MODULE": "registry.settings.production", **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="registry.example.org",
        REGISTRY_DICOM_UID_KEY=secrets.token_urlsafe(32),
        REGISTRY_EXPORT_KEY=secrets.token_urlsafe(32),
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_refuses_a_missing_secret_key():
    result = manage("check", DJANGO_ALLOWED_HOSTS="registry.example.org")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_a_missing_dicom_uid_key():
    """The UID mapping key must not silently follow a SECRET_KEY rotation in production."""
    result = manage(
        "check",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="registry.example.org",
        REGISTRY_DICOM_UID_KEY="",
    )
    assert result.returncode != 0
    assert "REGISTRY_DICOM_UID_KEY must be set" in result.stderr


def test_production_refuses_a_missing_export_key():
    """Project pseudonyms must not silently follow a SECRET_KEY rotation in production."""
    result = manage(
        "check",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="registry.example.org",
        REGISTRY_DICOM_UID_KEY=secrets.token_urlsafe(32),
        REGISTRY_EXPORT_KEY="",
    )
    assert result.returncode != 0
    assert "REGISTRY_EXPORT_KEY must be set" in result.stderr
