"""Fault drills of issue 21 against real processes: gunicorn (two sync workers), a Celery worker
with beat, PostgreSQL and a private redis-server, with a TCP proxy (tests.integration.tcp_proxy)
in front of the dependency that the drill freezes or cuts.

Data is committed (``transaction=True``) so that the servers see it; in this process tasks run
in-process (the data a drill starts from is computed here), over HTTP they go to the worker.
"""

from __future__ import annotations

import re
import shutil
import time
from datetime import date
from urllib.parse import quote

import pytest
import redis
import requests
from django.conf import settings
from django.db import connection

from accounts.services import token_create, user_add
from imaging.dicom import ingest
from imaging.models import CalcinosisLesion, DicomInstance
from progression.models import ProgressionSnapshot, ProgressionState
from progression.tasks import recompute_patient
from registry.enqueue import enqueue
from registry.outage import SERVICE_UNAVAILABLE
from tests import factories
from tests.conftest import missing_service
from tests.imaging.dicom_factory import make_dx, to_bytes
from tests.integration.processes import (
    CeleryWorker,
    Gunicorn,
    PrivateRedis,
    free_port,
    service_env,
    wait_for,
)
from tests.integration.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Seconds a committed write may take with a hung broker: one broker socket timeout (1 s) and the
# request itself on a busy machine; before the fix it hung until gunicorn killed it at 30 s.
WRITE_BOUND = 5.0
# /health/ probes the broker for one socket timeout (1 s, measured 1.0-1.1 s); the rest is a
# loaded 2-core CI machine. Before the fix it hung 30 s and answered 500.
HEALTH_BOUND = 3.0
# A hand lesion needs its segment and digit (DOMAIN.md, "A lesion's site").
SITE = {"digit": 1, "segment": "distal_phalanx"}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def database_url(port: int | None = None) -> str:
    """pytest-django's test database as a URL, optionally through a proxy on ``port``."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    port = port or db["PORT"] or 5432
    return f"postgres://{quote(db['USER'] or '')}{password}@127.0.0.1:{port}/{db['NAME']}"


@pytest.fixture
def processes(tmp_path):
    """Start processes and proxies for a drill; stop them all afterwards, whatever happened."""
    started: list = []

    def keep(thing):
        started.append(thing)
        return thing

    yield keep
    for thing in reversed(started):
        thing.stop()


@pytest.fixture
def clinician(center):
    user = user_add(
        email="clinician@north.example.org", center=center, role="clinician",
        password=factories.PASSWORD,
    )  # fmt: skip
    return user


def api_session(user) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token_create(user=user)}"
    return session


def current_snapshot(patient_id: int) -> ProgressionSnapshot | None:
    """The patient's snapshot if it reflects the data as committed now."""
    version = ProgressionState.objects.filter(pk=patient_id).values_list("data_version", flat=True)
    snapshot = ProgressionSnapshot.objects.filter(pk=patient_id, computed_at__isnull=False).first()
    if snapshot is None or snapshot.data_version != version.first():
        return None
    return snapshot


def timed(call, *args, **kwargs) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = call(*args, **kwargs)
    return response, time.monotonic() - started


def private_broker(processes, tmp_path) -> tuple[PrivateRedis, TcpProxy]:
    """A redis-server of this test's own, behind a proxy the test can freeze."""
    if shutil.which("redis-server") is None:
        missing_service("redis-server (a private broker the drill can freeze)")
    server = processes(PrivateRedis(tmp_path, free_port()))
    return server, processes(TcpProxy(server.port))


