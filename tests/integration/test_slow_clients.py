"""Security review finding 5: three slow clients stopped production. gunicorn with 3 sync workers
(the compose shape) and nginx from deploy/nginx/registry.conf.template, both on loopback; three
clients declare 400 MB uploads and trickle bytes. Straight to gunicorn, /health/ gets no answer;
through nginx, which buffers each body before passing it on, it answers at once.

gunicorn runs the real app on an empty SQLite file: /health/ only needs ``SELECT 1``, and these
tests are about connections, not data.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import missing_service
from tests.integration.processes import ROOT, Process, free_port, wait_for

pytestmark = pytest.mark.integration

TEMPLATE = ROOT / "deploy" / "nginx" / "registry.conf.template"
GUNICORN = Path(sys.executable).parent / "gunicorn"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
WORKERS = 3  # docker-compose.yml's web command
DECLARED_BYTES = 400_000_000
PATIENCE = 3.0  # seconds a health probe waits for an answer
BOUNDARY = "slowclientboundary"


def render_template(text: str, values: dict[str, str]) -> str:
    """The official nginx image's envsubst: only the given ``${NAME}``s, nginx's ``$vars`` stay."""
    return re.sub(r"\$\{(\w+)\}", lambda match: values.get(match[1], match[0]), text)


def main_config(prefix: Path, server_conf: Path) -> str:
    """What the nginx image's own nginx.conf provides around the template: one ``http`` block."""
    temp_paths = "\n".join(
        f"    {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""daemon off;
worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} info;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log {prefix / "access.log"};
{temp_paths}
    include {server_conf};
}}
"""


class Gunicorn(Process):
    def __init__(self, log_dir: Path, port: int):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "registry.settings.test",
            "DATABASE_URL": f"sqlite:///{log_dir / 'health.sqlite3'}",
            "CELERY_BROKER_URL": "",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        }
        # --preload: each worker serves as soon as it is forked, so "booted" means "ready".
        args = [
            str(GUNICORN), "registry.wsgi", "--bind", f"127.0.0.1:{port}",
            "--workers", str(WORKERS), "--worker-class", "sync", "--preload",
            "--no-control-socket",
        ]  # fmt: skip
        super().__init__(args, log_dir / "gunicorn.log", env)
        wait_for(
            lambda: self.tail(400).count("Booting worker") >= WORKERS,
            timeout=60,
            what=f"{WORKERS} gunicorn workers",
            log=self,
        )
        wait_for(lambda: health(port)[0] == 200, timeout=30, what="gunicorn", log=self)


class Nginx(Process):
    def __init__(self, prefix: Path, port: int, upstream_port: int):
        server_conf = prefix / "registry.conf"
        server_conf.write_text(
            render_template(
                TEMPLATE.read_text(),
                {
                    "NGINX_LISTEN": f"127.0.0.1:{port}",
                    "REGISTRY_UPSTREAM": f"127.0.0.1:{upstream_port}",
                    "REGISTRY_UPLOAD_MAX_BODY_BYTES": str(settings.REGISTRY_UPLOAD_MAX_BODY_BYTES),
                },
            )
        )
        (prefix / "nginx.conf").write_text(main_config(prefix, server_conf))
        args = [NGINX, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", "nginx.conf"]
        super().__init__(args, prefix / "nginx.log")
        wait_for(lambda: health(port)[0] == 200, timeout=30, what="nginx", log=self)


def health(port: int) -> tuple[int | None, float]:
    """GET /health/: (status or None when no answer within PATIENCE, seconds waited)."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=PATIENCE)
    try:
        conn.request("GET", "/health/")
        status = conn.getresponse().status
    except (TimeoutError, ConnectionError):
        status = None
    finally:
        conn.close()
    return status, time.monotonic() - started


def slow_upload(port: int, declared: int = DECLARED_BYTES) -> socket.socket:
    """A form upload declaring ``declared`` bytes, its headers and first part sent. Any syntactic
    CSRF cookie makes Django read the body (to find the form's token) before it can refuse it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    head = (
        f"POST /login/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Cookie: csrftoken={'a' * 32}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {declared}\r\n\r\n"
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="radiograph.dcm"\r\n'
        "Content-Type: application/dicom\r\n\r\n"
    )
    sock.sendall(head.encode())
    return sock


@contextlib.contextmanager
def trickling(port: int, clients: int = WORKERS):
    """``clients`` slow uploads, each sent one byte every 200 ms until the block ends (or 2 min)."""
    socks = [slow_upload(port) for _ in range(clients)]
    stop = threading.Event()

    def trickle() -> None:
        for _ in range(600):
            if stop.wait(0.2):
                return
            for sock in socks:
                with contextlib.suppress(OSError):
                    sock.send(b"\0")

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        yield socks
    finally:
        stop.set()
        thread.join(timeout=5)
        for sock in socks:
            sock.close()


@pytest.fixture
def servers():
    if not GUNICORN.exists():
        missing_service("gunicorn (make install)")
    if not Path(NGINX).exists():
        missing_service("Debian nginx (scripts/install-system-packages.sh)")
    # Not pytest's tmp_path: nginx's worker processes (nobody, when started as root) must reach
    # their temporary folders, and pytest's base folder is private to its owner.
    prefix = Path(tempfile.mkdtemp(prefix="registry-nginx-"))
    prefix.chmod(0o755)
    started: list[Process] = []
    try:
        gunicorn_port, nginx_port = free_port(), free_port()
        started.append(Gunicorn(prefix, gunicorn_port))
        started.append(Nginx(prefix, nginx_port, gunicorn_port))
        yield gunicorn_port, nginx_port
    finally:
        for process in reversed(started):
            process.stop()
        shutil.rmtree(prefix, ignore_errors=True)


def test_finding5_slow_uploads_starve_gunicorn_but_not_nginx(servers):
    """Three trickled 400 MB uploads: /health/ times out direct, answers in < 2 s via nginx."""
    gunicorn_port, nginx_port = servers

    with trickling(gunicorn_port, clients=WORKERS - 1):
        assert health(gunicorn_port)[0] == 200, "one free worker should answer"
    with trickling(gunicorn_port):
        status, waited = health(gunicorn_port)
    print(f"direct to gunicorn, 3 slow clients: status {status} after {waited:.2f} s")
    assert status is None, "gunicorn answered although its three workers were held"
    # The slow clients gone, every worker is free again.
    wait_for(lambda: health(gunicorn_port)[0] == 200, timeout=30, what="gunicorn to recover")

    with trickling(nginx_port):
        status, waited = health(nginx_port)
        direct_status, _ = health(gunicorn_port)
    print(f"through nginx, 3 slow clients: status {status} after {waited:.3f} s")
    assert status == 200
    assert waited < 2.0
    assert direct_status == 200, "nginx passed a slow upload on before its body was complete"


def test_finding5_nginx_refuses_bodies_above_the_upload_limit(servers):
    """A body declared above REGISTRY_UPLOAD_MAX_BODY_BYTES gets 413 from nginx, unread."""
    _, nginx_port = servers
    sock = slow_upload(nginx_port, declared=settings.REGISTRY_UPLOAD_MAX_BODY_BYTES + 1)
    with sock:
        answer = sock.recv(200).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413"), answer
