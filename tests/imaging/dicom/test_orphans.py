"""imaging.dicom.orphans: stored files that no row references are deleted after a grace period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from imaging.dicom import ingest
from imaging.dicom.orphans import orphan_files_sweep
from imaging.dicom.previews import dicom_previews_render
from imaging.dicom.storage import dicom_storage, store_content
from imaging.models import DicomInstance
from imaging.tasks import sweep_orphan_dicom_files
from tests.imaging.dicom_factory import make_dx, to_bytes

pytestmark = pytest.mark.django_db

LATER = timedelta(hours=25)  # past the default grace period of 24 h


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def ingested_instance(center) -> int:
    return ingest.radiograph_ingest(to_bytes(make_dx()), center=center, via="api").instance_id


def test_finding21_3_a_file_without_its_row_is_swept_after_the_grace_period(center):
    """A cut between writing a file and inserting its row: the file goes, the ingested one and
    its row stays; nothing goes within the grace period."""
    instance_id = ingested_instance(center)
    ingested = DicomInstance.objects.get(pk=instance_id).file.name
    orphan = store_content(b"bytes whose row was never inserted", suffix=".dcm")
    storage = dicom_storage()
    assert orphan_files_sweep() == 0  # written just now: an ingest may be in flight
    assert orphan_files_sweep(now=timezone.now() + LATER) == 1
    assert not storage.exists(orphan) and storage.exists(ingested)
    assert orphan_files_sweep(now=timezone.now() + LATER) == 0


def test_previews_and_files_of_rows_are_never_swept(center):
    """Every file a row names (the DICOM file, the thumbnail, the viewer image) is kept."""
    instance_id = ingested_instance(center)
    dicom_previews_render(instance_ids=[instance_id])
    instance = DicomInstance.objects.get(pk=instance_id)
    names = [instance.file.name, instance.thumbnail.name, instance.viewer_image.name]
    assert all(names)
    assert orphan_files_sweep(now=timezone.now() + LATER) == 0
    assert all(dicom_storage().exists(name) for name in names)


def test_the_beat_task_runs_the_sweep_on_an_empty_storage():
    """No ``dicom/`` folder yet (a new installation): nothing to do, no error."""
    assert sweep_orphan_dicom_files.apply().get() == 0
