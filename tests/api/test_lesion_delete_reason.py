"""DELETE /lesions/{id}/ keeps an optional ?reason= in the audit trail (the viewer asks for one)."""

import pytest

from imaging.models import CalcinosisLesion
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_reason_lands_in_the_lesions_history(api, patient):
    lesion = factories.make_lesion(factories.make_radiograph(patient))
    response = api.delete(f"/api/v1/lesions/{lesion.pk}/?reason=Entered on the wrong image")
    assert response.status_code == 204
    deleted = CalcinosisLesion.history.filter(id=lesion.pk, history_type="-").get()
    assert deleted.history_change_reason == "Entered on the wrong image"


def test_without_a_reason_the_delete_is_accepted_as_before(api, patient):
    lesion = factories.make_lesion(factories.make_radiograph(patient))
    assert api.delete(f"/api/v1/lesions/{lesion.pk}/").status_code == 204
    assert not CalcinosisLesion.objects.filter(pk=lesion.pk).exists()


def test_a_reason_with_control_characters_is_refused_naming_the_field(api, patient):
    lesion = factories.make_lesion(factories.make_radiograph(patient))
    response = api.delete(f"/api/v1/lesions/{lesion.pk}/?reason=wrong%0Aimage")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "reason"
    assert CalcinosisLesion.objects.filter(pk=lesion.pk).exists()
