"""OpenAPI extras: the bearer scheme, the error body on every operation, strict request bodies,
and each operation's tag and summary in people's words (:func:`resource`)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers

from api.openapi_tags import TAG_NAMES

ERROR_ITEM = inline_serializer(
    "ErrorItem",
    {
        "field": serializers.CharField(
            allow_null=True, help_text="Dotted path of the input, or null."
        ),
        "code": serializers.CharField(help_text="Machine-readable code, e.g. required, invalid."),
        "message": serializers.CharField(),
    },
)
ERROR_BODY = inline_serializer("Error", {"errors": ERROR_ITEM.__class__(many=True)})

ERROR_RESPONSES = {
    "400": "Invalid input: malformed JSON, wrong types, unknown fields, out-of-range values.",
    "401": "Missing, invalid, expired or revoked credentials.",
    "403": "Your role does not allow this (e.g. researchers are read-only).",
    "404": "No such record, or not in one of your centers.",
    "409": "Conflicts with other records (e.g. still referenced), or lost to a concurrent "
    "change of the same records (retry).",
    "412": "If-Match does not match the record's current ETag.",
    "413": "The request body is too large.",
    "415": "Unsupported content type.",
    "422": "Idempotency-Key reused with a different request.",
    "429": "Too many requests; see Retry-After.",
}
# Refused by the HTTP server (gunicorn) before the API sees the request: an HTML page, not the
# JSON error body.
URI_TOO_LONG = {
    "description": "The request line (method, path and query string) is longer than the server "
    "accepts (4094 bytes); answered by the HTTP server as an HTML page.",
    "content": {"text/html": {"schema": {"type": "string"}}},
}
EXAMPLE = OpenApiExample(
    "validation error",
    value={
        "errors": [
            {
                "field": "longest_diameter_mm",
                "code": "invalid",
                "message": "150 mm is implausible for a deposit in the hand (at most 60 mm).",
            }
        ]
    },
    response_only=True,
)


# The summary of a view's standard actions, from the nouns given to :func:`resource`; an
# operation with its own ``extend_schema(summary=...)`` keeps that one.
STANDARD_SUMMARIES = {
    "list": "List {many}",
    "create": "Create {one}",
    "retrieve": "Get {one}",
    "update": "Update {one} (every writable field)",
    "partial_update": "Update some fields of {one}",
    "destroy": "Delete {one}",
    "history": "Audit trail of {one}: who changed what, when and from where",
}
UNKNOWN_TAG = "{tag!r} is not one of api.openapi_tags.TAGS."


def resource(tag: str, *, one: str = "", many: str = ""):
    """Class decorator: every operation of the view under ``tag`` (api.openapi_tags), the
    standard actions summarised from the nouns ("List patients", "Get a patient")."""
    if tag not in TAG_NAMES:
        raise ValueError(UNKNOWN_TAG.format(tag=tag))

    def decorate(view):
        view.openapi_nouns = {"one": one, "many": many}
        return extend_schema(tags=[tag])(view)

    return decorate


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Token from `manage.py registry_user ... --token`.",
        }


class RegistryAutoSchema(AutoSchema):
    def get_summary(self) -> str | None:
        """A standard action's summary from the view's nouns (explicit summaries win: they are
        applied by ``extend_schema`` above this class)."""
        template = STANDARD_SUMMARIES.get(getattr(self.view, "action", None) or "")
        nouns = getattr(self.view, "openapi_nouns", None)
        if template and nouns and nouns["one"] and nouns["many"]:
            return template.format(**nouns)
        return super().get_summary()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        is_write = self.method in ("POST", "PUT", "PATCH", "DELETE")
        codes = ["400", "401", "403", "404", "429"]
        if is_write:
            codes += ["409", "413", "415"]
        if self.method in ("PUT", "PATCH", "DELETE"):
            codes.append("412")
        if self.method == "POST":
            codes.append("422")
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(
                        ERROR_BODY,
                        description=ERROR_RESPONSES[code],
                        examples=[EXAMPLE] if code == "400" else [],
                    ),
                    code,
                )
        responses.setdefault("414", URI_TOO_LONG)
        return responses


def strict_request_bodies(result, generator, request, public):
    """Request components refuse unknown properties, as the API does."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result


def enum_bounds_dropped(result, generator, request, public):
    """A choice's enum is its range: the integer bounds Django derives from the database's
    column type (32767 on PostgreSQL, 2**63 - 1 on SQLite) would make the published schema
    depend on the database it was generated on."""
    for component in result.get("components", {}).get("schemas", {}).values():
        for prop in component.get("properties", {}).values():
            if "oneOf" in prop or "enum" in prop or "$ref" in prop or "allOf" in prop:
                prop.pop("minimum", None)
                prop.pop("maximum", None)
    return result
