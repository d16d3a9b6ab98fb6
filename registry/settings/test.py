"""Test settings: same stack, fast password hashing, files in a temporary folder."""

import tempfile

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "test-only-not-secret"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=tempfile.mkdtemp(prefix="registry-media-"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True  # no collectstatic needed outside production
# Only members of centers marked two_factor_required must enrol: the suite signs in with
# force_login; the two-factor tests set the policy they test.
REGISTRY_TWO_FACTOR_POLICY = "center"
# Tests make many requests per user; the throttling test sets its own low rates.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"anon": "100000/min", "user": "100000/min"},
}
