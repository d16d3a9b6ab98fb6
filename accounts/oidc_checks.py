"""Start-up checks of the single sign-on settings (``manage.py check``, every server start): a
misconfigured provider fails fast, not at someone's first sign-in."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

from accounts.sso_groups import group_map_parse

SIGN_ALGOS = ("RS256", "ES256")
MISSING_CLIENT = "REGISTRY_OIDC_ISSUER is set but REGISTRY_OIDC_CLIENT_ID or _CLIENT_SECRET is not."
BAD_ALGO = "REGISTRY_OIDC_SIGN_ALGO must be RS256 or ES256."


@register()
def oidc_settings_check(app_configs, **kwargs) -> list[Error]:
    if not settings.REGISTRY_OIDC_ISSUER:
        return []
    errors = []
    if not settings.REGISTRY_OIDC_CLIENT_ID or not settings.REGISTRY_OIDC_CLIENT_SECRET:
        errors.append(Error(MISSING_CLIENT, id="accounts.E101"))
    if settings.REGISTRY_OIDC_SIGN_ALGO not in SIGN_ALGOS:
        errors.append(Error(BAD_ALGO, id="accounts.E102"))
    try:
        group_map_parse(settings.REGISTRY_OIDC_GROUP_MAP)
    except ValueError as exc:
        errors.append(Error(str(exc), id="accounts.E103"))
    return errors
