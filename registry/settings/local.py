"""Local development and the embedded default (``make run``)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-development-only-not-secret")
WHITENOISE_AUTOREFRESH = True  # no collectstatic needed outside production