def test_finding21_1_a_publish_to_a_hung_broker_gives_up_after_one_socket_timeout(
    processes, tmp_path, publish_to, caplog
):
    """registry.enqueue to a frozen Redis: False after about CELERY_BROKER_SOCKET_TIMEOUT (no
    retry, no reconnect loop), on_failure called, the task's arguments never logged; sent again
    once the proxy resumes."""
    server, proxy = private_broker(processes, tmp_path)
    publish_to(f"redis://127.0.0.1:{proxy.port}/0")
    assert enqueue(recompute_patient, (424242,))
    proxy.freeze()
    released: list[bool] = []
    started = time.monotonic()
    assert not enqueue(recompute_patient, (424242,), on_failure=lambda: released.append(True))
    took = time.monotonic() - started
    assert took < settings.CELERY_BROKER_SOCKET_TIMEOUT + 1.0, f"gave up after {took:.1f} s"
    assert released == [True]
    assert "recompute_patient not queued, left to the sweep" in caplog.text
    assert "424242" not in caplog.text
    proxy.resume()
    assert enqueue(recompute_patient, (424242,))
    # The timed-out LPUSH sat in the frozen connection and may reach Redis once it resumes:
    # "not queued" can mean "queued late", so every task is idempotent (docs/operations.md).
    assert redis.Redis(port=server.port).llen("celery") in (2, 3)


def test_finding21_1_hung_broker_a_committed_lesion_answers_201_once(
    postgres, clinician, patient, processes, tmp_path
):
    """With Redis frozen behind its proxy, POST /api/v1/lesions/ answers 201 within seconds and
    its retry creates nothing; /health/ says degraded; the claim is released and the sweep
    brings the snapshot once the proxy resumes."""
    _, proxy = private_broker(processes, tmp_path)
    broker = f"redis://127.0.0.1:{proxy.port}/0"
    env = service_env(
        DATABASE_URL=database_url(),
        DATABASE_CONN_MAX_AGE="0",
        CELERY_BROKER_URL=broker,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        REGISTRY_PROGRESSION_SWEEP_SECONDS="1",
    )
    worker = processes(CeleryWorker(tmp_path, env, beat=True))
    web = processes(Gunicorn(tmp_path, env))
    api = api_session(clinician)
    radiograph = factories.make_radiograph(patient, acquired_on=date(2024, 3, 15))
    later = factories.make_radiograph(patient, acquired_on=date(2025, 3, 15))
    lesions = f"{web.base}/api/v1/lesions/"
    first = {"radiograph": radiograph.pk, "longest_diameter_mm": 15.0, **SITE}
    answer = api.post(lesions, json=first, timeout=40)
    assert answer.status_code == 201
    wait_for(lambda: current_snapshot(patient.pk), timeout=30, what="the worker", log=worker)
    # The request matched the lesion itself; the recomputation the radiographs queued (debounced)
    # must have run too before the broker freezes, or it would clean the state during the drill.
    wait_for(
        lambda: "recompute_patient" in worker.tail(400) and "succeeded" in worker.tail(400),
        timeout=30,
        what="the queued recomputation",
        log=worker,
    )
    # A year later, on the deposit the user chose: the request does not match it itself
    # (imaging.services.lesion_save_matched), so the snapshot waits for the queued recomputation.
    body = {
        "radiograph": later.pk,
        "longest_diameter_mm": 4.0,
        "track": answer.json()["track"],
        **SITE,
    }

    proxy.freeze()
    key = {"Idempotency-Key": "drill-21-1"}
    created, write_took = timed(api.post, lesions, json=body, headers=key, timeout=40)
    assert created.status_code == 201, created.text
    assert write_took < WRITE_BOUND, f"the committed write took {write_took:.1f} s"
    retried = api.post(lesions, json=body, headers=key, timeout=40)
    assert retried.status_code == 201 and retried.json()["id"] == created.json()["id"]
    assert CalcinosisLesion.objects.filter(radiograph__patient=patient).count() == 2  # once
    health, health_took = timed(requests.get, f"{web.base}/health/", timeout=40)
    assert health_took < HEALTH_BOUND, f"/health/ took {health_took:.1f} s"
    assert health.json() == {
        "status": "degraded", "database": "ok", "broker": "slow", "cache": "local"
    }  # fmt: skip
    state = ProgressionState.objects.get(pk=patient.pk)
    assert state.dirty_since is not None and not state.recompute_pending  # released
    assert current_snapshot(patient.pk) is None

    proxy.resume()
    clean = ProgressionState.objects.filter(pk=patient.pk, dirty_since=None)
    wait_for(
        lambda: clean.exists() and current_snapshot(patient.pk),
        timeout=60,
        what="the sweep to bring the snapshot",
        log=worker,
    )
    assert "WORKER TIMEOUT" not in web.tail(400)
    assert requests.get(f"{web.base}/health/", timeout=10).json()["status"] == "ok"


