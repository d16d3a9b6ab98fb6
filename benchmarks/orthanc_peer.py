"""Orthanc (Debian package) as the benchmark's peer receiver, confined to loopback.

Orthanc 1.10 has no bind-address option: it listens on every interface. It runs here in a
network namespace that has only a loopback interface, and socat forwards two local ports into
it, exactly as shared/RECIPES.md shows. Needs root (ip netns), Orthanc and socat. Everything
started is stopped and the namespace deleted on exit, even after an error.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

AE_TITLE = "ORTHANC"
DICOM_PORT, HTTP_PORT = 4242, 8042  # inside the namespace


@dataclass(frozen=True)
class Peer:
    dicom_port: int  # local port forwarded to Orthanc's DICOM port
    http_port: int  # local port forwarded to Orthanc's REST API

    def statistics(self) -> dict:
        url = f"http://127.0.0.1:{self.http_port}/statistics"
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.load(response)


def unavailable() -> str | None:
    """Why Orthanc cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root for a network namespace"
    missing = [tool for tool in ("Orthanc", "socat", "ip", "echoscu") if not shutil.which(tool)]
    return f"missing {', '.join(missing)} (make system-packages)" if missing else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def orthanc(work: Path) -> Iterator[Peer]:
    """A running Orthanc storing under ``work``; torn down on exit."""
    namespace = f"calcreg-bench-{os.getpid()}"
    storage = work / "orthanc-storage"
    storage.mkdir(parents=True)
    config = work / "orthanc.json"
    config.write_text(
        json.dumps(
            {
                "Name": "benchmark peer",
                "StorageDirectory": str(storage),
                "IndexDirectory": str(storage),
                "Plugins": [],
                "DicomAet": AE_TITLE,
                "DicomPort": DICOM_PORT,
                "HttpPort": HTTP_PORT,
                "RemoteAccessAllowed": False,
                "AuthenticationEnabled": False,
                "DicomCheckCalledAet": False,
                "DicomAlwaysAllowStore": True,
                "DicomAlwaysAllowEcho": True,
            }
        )
    )
    forward = work / "nsfwd.sh"
    forward.write_text(f"#!/bin/sh\nexec ip netns exec {namespace} socat STDIO TCP:127.0.0.1:$1\n")
    forward.chmod(0o755)
    processes: list[subprocess.Popen] = []
    subprocess.run(["ip", "netns", "add", namespace], check=True)
    try:
        subprocess.run(
            ["ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up"], check=True
        )
        log = (work / "orthanc.log").open("w")
        processes.append(
            subprocess.Popen(
                ["ip", "netns", "exec", namespace, "Orthanc", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        peer = Peer(dicom_port=free_port(), http_port=free_port())
        for local, inside in ((peer.dicom_port, DICOM_PORT), (peer.http_port, HTTP_PORT)):
            processes.append(
                subprocess.Popen(
                    [
                        "socat",
                        f"TCP-LISTEN:{local},bind=127.0.0.1,reuseaddr,fork",
                        f"EXEC:{forward} {inside}",
                    ]
                )
            )
        _wait_for_echo(peer)
        yield peer
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        pids = subprocess.run(
            ["ip", "netns", "pids", namespace], capture_output=True, text=True
        ).stdout.split()
        for pid in pids:  # only processes this function started live in the namespace
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        subprocess.run(["ip", "netns", "delete", namespace], check=False)


def _wait_for_echo(peer: Peer, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        echo = subprocess.run(
            ["echoscu", "-aec", AE_TITLE, "127.0.0.1", str(peer.dicom_port)],
            capture_output=True,
        )
        if echo.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("Orthanc did not answer C-ECHO within 30 s")
        time.sleep(0.2)
