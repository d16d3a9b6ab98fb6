"""What the sign-in middlewares ask of a request, and how they refuse an API call.

The two-factor gate, the session timeout and the SSO re-validation all leave API-token requests
alone and answer session-authenticated API requests in the API's error shape
(api.exception_handler), which domain code may not import: one copy here.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def is_token_request(request: HttpRequest) -> bool:
    """An API call carrying a bearer token: it is the token's, not the browser session's."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    return is_api(request) and header[:7].lower() == "bearer "


def api_refusal(*, status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"errors": [{"field": None, "code": code, "message": message}]}, status=status
    )
