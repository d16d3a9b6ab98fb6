"""DICOM ingest throughput: 500 radiographs through the receiver and import_dicom, Orthanc as peer.

The same 500 synthetic DX files (12-bit, 1280 x 1024, explicit VR little endian, ~2.6 MB each,
PHI in every module) are sent by dcmtk's storescu, in one association, to Orthanc and to
``manage.py dicom_scp``, then imported from disk with ``manage.py import_dicom``. Previews are
asynchronous (Celery), so the receivers run with a Redis broker and no worker: rendering is not
in the timed path, as in production. The goal (issue 4): the receiver at least Orthanc's rate.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from django.db import connection

from accounts.models import Center
from benchmarks import orthanc_peer
from imaging.models import DicomInstance, Radiograph
from patients.models import Patient
from patients.services import patient_save

ROOT = Path(__file__).resolve().parent.parent
FILES = 500
ROWS, COLUMNS, BITS = 1280, 1024, 12
CENTER = "bench-dicom"
CALLING, CALLED = "BENCHPACS", "CALCREG"
UID_ROOT = "1.2.826.0.1.3680043.8.498.4242"
BROKER = os.environ.get("BENCH_CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")


def run(*, patients: int) -> None:
    for tool in ("storescu", "echoscu"):
        if shutil.which(tool) is None:
            print(f"dicom: skipped, {tool} missing (make system-packages)")
            return
    work = Path(tempfile.mkdtemp(prefix="dicom-bench-"))
    try:
        center = _center(min(max(patients, 1), FILES))
        source = _generate(work / "source", center)
        megabytes = sum(p.stat().st_size for p in source.iterdir()) / 1e6
        print(f"dicom: {FILES} DX files, {ROWS}x{COLUMNS} {BITS}-bit, {megabytes:.0f} MB")
        figures = {"Orthanc 1.10 (storescu, peer)": _orthanc(work, source)}
        figures["dicom_scp (storescu)"] = _receiver(work, source)
        _reset(center)
        figures["import_dicom"] = _import(work, source)
        _report(figures, megabytes)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        _flush_broker()


# --- data ----------------------------------------------------------------------------------


def _center(patient_count: int) -> Center:
    center, _ = Center.objects.get_or_create(code=CENTER, defaults={"name": "DICOM benchmark"})
    existing = Patient.objects.filter(center=center).count()
    for n in range(existing, patient_count):
        patient_save(
            patient=Patient(
                center=center,
                local_id=f"BENCH-{n:05d}",
                birth_date="1961-05-04",
                sex="female",
                ssc_subtype="limited_cutaneous",
            )
        )
    return center


def _generate(folder: Path, center: Center) -> Path:
    """500 files over the center's patients (PatientID = local id), one study per patient."""
    sys.path.insert(0, str(ROOT))
    from tests.imaging.dicom_factory import hand_pixels, make_dx, to_bytes

    folder.mkdir(parents=True)
    local_ids = list(Patient.objects.filter(center=center).values_list("local_id", flat=True))
    pixels = hand_pixels(ROWS, COLUMNS, BITS)
    noise = np.random.default_rng(2013)
    for n in range(FILES):
        patient = n % len(local_ids)
        jitter = noise.integers(0, 16, size=pixels.shape, dtype=np.uint16)
        ds = make_dx(sop_instance_uid=f"{UID_ROOT}.3.{n}", pixels=pixels + jitter)
        ds.PatientID = local_ids[patient]
        ds.StudyInstanceUID = f"{UID_ROOT}.1.{patient}"
        ds.SeriesInstanceUID = f"{UID_ROOT}.2.{n}"
        (folder / f"IM{n:05d}.dcm").write_bytes(to_bytes(ds))
    return folder


def _reset(center: Center) -> None:
    """Forget the receiver's images so import_dicom imports them again (not duplicates)."""
    DicomInstance.objects.filter(center=center).delete()
    Radiograph.objects.filter(patient__center=center).delete()


# --- the three ways in ---------------------------------------------------------------------


def _storescu(port: int, called: str, source: Path, calling: str = CALLING) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        ["storescu", "-aet", calling, "-aec", called, "127.0.0.1", str(port), "+sd", str(source)],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"storescu failed: {result.stderr[-2000:]}")
    return elapsed


def _orthanc(work: Path, source: Path) -> float | None:
    why = orthanc_peer.unavailable()
    if why:
        print(f"  Orthanc peer skipped: {why}")
        return None
    with orthanc_peer.orthanc(work) as peer:
        elapsed = _storescu(peer.dicom_port, orthanc_peer.AE_TITLE, source)
        stored = peer.statistics()["CountInstances"]
    if stored != FILES:
        raise RuntimeError(f"Orthanc stored {stored} of {FILES} instances")
    return elapsed


def _env(work: Path, media: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "registry.settings.local",
        "DJANGO_DEBUG": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_MEDIA_ROOT": str(work / media),
        "REGISTRY_DICOM_CALLING_AE": f"{CALLING}={CENTER}",
        "CELERY_BROKER_URL": BROKER,
    }


def _receiver(work: Path, source: Path) -> float:
    port = orthanc_peer.free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "dicom_scp", "--port", str(port), "--ae-title", CALLED],
        cwd=ROOT,
        env=_env(work, "media-scp"),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while subprocess.run(
            ["echoscu", "-aet", CALLING, "-aec", CALLED, "127.0.0.1", str(port)],
            capture_output=True,
        ).returncode:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("dicom_scp did not start")
            time.sleep(0.2)
        elapsed = _storescu(port, CALLED, source)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    imported = DicomInstance.objects.filter(center__code=CENTER, status="matched").count()
    if imported != FILES:
        raise RuntimeError(f"dicom_scp imported {imported} of {FILES}")
    return elapsed


def _import(work: Path, source: Path) -> float:
    command = ["import_dicom", str(source), "--center", CENTER, "--no-progress"]
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=_env(work, "media-cli"),
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if f"Imported: {FILES}\n" not in result.stdout:
        raise RuntimeError(f"import_dicom: {result.stdout}{result.stderr[-2000:]}")
    own = re.search(r"in ([\d.]+) s", result.stdout)
    print(f"  import_dicom: {elapsed:.1f} s with Django start-up, {own.group(1)} s importing")
    return float(own.group(1))


# --- report --------------------------------------------------------------------------------


def _report(figures: dict[str, float | None], megabytes: float) -> None:
    print(f"  {'receiver':32} {'seconds':>8} {'files/s':>8} {'MB/s':>8}")
    for name, seconds in figures.items():
        if seconds is None:
            print(f"  {name:32} {'-':>8}")
            continue
        rate, throughput = FILES / seconds, megabytes / seconds
        print(f"  {name:32} {seconds:8.1f} {rate:8.1f} {throughput:8.1f}")
    peer = figures.get("Orthanc 1.10 (storescu, peer)")
    ours = figures["dicom_scp (storescu)"]
    if peer:
        ratio = peer / ours
        verdict = "meets" if ratio >= 1 else "MISSES"
        print(f"  dicom_scp / Orthanc: {ratio:.2f}x -> {verdict} the goal (>= 1x)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        print(f"  database size after the run: {cursor.fetchone()[0]}")


def _flush_broker() -> None:
    """Drop the queued previews and recomputations: no worker ran, the queue was scratch."""
    import redis

    with contextlib.suppress(redis.RedisError):
        redis.Redis.from_url(BROKER).flushdb()
