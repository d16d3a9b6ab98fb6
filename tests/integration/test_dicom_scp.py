"""``manage.py dicom_scp`` against dcmtk's echoscu and storescu, on the PostgreSQL test database.

The receiver runs as a real subprocess on a free loopback port; dcmtk sends to it as a PACS
would. Skipped locally without dcmtk or PostgreSQL, failed in CI (REGISTRY_REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from pydicom.uid import JPEG2000Lossless, RLELossless

from imaging.dicom import ingest
from imaging.models import DicomInstance, Radiograph
from tests import factories
from tests.imaging import dicom_bombs
from tests.imaging.dcmtk import img2dcm_dx, require_dcmtk
from tests.imaging.dicom_factory import PATIENT_ID, make_dx, to_bytes

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent.parent
CALLED = "CALCREG"
CALLING = "PACS1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The URL of pytest-django's test database (the subprocess must write where we read)."""
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


def dcmtk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


@pytest.fixture
def receiver(postgres, tmp_path):
    """The receiver subprocess, ready (answers C-ECHO); stopped with SIGTERM afterwards."""
    require_dcmtk()
    center = factories.make_center("north", "North clinic")
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "registry.settings.test",
        "DATABASE_URL": database_url(),
        "DATABASE_CONN_MAX_AGE": "60",
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "REGISTRY_DICOM_CALLING_AE": f"{CALLING}=north",
        "CELERY_BROKER_URL": "",  # previews rendered in-process, so their status can be read
    }
    log_path = tmp_path / "dicom_scp.log"
    log = open(log_path, "ab")  # noqa: SIM115 (closed after the receiver stops)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "dicom_scp", "--port", str(port), "--ae-title", CALLED],
        cwd=ROOT,
        env=env,
        # A file, not a pipe nobody reads: a full pipe would block the receiver's logging.
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while dcmtk("echoscu", "-aet", CALLING, "-aec", CALLED, "127.0.0.1", str(port)).returncode:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"dicom_scp did not start: {log_path.read_text(errors='replace')}")
        time.sleep(0.2)
    yield {
        "port": str(port),
        "center": center,
        "process": process,
        "media": tmp_path / "media",
        "log": log_path,
    }
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail(f"dicom_scp ignored SIGTERM:\n{log_path.read_text(errors='replace')}")
    log.close()