def sign_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login/", timeout=10).text
    token = CSRF_INPUT.search(page).group(1)
    data = {"username": username, "password": factories.PASSWORD, "csrfmiddlewaretoken": token}
    assert session.post(f"{base}/login/", data=data, timeout=10).status_code == 200
    return session


def test_finding21_3_database_outage_answers_503_with_retry_after(
    postgres, clinician, patient, processes, tmp_path
):
    """With PostgreSQL cut behind its proxy, the API answers its JSON error shape and the clinic
    a friendly page, both 503 with Retry-After; a write during the outage leaves nothing."""
    proxy = processes(TcpProxy(int(connection.settings_dict["PORT"] or 5432)))
    env = service_env(
        DATABASE_URL=database_url(proxy.port),
        DATABASE_CONN_MAX_AGE="0",
        CELERY_BROKER_URL="",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
    )
    web = processes(Gunicorn(tmp_path, env))
    api = api_session(clinician)
    clinic = sign_in(web.base, clinician.username)
    radiograph = factories.make_radiograph(patient)
    assert api.get(f"{web.base}/api/v1/patients/", timeout=10).status_code == 200

    proxy.cut()
    listed = api.get(f"{web.base}/api/v1/patients/", timeout=10)
    written = api.post(
        f"{web.base}/api/v1/lesions/",
        json={"radiograph": radiograph.pk, "longest_diameter_mm": 4.0, **SITE},
        timeout=10,
    )
    for response in (listed, written):
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"].isdigit()
        assert response.json()["errors"][0]["code"] == "service_unavailable"
    page = clinic.get(f"{web.base}/patients/", timeout=10)
    assert page.status_code == 503 and page.headers["Retry-After"].isdigit()
    assert "temporarily unavailable" in page.text and SERVICE_UNAVAILABLE in page.text
    health = requests.get(f"{web.base}/health/", timeout=10)
    assert health.status_code == 503 and health.json()["database"] == "unreachable"

    proxy.resume()
    assert api.get(f"{web.base}/api/v1/patients/", timeout=10).status_code == 200
    assert clinic.get(f"{web.base}/patients/", timeout=10).status_code == 200
    assert not CalcinosisLesion.objects.filter(radiograph=radiograph).exists()


def test_finding21_3_previews_received_during_an_outage_render_within_a_sweep_period(
    postgres, center, processes, tmp_path, publish_to
):
    """An image received while the broker is cut waits as pending; once the broker is back the
    preview sweep (every REGISTRY_DICOM_PREVIEW_SWEEP_SECONDS, here 1 s) has it rendered."""
    _, proxy = private_broker(processes, tmp_path)
    broker = f"redis://127.0.0.1:{proxy.port}/0"
    env = service_env(
        DATABASE_URL=database_url(),
        DATABASE_CONN_MAX_AGE="0",
        CELERY_BROKER_URL=broker,
        DJANGO_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        REGISTRY_DICOM_PREVIEW_SWEEP_SECONDS="1",
    )
    worker = processes(CeleryWorker(tmp_path, env, beat=True))
    publish_to(broker)
    proxy.cut()
    received = ingest.radiograph_ingest(to_bytes(make_dx()), center=center, via="api")
    instance = DicomInstance.objects.filter(pk=received.instance_id)
    assert instance.get().preview_status == "pending"
    proxy.resume()
    wait_for(
        lambda: instance.get().preview_status == "ready",
        timeout=30,
        what="the preview sweep",
        log=worker,
    )
