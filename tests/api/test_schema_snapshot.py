"""The OpenAPI schema is a contract: it changes only on purpose.

``tests/api/openapi.json`` is the schema as last agreed. A refactoring (issue #13, "behaviour does
not change") must leave it byte for byte; a change of the API regenerates it in the same commit:
``DJANGO_SETTINGS_MODULE=registry.settings.test .venv/bin/python manage.py spectacular
--format openapi-json --file tests/api/openapi.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

SNAPSHOT = Path(__file__).with_name("openapi.json")


def test_schema_matches_the_agreed_snapshot():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    generated = json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))
    agreed = json.loads(SNAPSHOT.read_text())
    assert generated == agreed, "the OpenAPI schema changed: regenerate the snapshot on purpose"
