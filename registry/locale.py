"""The request's format locale: dates and numbers follow the browser, the words stay English.

The registry's interface is written in English only. Django's ``LocaleMiddleware`` would
activate the browser's language for every string, so Django's and DRF's own messages (form
errors, the admin, the API's error messages) would turn German or French beside our English
labels. Here the browser's Accept-Language (or the language cookie) chooses only how dates and
numbers are written: the middleware remembers the language for the request, and the formatting
functions (:mod:`registry.formatting`) activate it while they format. Everything else, the API's
JSON, CSV exports and the admin, keeps ``LANGUAGE_CODE``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import translation
from django.utils.cache import patch_vary_headers

_format_language: ContextVar[str | None] = ContextVar("format_language", default=None)


def format_language() -> str | None:
    """The language whose formats this request uses; None outside a request (the default)."""
    return _format_language.get()


@contextmanager
def format_locale() -> Iterator[None]:
    """Formats (and month names) of the request's locale inside the block."""
    language = _format_language.get()
    if language is None:
        yield
        return
    with translation.override(language):
        yield


@contextmanager
def using_format_language(language: str | None) -> Iterator[None]:
    """Format in ``language`` inside the block (the middleware, tests, a page for one locale)."""
    token = _format_language.set(language)
    try:
        yield
    finally:
        _format_language.reset(token)


class FormatLocaleMiddleware:
    """Chooses the request's format locale from the language cookie or Accept-Language among
    ``settings.LANGUAGES``; pages differ by it, so caches are told (Vary)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        language = translation.get_language_from_request(request)
        request.format_language = language
        with using_format_language(language):
            response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language",))
        return response
