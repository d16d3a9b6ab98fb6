"""Real processes for integration tests: a Celery worker and a private redis-server.

Each runs in its own process group (killed as a whole, like a container), logs to a file shown
when a test fails, and is waited for by polling with a deadline, never by a bare sleep.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"


def wait_for(condition: Callable[[], object], *, timeout: float, what: str, log=None) -> object:
    """Poll ``condition`` every 50 ms until it is truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = f"\n--- log tail ---\n{log.tail()}" if log is not None else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{tail}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Process:
    """A child process in its own session, its output in ``log_path``."""

    def __init__(self, args: list[str], log_path: Path, env: dict[str, str] | None = None):
        self.log_path = log_path
        self.log = open(log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (a prefork worker's children too)."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)
        self.popen.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM (a worker finishes its task), then SIGKILL for whatever is left."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):  # children of a killed parent linger
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)
        self.log.close()


class CeleryWorker(Process):
    """``celery -A registry worker`` (prefork, one child) on the given broker and database."""

    def __init__(self, log_dir: Path, env: dict[str, str], *, beat: bool = False):
        name = f"test-{uuid.uuid4().hex[:8]}"
        args = [
            str(CELERY), "-A", "registry", "worker", "--pool", "prefork", "-c", "1",
            "--loglevel", "INFO", "-n", f"{name}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        if beat:
            args += ["-B", "-s", str(log_dir / f"{name}-beat-schedule")]
        super().__init__(args, log_dir / f"{name}.log", env)
        wait_for(lambda: " ready." in self.tail(400), timeout=60, what="the worker", log=self)

    def count(self, text: str) -> int:
        return self.log_path.read_text(errors="replace").count(text)


class PrivateRedis(Process):
    """A redis-server of our own (never the machine's), which a test may stop and restart."""

    def __init__(self, log_dir: Path, port: int):
        self.port = port
        binary = shutil.which("redis-server")
        args = [
            str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(log_dir),
        ]  # fmt: skip
        super().__init__(args, log_dir / f"redis-{port}-{uuid.uuid4().hex[:6]}.log")
        wait_for(self.ping, timeout=20, what=f"redis-server on port {port}", log=self)

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def service_env(**settings: str) -> dict[str, str]:
    """This process's environment without its registry settings, plus ``settings``: a child
    process configured only by what the test passes it."""
    prefixes = ("DATABASE_", "CELERY_", "CACHE_", "REGISTRY_", "DJANGO_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(prefixes)}
    env.update(DJANGO_SETTINGS_MODULE="registry.settings.test", **settings)
    return env


class Gunicorn(Process):
    """``gunicorn registry.wsgi`` with sync workers on a loopback port (the compose shape)."""

    def __init__(self, log_dir: Path, env: dict[str, str], *, workers: int = 2):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = [
            str(Path(sys.executable).parent / "gunicorn"), "registry.wsgi",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
            "--worker-class", "sync", "--timeout", "30", "--preload", "--no-control-socket",
        ]  # fmt: skip
        super().__init__(args, log_dir / f"gunicorn-{self.port}.log", env)
        wait_for(
            lambda: self.tail(400).count("Booting worker") >= workers and self._listening(),
            timeout=60,
            what=f"{workers} gunicorn workers",
            log=self,
        )

    def _listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False
