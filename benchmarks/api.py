"""REST API latency and throughput as clients see them: gunicorn (production settings, 2 workers)
on loopback, driven from a second process by 4 concurrent HTTP clients (they ask for keep-alive;
gunicorn's sync workers close the connection after each response, as they would in production).

Measured: ``GET /api/v1/patients/?page_size=50`` and the detail of a patient with 10 visits, as
a clinician of demo-north; beside each, the SQL queries one request runs (Django's test client,
in-process, same URL), which must not grow with the page size.

The driver is this file run as a script (``python benchmarks/api.py drive ...``): standard
library only, so the client's cost is small and nothing extra is installed.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import timedelta
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CENTER = "demo-north"
CLINICIAN = f"clinician@{CENTER}.example.org"  # created by seed_demo
CONCURRENCY = 4
WARMUP = 20
REQUESTS = 2_000  # per endpoint, at most
SECONDS = 30.0  # per endpoint, at most
DETAIL_VISITS = 10


# --- the driver (second process) -----------------------------------------------------------------


def drive(base: str, path: str, token: str, requests: int, seconds: float) -> dict:
    """GET ``path`` ``requests`` times (or for ``seconds``) from CONCURRENCY threads, each on its
    own connection (reopened whenever the server closes it), after a warm-up; latencies in ms."""
    host, port = base.removeprefix("http://").split(":")
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    remaining = [requests]
    ready = threading.Barrier(CONCURRENCY + 1)
    deadline = [0.0]

    def get(connection: http.client.HTTPConnection) -> int:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status

    def worker() -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        for _ in range(WARMUP // CONCURRENCY):
            get(connection)
        ready.wait()
        while time.perf_counter() < deadline[0]:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            started = time.perf_counter()
            status = get(connection)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                else:
                    failures.append(status)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + seconds + 60  # set before the barrier releases anyone
    ready.wait()
    started = time.perf_counter()
    deadline[0] = started + seconds
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"latencies_ms": latencies, "failures": failures, "seconds": elapsed}


def _drive_main(argv: list[str]) -> None:
    base, path, token, requests, seconds = argv
    print(json.dumps(drive(base, path, token, int(requests), float(seconds))))


# --- the server ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env() -> dict[str, str]:
    """Production settings with what they require; no SSL redirect on loopback, no throttling
    in the way of the measurement, tasks in-process (no broker needed)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "registry.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "REGISTRY_DICOM_UID_KEY": secrets.token_urlsafe(48),
        "REGISTRY_EXPORT_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_LOG_LEVEL": "ERROR",
        "REGISTRY_THROTTLE_USER": "1000000/min",
        "CELERY_BROKER_URL": "",
    }


def _start_gunicorn(port: int, log) -> subprocess.Popen:
    """gunicorn answering /health/, its output in ``log`` (shown only if it fails to start)."""
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "registry.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=_server_env(), stdout=log, stderr=log)
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2):
                return server
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.5)
    server.terminate()
    log.seek(0)
    sys.exit(f"gunicorn did not answer /health/:\n{log.read().decode(errors='replace')}")


# --- the data ------------------------------------------------------------------------------------


def _ensure_cohort(patients: int):
    """Seed the demo cohort unless patients exist (e.g. after the seed benchmark, which makes no
    users); return the demo-north clinician."""
    from django.core.management import call_command

    from accounts.models import Center
    from accounts.services import user_add
    from patients.models import Patient

    if not Patient.objects.exists():
        print(f"seeding {patients:,} demo patients ...", flush=True)
        call_command("seed_demo", "--patients", str(patients), stdout=StringIO(), stderr=StringIO())
    return user_add(email=CLINICIAN, center=Center.objects.get(code=CENTER), role="clinician")


def _patient_with_visits(center_code: str):
    """A demo-north patient with exactly DETAIL_VISITS visits; visits are added through the
    service to the one closest below if none has that many."""
    from django.db.models import Count

    from patients.models import Patient, Visit
    from patients.services import visit_save
    from patients.validation import today

    patients = Patient.objects.filter(center__code=center_code).annotate(n=Count("visits"))
    patient = patients.filter(n=DETAIL_VISITS).order_by("pk").first()
    if patient is not None:
        return patient
    patient = patients.filter(n__lt=DETAIL_VISITS).order_by("-n", "pk").first()
    taken = set(patient.visits.values_list("date", flat=True))
    day = today()
    while patient.visits.count() < DETAIL_VISITS:
        day -= timedelta(days=61)
        if day not in taken:
            visit_save(visit=Visit(patient=patient, date=day, visit_type="follow_up"))
    return patient


def _queries_per_request(path: str, token: str) -> int:
    """SQL queries of one request, in-process (after one request to warm the token's write)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", SERVER_NAME="localhost")
    assert client.get(path).status_code == 200, path
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200, path
    return len(queries)


# --- the benchmark -------------------------------------------------------------------------------


def _summary(name: str, result: dict, queries: int) -> str:
    latencies = sorted(result["latencies_ms"])
    if not latencies:
        return f"  {name}: no successful request ({result['failures'][:5]} ...)"
    cuts = statistics.quantiles(latencies, n=20)  # 5 % steps: cuts[9] is p50, cuts[18] p95
    p50, p95 = cuts[9], cuts[18]
    rate = len(latencies) / result["seconds"]
    failed = f", {len(result['failures'])} failed" if result["failures"] else ""
    return (
        f"  {name:42} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  {rate:6.1f} req/s  "
        f"{queries:2d} SQL queries/request  ({len(latencies)} requests{failed})"
    )


def run(*, patients: int) -> None:
    from django.db import connection

    from accounts.services import token_create
    from patients.models import Patient

    clinician = _ensure_cohort(patients)
    total = Patient.objects.count()
    token = token_create(user=clinician, name="benchmark")
    detail = _patient_with_visits(CENTER)
    endpoints = {
        "GET /api/v1/patients/?page_size=50": "/api/v1/patients/?page_size=50",
        f"GET /api/v1/patients/{{id}}/ ({DETAIL_VISITS} visits)": f"/api/v1/patients/{detail.pk}/",
    }
    queries = {name: _queries_per_request(path, token) for name, path in endpoints.items()}
    connection.close()  # the server's workers get the database to themselves

    port = _free_port()
    results = {}
    with tempfile.TemporaryFile() as log:
        server = _start_gunicorn(port, log)
        try:
            for name, path in endpoints.items():
                base = f"http://127.0.0.1:{port}"
                command = [sys.executable, __file__, "drive", base, path, token]
                driver = subprocess.run(
                    [*command, str(REQUESTS), str(SECONDS)],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                results[name] = json.loads(driver.stdout)
        finally:
            server.terminate()
            server.wait(timeout=30)

    print(
        f"REST API on PostgreSQL, {total:,} patients, gunicorn 2 sync workers (production "
        f"settings), {CONCURRENCY} concurrent clients in a second process, clinician of {CENTER}:"
    )
    for name, result in results.items():
        print(_summary(name, result, queries[name]))
    # The figures move with whatever else runs on the machine: show it.
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"  load average (1, 5, 15 min) after the run: {load}")


if __name__ == "__main__" and sys.argv[1:2] == ["drive"]:
    _drive_main(sys.argv[2:])
