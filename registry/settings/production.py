"""Production: refuses to start without a secret key; HTTPS-only cookies and HSTS."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a random value of 50+ characters.")
REGISTRY_DICOM_UID_KEY = env("REGISTRY_DICOM_UID_KEY", default="")
if len(REGISTRY_DICOM_UID_KEY) < 32:
    # It keys the de-identified UIDs for years: it must not follow a SECRET_KEY rotation.
    raise ImproperlyConfigured("REGISTRY_DICOM_UID_KEY must be set to a random value of 32+ chars.")
REGISTRY_EXPORT_KEY = env("REGISTRY_EXPORT_KEY", default="")
if len(REGISTRY_EXPORT_KEY) < 32:
    # Project pseudonyms must stay stable for years: not derived from a rotating SECRET_KEY.
    raise ImproperlyConfigured("REGISTRY_EXPORT_KEY must be set to a random value of 32+ chars.")
DEBUG = False
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
