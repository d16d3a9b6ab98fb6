"""Bearer tokens for REST clients (``Authorization: Bearer crg_...``); sessions for browsers."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from accounts.services import token_authenticate

INVALID_TOKEN = "Invalid, expired or revoked token."


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header: Bearer <token>.")
        try:
            raw = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN) from exc
        token = token_authenticate(raw)
        if token is None:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        return (token.user, token)

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'
