"""The published schema reads like documentation: every operation under one resource tag with
a summary written for people, and request examples that work as they are (issue #16)."""

import re
from collections import Counter

import pytest
from drf_spectacular.generators import SchemaGenerator

from accounts.services import user_add
from api.openapi_tags import TAG_NAMES, TAGS
from demo.cohort import DEMO_CENTERS
from exports.models import ExportJob
from tests import factories
from tests.api.conftest import client_for

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def test_every_operation_has_one_known_tag_and_a_summary_for_people(schema):
    """One tag from api.openapi_tags per operation; a summary that is a sentence, not the
    operation id or a path, and that names this operation alone."""
    problems = []
    for name, operation in _operations(schema):
        tags, summary = operation.get("tags", []), operation.get("summary", "")
        if len(tags) != 1 or tags[0] not in TAG_NAMES:
            problems.append(f"{name}: tags {tags}")
        if not summary or not summary[0].isupper():
            problems.append(f"{name}: summary {summary!r}")
        elif summary == operation["operationId"] or re.search(r"\w_\w|/|\{", summary):
            problems.append(f"{name}: generated-looking summary {summary!r}")
    assert problems == []
    repeated = Counter(op["summary"] for _, op in _operations(schema))
    assert [text for text, count in repeated.items() if count > 1] == []


def test_every_tag_is_described_and_used(schema):
    """The tag list is the settings' (api.openapi_tags), each with a description and used by
    at least one operation."""
    assert [tag["name"] for tag in schema["tags"]] == [name for name, _ in TAGS]
    assert all(tag["description"] for tag in schema["tags"])
    used = {op["tags"][0] for _, op in _operations(schema)}
    assert used == TAG_NAMES


def test_standard_and_specific_summaries(schema):
    """Standard actions are summarised from their nouns; specific ones keep their own."""
    paths = schema["paths"]
    assert paths["/api/v1/patients/"]["get"]["summary"] == "List patients"
    assert paths["/api/v1/lesion-tracks/{id}/"]["get"]["summary"] == "Get a lesion track"
    assert (
        paths["/api/v1/lesions/"]["post"]["summary"]
        == "Create a lesion from pixel points or millimetres"
    )
    assert paths["/api/v1/exports/"]["post"]["tags"] == ["Exports"]


@pytest.mark.django_db
def test_export_examples_work_as_published(schema, django_capture_on_commit_callbacks):
    """Each request example of POST /exports/, posted as is by a clinician of the demo center it
    names, is accepted (202) and its job succeeds."""
    centers = {code: factories.make_center(code, name) for code, name in DEMO_CENTERS}
    examples = schema["paths"]["/api/v1/exports/"]["post"]["requestBody"]["content"][
        "application/json"
    ]["examples"]
    assert len(examples) >= 2
    for index, (name, example) in enumerate(examples.items()):
        body = example["value"]
        codes = body["filters"]["center"]
        assert set(codes) <= set(centers), name  # the demo's codes, as they are
        factories.make_patient(centers[codes[0]], antibody_aca="positive")
        user = user_add(
            email=f"clinician-{index}@{codes[0]}.example",
            center=centers[codes[0]],
            role="clinician",
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(user).post("/api/v1/exports/", body, format="json")
        assert response.status_code == 202, (name, response.json())
        job = ExportJob.objects.get(pk=response.json()["id"])
        assert job.status == ExportJob.Status.SUCCEEDED, (name, job.error)
