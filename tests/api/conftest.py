"""API clients per role, authenticated with real bearer tokens."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services import token_create, user_add
from tests import factories
from tests.api.role_matrix import World, build_world


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")
    return client


@pytest.fixture
def clinician(center):
    return user_add(email="clinician@north.example", center=center, role="clinician")


@pytest.fixture
def api(clinician) -> APIClient:
    """A clinician of center "north"."""
    return client_for(clinician)


@pytest.fixture
def other_api(other_center) -> APIClient:
    """A clinician of center "south"."""
    return client_for(
        user_add(email="clinician@south.example", center=other_center, role="clinician")
    )


@pytest.fixture
def researcher_api(center) -> APIClient:
    return client_for(user_add(email="researcher@north.example", center=center, role="researcher"))


@pytest.fixture
def teaching_case_patient(center):
    """The teaching case's patient: demographics and 2013 criteria only, no visit or radiograph."""
    patient = factories.make_patient(
        center,
        local_id="TEACH-1",
        birth_date="1960-11-02",
        sclerodactyly=True,
        raynaud_phenomenon=True,
        antibody_aca="positive",
        first_non_raynaud_onset="2013-03-01",
        first_non_raynaud_onset_precision="month",
        raynaud_onset="2009-01-01",
        raynaud_onset_precision="year",
        diagnosis_date="2013-09-10",
    )
    return patient


@pytest.fixture
def world(db) -> World:
    """The role walk's records in centers A and B, and a client per role (tests.api.role_matrix)."""
    return build_world()
