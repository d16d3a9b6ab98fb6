"""The README's curl example, run through the test client as it is written there: a radiograph
with its pixel spacing, then a lesion from two pixel points (so the README cannot drift)."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from accounts.services import user_add
from demo.teaching_case import TEACHING_CASE_LOCAL_ID
from tests import factories
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

HEADING = "### Example: a radiograph with its pixel spacing, and a lesion from two pixel points"
BODY = re.compile(r"cat > (?P<name>\w+)\.json <<EOF\n(?P<json>.*?)\nEOF", re.S)
POST = re.compile(r'-d @(?P<name>\w+)\.json \\\n\s*"\$API(?P<path>/[^"]+)"')
LOOKUP = re.compile(r'PATIENT=\$\(curl -s -H "\$AUTH" "\$API(?P<path>/[^"]+)" \| jq (?P<jq>\S+)\)')


def example_block() -> str:
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    after = readme.split(HEADING, 1)[1]
    return after.split("```sh\n", 1)[1].split("\n```", 1)[0]


def test_readme_radiograph_and_lesion_from_pixel_points():
    """Hand-worked as the README says: (60, 80) px = 100 px at 0.1 mm/px = 10.0 mm; (36, 27) px
    = 45 px = 4.5 mm; the lesion starts a deposit, so its track is set."""
    block = example_block()
    bodies = {m["name"]: m["json"] for m in BODY.finditer(block)}
    posts = [(m["name"], m["path"]) for m in POST.finditer(block)]
    assert [name for name, _ in posts] == ["radiograph", "lesion"]
    lookup = LOOKUP.search(block)
    assert lookup and lookup["jq"] == "'.results[0].id'"
    assert f"local_id={TEACHING_CASE_LOCAL_ID}" in lookup["path"]

    center = factories.make_center("demo-north", "North")
    factories.make_patient(center, local_id=TEACHING_CASE_LOCAL_ID)
    api = client_for(
        user_add(email="clinician@demo-north.example.org", center=center, role="clinician")
    )
    values = {"PATIENT": api.get(f"/api/v1{lookup['path']}").json()["results"][0]["id"]}
    answers = {}
    for name, path in posts:
        body = json.loads(re.sub(r"\$(\w+)", lambda m: str(values[m[1]]), bodies[name]))
        url = "/api/v1" + re.sub(r"\$(\w+)", lambda m: str(values[m[1]]), path)
        response = api.post(url, body, format="json")
        assert response.status_code == 201, (name, response.json())
        answers[name] = response.json()
        values[name.upper()] = answers[name]["id"]
    assert answers["radiograph"]["pixel_spacing_mm"] == [0.1, 0.1]
    lesion = answers["lesion"]
    assert lesion["longest_diameter_mm"] == pytest.approx(10.0)
    assert lesion["perpendicular_diameter_mm"] == pytest.approx(4.5)
    assert lesion["measurement_source"] == "pixels"
    assert lesion["track"] is not None
