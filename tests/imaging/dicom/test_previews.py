"""imaging.dicom.previews: PNGs rendered after commit, one task per batch."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError
from PIL import Image

from imaging.dicom import ingest, previews
from imaging.models import DicomInstance
from imaging.tasks import render_dicom_previews
from tests.imaging.dicom_factory import make_dx, to_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def delays(monkeypatch) -> list[list[int]]:
    calls: list[list[int]] = []
    monkeypatch.setattr(render_dicom_previews, "apply_async", lambda args, **_: calls.append(*args))
    return calls


def _ingest(center, n: int) -> ingest.IngestResult:
    ds = make_dx(sop_instance_uid=f"1.2.826.0.1.3680043.8.498.5{n}", rows=600, columns=400)
    return ingest.radiograph_ingest(to_bytes(ds), center=center, via="api")


def test_ingest_enqueues_previews_after_commit(center, delays, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = _ingest(center, 1)
    assert len(callbacks) == 1
    assert delays == [[result.instance_id]]


def test_a_batch_enqueues_one_task(center, delays, django_capture_on_commit_callbacks):
    """Three files in one upload: one task with three ids (not one task per file)."""
    with django_capture_on_commit_callbacks(execute=True), previews.preview_batch():
        ids = [_ingest(center, n).instance_id for n in range(3)]
    assert delays == [ids]


def test_render_stores_thumbnail_and_viewer_png(settings, center, delays):
    """Longer side 256 and 1024 at most (a 600 x 400 image is not enlarged); status ready."""
    instance_id = _ingest(center, 7).instance_id
    previews.dicom_previews_render(instance_ids=[instance_id])
    instance = DicomInstance.objects.get(pk=instance_id)
    assert instance.preview_status == "ready"
    with instance.thumbnail.open("rb") as handle:
        assert Image.open(io.BytesIO(handle.read())).size == (round(256 * 400 / 600), 256)
    with instance.viewer_image.open("rb") as handle:
        assert Image.open(io.BytesIO(handle.read())).size == (400, 600)
    assert instance.thumbnail.name.startswith(f"dicom/{instance.sha256[:2]}/")


def test_render_failure_is_recorded(center, delays):
    """A stored file the child cannot render (its bytes damaged on disk): status failed."""
    instance_id = _ingest(center, 8).instance_id
    instance = DicomInstance.objects.get(pk=instance_id)
    with open(instance.file.path, "r+b") as handle:
        handle.truncate(1000)
    previews.dicom_previews_render(instance_ids=[instance_id])
    assert DicomInstance.objects.get(pk=instance_id).preview_status == "failed"


def test_sweep_enqueues_previews_left_pending(center, delays, django_capture_on_commit_callbacks):
    """Pending for longer than SWEEP_AGE (the broker was down): enqueued again; recent: not."""
    old, recent = _ingest(center, 11).instance_id, _ingest(center, 12).instance_id
    DicomInstance.objects.filter(pk=old).update(
        received_at=timezone.now() - previews.SWEEP_AGE - timedelta(minutes=1)
    )
    delays.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert previews.dicom_previews_sweep() == 1
    assert delays == [[old]]
    assert recent not in delays[0]


def test_broker_outage_leaves_previews_pending(
    center, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    """Enqueueing fails quietly: the image is stored, its preview waits for the sweep."""

    def unreachable(args, **options):
        raise KombuOperationalError("connection refused")

    monkeypatch.setattr(render_dicom_previews, "apply_async", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        previews.previews_enqueue([1, 2])
    assert "render_dicom_previews not queued, left to the sweep" in caplog.text
