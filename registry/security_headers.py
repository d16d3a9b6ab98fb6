"""Content-Security-Policy and Permissions-Policy on every response (security review, finding 11).

Pages load scripts, styles, fonts and images from the registry only; no page runs inline script.
Inline ``<style>`` elements are refused too, except those carrying the request's nonce: a page
asks for one with ``{{ request.csp_nonce }}`` (the Redoc page, whose styled-components inject
their CSS), and only then does the policy name it. SVG charts, which a browser may open as a
document of their own, get a policy that runs nothing at all.
"""

from __future__ import annotations

import secrets

PAGE_POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
)
SVG_POLICY = "default-src 'none'; script-src 'none'; style-src 'none'; frame-ancestors 'none'"
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)


class LazyNonce:
    """A per-request nonce, drawn the first time a template renders it."""

    def __init__(self) -> None:
        self._value = ""

    def __str__(self) -> str:
        if not self._value:
            self._value = secrets.token_urlsafe(18)
        return self._value

    @property
    def used(self) -> bool:
        return bool(self._value)


def page_policy(nonce: LazyNonce) -> str:
    if not nonce.used:
        return "; ".join(PAGE_POLICY)
    return "; ".join(
        f"{directive} 'nonce-{nonce}'" if directive.startswith("style-src ") else directive
        for directive in PAGE_POLICY
    )


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = LazyNonce()
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("image/svg+xml"):
            response["Content-Security-Policy"] = SVG_POLICY
        else:
            response["Content-Security-Policy"] = page_policy(request.csp_nonce)
        response["Permissions-Policy"] = PERMISSIONS_POLICY
        return response
