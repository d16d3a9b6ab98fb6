"""``/favicon.ico``: browsers ask for it on every site, whatever the page links; send them to the
SVG icon (base.html links it directly) instead of a 404 in every log."""

from __future__ import annotations

from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.views.decorators.http import require_safe

FAVICON = "clinic/favicon.svg"


@require_safe
def favicon(request) -> HttpResponsePermanentRedirect:
    return HttpResponsePermanentRedirect(static(FAVICON))
