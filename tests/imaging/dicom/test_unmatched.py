"""imaging.dicom.unmatched: a clinician assigns a queued image by choosing the patient."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from imaging.dicom import ingest, unmatched
from imaging.models import DicomInstance, Radiograph
from tests import factories
from tests.imaging.dicom_factory import make_dx, to_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def clinician(db):
    return get_user_model().objects.create_user("clinician@north.example")


def queued(center, *, uid: str = "1.2.826.0.1.3680043.8.498.91", **changes) -> DicomInstance:
    ds = make_dx(sop_instance_uid=uid)
    for keyword, value in changes.items():
        if value is None:
            delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    result = ingest.radiograph_ingest(to_bytes(ds), center=center, via="scp")
    assert result.outcome == "unmatched"
    return DicomInstance.objects.get(pk=result.instance_id)


def test_assign_creates_the_radiograph(center, patient, clinician):
    """The header's date, side, view and spacing go to the chosen patient's radiograph."""
    instance = unmatched.unmatched_assign(instance=queued(center), patient=patient, user=clinician)
    instance.refresh_from_db()
    assert (instance.status, instance.unmatched_reason, instance.patient) == (
        "matched",
        "",
        patient,
    )
    assert (instance.assigned_by, instance.assigned_at is not None) == (clinician, True)
    radiograph = instance.radiograph
    assert (radiograph.patient, radiograph.acquired_on) == (patient, date(2024, 3, 12))
    assert (radiograph.laterality, radiograph.view, radiograph.body_region) == (
        "left",
        "pa",
        "hand",
    )
    assert radiograph.pixel_spacing_mm == (0.1, 0.1)
    assert radiograph.sop_instance_uid == instance.sop_instance_uid


def test_assign_refuses_a_patient_of_another_center(center, other_center, clinician):
    stranger = factories.make_patient(other_center)
    with pytest.raises(ValidationError) as error:
        unmatched.unmatched_assign(instance=queued(center), patient=stranger, user=clinician)
    assert error.value.message_dict == {"patient": [unmatched.PATIENT_OTHER_CENTER]}
    assert not Radiograph.objects.exists()


def test_assign_twice_is_refused(center, patient, clinician):
    instance = queued(center)
    unmatched.unmatched_assign(instance=instance, patient=patient, user=clinician)
    with pytest.raises(ValidationError) as error:
        unmatched.unmatched_assign(instance=instance, patient=patient, user=clinician)
    assert error.value.message_dict == {"patient": [unmatched.ALREADY_ASSIGNED]}
    assert Radiograph.objects.count() == 1


def test_assign_needs_what_the_header_lacked(center, patient, clinician):
    """No laterality in the file: the clinician must give it; then it is used."""
    instance = queued(center, ImageLaterality=None)
    with pytest.raises(ValidationError) as error:
        unmatched.unmatched_assign(instance=instance, patient=patient, user=clinician)
    assert error.value.message_dict == {"laterality": [unmatched.FIELD_REQUIRED]}
    unmatched.unmatched_assign(
        instance=instance, patient=patient, user=clinician, laterality="right", view="oblique"
    )
    assert Radiograph.objects.get().laterality == "right"
    assert Radiograph.objects.get().view == "oblique"


def test_assign_validates_the_radiograph(center, clinician):
    """A patient born after the image: the radiograph's own validation refuses it."""
    young = factories.make_patient(center, birth_date=date(2025, 1, 1))
    instance = queued(center)
    with pytest.raises(ValidationError):
        unmatched.unmatched_assign(instance=instance, patient=young, user=clinician)
    instance.refresh_from_db()
    assert (instance.status, instance.radiograph) == ("unmatched", None)


def test_same_source_groups_images_of_one_source_patient(center, other_center):
    """Same Patient ID and issuer: grouped; another ID or another center: not."""
    first = queued(center)
    second = queued(center, uid="1.2.826.0.1.3680043.8.498.92")
    other_id = queued(center, uid="1.2.826.0.1.3680043.8.498.93", PatientID="SYN-999")
    elsewhere = queued(other_center, uid="1.2.826.0.1.3680043.8.498.94")
    assert list(unmatched.same_source_unmatched(first)) == [second]
    assert first.source_patient_key != other_id.source_patient_key
    assert first.source_patient_key != elsewhere.source_patient_key
    assert len(first.source_patient_key) == 64


def test_no_identifier_is_stored_in_clear(center):
    """The queue row holds a keyed hash, never the Patient ID, issuer or name."""
    instance = queued(center)
    row = " ".join(
        str(value) for value in DicomInstance.objects.values().get(pk=instance.pk).values()
    )
    for value in ("SYN-000123", "SYNTH-HOSPITAL", "Testpatient"):
        assert value not in row
