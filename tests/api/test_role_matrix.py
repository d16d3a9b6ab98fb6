"""Every operation of the OpenAPI schema, called by every role, against the access rules (the
walk, the expected statuses and the records: :mod:`tests.api.role_matrix`)."""

from __future__ import annotations

import pytest

from tests.api.role_matrix import (
    COLLECTIONS,
    MISSING_ID,
    RESEARCH_HIDDEN,
    ROLES,
    Operation,
    UnknownOperation,
    World,
    body_for,
    call,
    expected_status,
    keys_in,
    operations,
    results_of,
    schema_operations,
    shape_of,
    url_for,
)

# --- extra checks per role -----------------------------------------------------------------------


def research_problems(response, world: World) -> list[str]:
    if response.status_code != 200 or response["Content-Type"] != "application/json":
        return []
    hidden = {k for k in keys_in(response.json()) if k in RESEARCH_HIDDEN or k.endswith("_site")}
    problems = [f"researcher received {sorted(hidden)}"] if hidden else []
    if world.a["patient"].local_id in response.content.decode():
        problems.append("researcher received center A's local identifier")
    return problems


def filter_values(records: dict) -> dict[str, str]:
    """Query parameters that name one record, with center ``records``' value."""
    patient = records["patient"]
    return {
        "patient": patient.pk,
        "visit": records["visit"].pk,
        "radiograph": records["radiograph"].pk,
        "track": records["track"].pk,
        "center": records["center"].code,
        "code": records["center"].code,
        "registry_id": patient.registry_id,
        "local_id": patient.local_id,
    }


MISSING_VALUES = {
    "center": "no-such-center",
    "code": "no-such-center",
    "registry_id": "NO-SUCH-ID",
    "local_id": "NO-SUCH-ID",
}


def other_center_problems(op: Operation, response, world: World) -> list[str]:
    """Center B's lists: no center-A row, and a filter naming a center-A record answers exactly
    as one naming a record that does not exist (no existence leak)."""
    problems = []
    text = response.content.decode()
    for secret in (world.a["patient"].registry_id, world.a["patient"].local_id):
        if secret in text:
            problems.append(f"center A's {secret!r} visible to center B")
    if op.shape != "list" or op.method != "GET":
        return problems
    ids = {row["id"] for row in results_of(response)}
    if world.a[op.kind].pk in ids:
        problems.append(f"center A's {op.kind} listed for center B")
    if world.b[op.kind].pk not in ids:
        problems.append(f"center B's own {op.kind} missing from its list")
    client = world.clients["clinician_b"]
    for name, value in filter_values(world.a).items():
        if name not in op.query:
            continue
        leaked = call(client, "GET", url_for(op, world.a, {name: value}))
        missing = call(
            client, "GET", url_for(op, world.a, {name: MISSING_VALUES.get(name, MISSING_ID)})
        )
        if leaked.status_code != missing.status_code:
            problems.append(
                f"?{name}=<center A's> gives {leaked.status_code}, "
                f"?{name}=<nonexistent> gives {missing.status_code}"
            )
        elif leaked.status_code == 200 and results_of(leaked):
            problems.append(f"?{name}=<center A's> lists center A's rows")
    return problems


def in_use(response) -> bool:
    return response.status_code == 409 and response.json()["errors"][0]["code"] == "in_use"


def refused_as_unknown(response) -> list[str]:
    codes = {error["code"] for error in response.json()["errors"]}
    return [] if "does_not_exist" in codes else [f"refused with {codes}, not as unknown records"]


# --- tests ---------------------------------------------------------------------------------------


def test_every_operation_is_covered():
    """Every operation of the schema matches a rule of the matrix (new endpoints cannot slip by)."""
    unknown = []
    for path, method, _spec in schema_operations():
        try:
            shape_of(path, method)
        except UnknownOperation as exc:
            unknown.append(str(exc))
    assert not unknown, "\n".join(unknown)
    kinds = {op.kind for op in operations()} | {op.named for op in operations()}
    assert kinds - {None} <= set(COLLECTIONS.values())


@pytest.mark.parametrize("role", ROLES)
def test_role_rules_on_every_operation(world, role):
    """Each role gets exactly the status its rules give, on every operation of the schema."""
    client = world.clients[role]
    problems = []
    for op in operations():
        response = call(client, op.method, url_for(op, world.a), body_for(world, op))
        want = expected_status(role, op)
        if want == 204 and in_use(response):
            continue  # allowed, refused by a data rule (a track still holding lesions)
        if response.status_code != want:
            problems.append(f"{op}: {response.status_code}, expected {want}: {response.content!r}")
            continue
        if role == "researcher":
            found = research_problems(response, world)
        elif role == "clinician_b" and want == 400:
            found = refused_as_unknown(response)
        elif role == "clinician_b" and want == 200:
            found = other_center_problems(op, response, world)
        else:
            found = []
        problems += [f"{op}: {problem}" for problem in found]
    assert not problems, "\n".join(problems)