def store(port: str, *files: Path, options: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return dcmtk("storescu", *options, "-aet", CALLING, "-aec", CALLED, "127.0.0.1", port, *files)


def wait_for(condition, seconds: float = 15) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass (work done after the answer)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def other_backends() -> int:
    """Connections to the test database other than this test's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_echo_from_a_configured_calling_ae_title(receiver):
    """C-ECHO (Verification SOP class) answers success."""
    result = dcmtk("echoscu", "-aet", CALLING, "-aec", CALLED, "127.0.0.1", receiver["port"])
    assert result.returncode == 0, result.stderr


def test_unconfigured_calling_ae_title_is_rejected_at_association(receiver, tmp_path):
    """A-ASSOCIATE-RJ for an unknown calling AE title; nothing is stored."""
    echo = dcmtk("echoscu", "-aet", "INTRUDER", "-aec", CALLED, "127.0.0.1", receiver["port"])
    assert echo.returncode != 0
    assert "Calling AE Title Not Recognized" in echo.stderr
    path = tmp_path / "one.dcm"
    path.write_bytes(to_bytes(make_dx()))
    sent = dcmtk(
        "storescu", "-aet", "INTRUDER", "-aec", CALLED, "127.0.0.1", receiver["port"], path
    )
    assert sent.returncode != 0
    wrong_called = dcmtk("echoscu", "-aet", CALLING, "-aec", "NOTUS", "127.0.0.1", receiver["port"])
    assert "Called AE Title Not Recognized" in wrong_called.stderr
    assert not DicomInstance.objects.exists()


def test_storescu_images_become_radiographs(receiver, tmp_path):
    """Explicit VR (uncompressed), deflated (-xd), JPEG baseline from img2dcm (-xy), RLE (-xr),
    JPEG 2000 lossless (-xv): one radiograph each, previews rendered, connections closed."""
    patient = factories.make_patient(receiver["center"], local_id=PATIENT_ID)
    sent = []
    for n, (transfer_syntax, option) in enumerate(
        [(None, ()), (None, ("-xd",)), (RLELossless, ("-xr",)), (JPEG2000Lossless, ("-xv",))]
    ):
        kwargs = {"transfer_syntax": transfer_syntax} if transfer_syntax else {}
        path = tmp_path / f"file{n}.dcm"
        uid = f"1.2.826.0.1.3680043.8.498.60{n}"
        path.write_bytes(to_bytes(make_dx(sop_instance_uid=uid, **kwargs)))
        sent.append((path, option))
    sent.append((img2dcm_dx(tmp_path / "dcmtk", patient_id=PATIENT_ID), ("-xy",)))
    port = receiver["port"]
    for path, options in sent:
        result = store(port, path, options=options)
        assert result.returncode == 0, result.stderr
    instances = DicomInstance.objects.order_by("pk")
    assert [i.transfer_syntax_uid for i in instances] == [
        "1.2.840.10008.1.2.1",
        "1.2.840.10008.1.2.1.99",
        "1.2.840.10008.1.2.5",
        "1.2.840.10008.1.2.4.90",
        "1.2.840.10008.1.2.4.50",
    ]
    assert {(i.status, i.received_via, i.patient_id) for i in instances} == {
        ("matched", "scp", patient.pk)
    }
    assert Radiograph.objects.filter(patient=patient).count() == 5
    # Previews are rendered once the association is released, after storescu has its answer.
    assert wait_for(lambda: set(instances.values_list("preview_status", flat=True)) == {"ready"})

    again = store(port, sent[0][0])  # the same instance again: success, nothing new
    assert again.returncode == 0, again.stderr
    assert DicomInstance.objects.count() == 5

    assert wait_for(lambda: other_backends() == 0), "a connection was kept after release"


def test_unknown_patient_waits_and_a_bad_file_is_refused(receiver, tmp_path):
    """No such local id: stored and queued (success). Not a radiograph class: failure status."""
    queued = tmp_path / "queued.dcm"
    queued.write_bytes(to_bytes(make_dx(sop_instance_uid="1.2.826.0.1.3680043.8.498.611")))
    assert store(receiver["port"], queued).returncode == 0
    instance = DicomInstance.objects.get()
    assert (instance.status, instance.unmatched_reason) == ("unmatched", "no_patient")

    pixel_less = make_dx(sop_instance_uid="1.2.826.0.1.3680043.8.498.612")
    del pixel_less.PixelData
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(to_bytes(pixel_less))
    result = store(receiver["port"], bad, options=("-v",))
    assert "Store Response (Error: DataSetDoesNotMatchSOPClass)" in result.stderr  # 0xA900
    assert DicomInstance.objects.count() == 1


def test_finding3_bombs_get_a_failure_status_and_the_receiver_stays_up(receiver, tmp_path):
    """Over a size limit (the header's or the JPEG frame's own): 0xA700, out of resources; a
    structure refused: 0xC000, cannot understand. Nothing stored; the receiver still answers."""
    factories.make_patient(receiver["center"], local_id=PATIENT_ID)
    sent = {
        "declared": (dicom_bombs.jpeg_bomb(), "Refused: OutOfResources"),
        "items": (dicom_bombs.many_items(300_000), "Error: CannotUnderstand"),
        "frame": (dicom_bombs.jpeg_bomb(header_rows=64, header_columns=64), "OutOfResources"),
    }
    for name, (data, answer) in sent.items():
        path = tmp_path / f"{name}.dcm"
        path.write_bytes(data)
        result = store(receiver["port"], path, options=("-v", "-xy"))
        assert answer in result.stderr.split("Store Response", 1)[1], result.stderr
    assert receiver["process"].poll() is None
    echo = dcmtk("echoscu", "-aet", CALLING, "-aec", CALLED, "127.0.0.1", receiver["port"])
    assert echo.returncode == 0, echo.stderr
    assert not DicomInstance.objects.exists()


def test_finding10_an_image_another_center_sent_is_stored_for_this_one(receiver, tmp_path):
    """The same file already received by another center: success, and a row of our own."""
    other = factories.make_center("south", "South clinic")
    factories.make_patient(receiver["center"], local_id=PATIENT_ID)
    data = to_bytes(make_dx(sop_instance_uid="1.2.826.0.1.3680043.8.498.613"))
    assert ingest.radiograph_ingest(data, center=other, via="api").outcome == "unmatched"
    path = tmp_path / "shared.dcm"
    path.write_bytes(data)
    assert store(receiver["port"], path).returncode == 0
    assert DicomInstance.objects.filter(center=receiver["center"], status="matched").count() == 1


def test_sigterm_stops_the_receiver(receiver):
    process = receiver["process"]
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert "DICOM receiver stopped." in receiver["log"].read_text()
