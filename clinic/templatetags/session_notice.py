"""``{% session_notice %}``: the idle notice of a signed-in page (clinic and admin), with the
seconds left when the page was made; ``clinic/session.js`` counts down and asks again."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.shortcuts import resolve_url

from accounts.session_timeout import session_seconds_left

register = template.Library()


@register.inclusion_tag("clinic/session_notice.html", takes_context=True)
def session_notice(context, login_url: str = "clinic:login") -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if user is None or not user.is_authenticated or session is None or SESSION_KEY not in session:
        return {"show": False}
    return {
        "show": True,
        "seconds_left": session_seconds_left(request),
        "warning_seconds": settings.REGISTRY_SESSION_WARNING_SECONDS,
        "login_url": resolve_url(login_url),
        "csrf_token": context.get("csrf_token"),
    }
