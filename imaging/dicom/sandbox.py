"""Decoding compressed pixel data in a child process with a memory and a time limit.

A JPEG, RLE or JPEG 2000 frame can make its decoder allocate far more than the header says
(the frame's own header may disagree with Rows and Columns) or run for long. So compressed
frames are decoded only in a child whose address space is capped (RLIMIT_AS) and which is
killed at the deadline (SIGALRM); one that runs out of memory, crashes or overruns is a
rejection with a reason (imaging.dicom.limits), never a failure of the web process, the
receiver or the worker that asked.

The children are forked by a helper, ``python -m imaging.dicom.sandbox``, that each process
starts once: it has the decoders imported (a child starts in milliseconds) and none of the
parent's threads, sockets or database connections. Not ``multiprocessing``: Celery's prefork
children are daemonic and may not start one, and its spawn and forkserver children re-import
the parent's main script. Jobs and answers cross a socket as JSON plus raw bytes, never pickle:
a child that a hostile file took over must not be able to run code in its parent.
"""

from __future__ import annotations

import json
import math
import os
import resource
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset

from imaging.dicom import render
from imaging.dicom.limits import (
    DECODE_CRASHED,
    DECODE_OUT_OF_MEMORY,
    DECODE_TIMEOUT,
    DicomLimits,
)
from imaging.dicom.read import (
    CORRUPT_PIXEL_DATA,
    MESSAGES,
    NATIVE_TRANSFER_SYNTAXES,
    DicomError,
    decode_last_frame,
    read_dicom,
)

_HEADER = struct.Struct(">I")
_MAX_ANSWER_HEADER = 64 * 1024
# The parent waits this much longer than the child's own deadline before giving up on it.
_GRACE_SECONDS = 5


def pixels_verify(data: bytes, ds: Dataset, *, limits: DicomLimits) -> None:
    """Raise DicomError unless the last frame of ``ds`` (read from ``data``) decodes. Native
    pixel data were checked by read_dicom; compressed frames are decoded in a child."""
    if ds.file_meta.TransferSyntaxUID not in NATIVE_TRANSFER_SYNTAXES:
        run_sandboxed("verify", data, limits=limits)


def previews_render(data: bytes, *, sizes: dict[str, int], limits: DicomLimits) -> dict[str, bytes]:
    """PNG of each ``sizes`` name -> longest side in pixels, rendered in a child."""
    return run_sandboxed("render", data, limits=limits, sizes=sizes)


def run_sandboxed(
    job: str, data: bytes, *, limits: DicomLimits, sizes: dict[str, int] | None = None
) -> dict[str, bytes]:
    """Run ``job`` ("verify" or "render") on ``data`` in a child; its named byte strings, or
    DicomError with the child's reason or the limit's."""
    ours, theirs = socket.socketpair()
    started = time.monotonic()
    ours.settimeout(limits.decode_seconds + _GRACE_SECONDS)
    header = {"job": job, "limits": asdict(limits), "sizes": sizes or {}}
    try:
        try:
            with theirs:
                _helper.hand_over(theirs)
            _send(ours, header, [data])
            answer, parts = _receive(ours, max_bytes=limits.max_pixel_data_bytes)
            named = dict(zip(answer.get("names", []), parts, strict=True))
        except (EOFError, OSError, ValueError) as exc:  # the child died, or sent nonsense
            if time.monotonic() - started >= limits.decode_seconds:
                raise DicomError(DECODE_TIMEOUT, f"> {limits.decode_seconds:g} s") from exc
            raise DicomError(DECODE_CRASHED, type(exc).__name__) from exc
    finally:
        ours.close()
    reason = answer.get("reason")
    if reason:  # a code of ours only: the child may be the one a hostile file took over
        known = reason if reason in MESSAGES else CORRUPT_PIXEL_DATA
        raise DicomError(known, str(answer.get("detail", ""))[:500])
    return named


# --- the helper, as seen from its parent ----------------------------------------------------


class _Helper:
    """This process's helper: started on first use, again if it died or after a fork."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._owner = 0

    def hand_over(self, connection: socket.socket) -> None:
        """Give the helper one end of a job's connection; it forks a child to serve it."""
        with self._lock:
            for attempt in range(2):
                if attempt or not self._running():  # a second attempt: it died since
                    self._start()
                try:
                    socket.send_fds(self._control, [b"j"], [connection.fileno()])
                    return
                except OSError:
                    if attempt:
                        raise

    def _running(self) -> bool:
        return (
            self._process is not None
            and self._owner == os.getpid()
            and self._process.poll() is None
        )

    def _start(self) -> None:
        if self._process is not None and self._owner == os.getpid():  # dead or deaf: replace
            self._control.close()
            self._process.kill()
            self._process.wait()
        self._control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(theirs.fileno())],
            cwd=Path(__file__).resolve().parents[2],  # the project root
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self._owner = os.getpid()


_helper = _Helper()


# --- the helper process and its children ------------------------------------------------------


def _serve(control_fd: int) -> None:
    """Fork one child per connection received; exit when the parent closes the control socket."""
    import libjpeg  # noqa: F401  the decoder plugins, imported once here and not per child
    import openjpeg  # noqa: F401
    import rle  # noqa: F401

    control = socket.socket(fileno=control_fd)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the children
    while True:
        message, fds, _flags, _address = socket.recv_fds(control, 1, 1)
        if not message:
            return
        connection = socket.socket(fileno=fds[0])
        if os.fork() == 0:
            control.close()
            try:
                _child(connection)
            finally:
                os._exit(0)
        connection.close()


def _child(connection: socket.socket) -> None:
    header, (data,) = _receive(connection, max_bytes=1 << 40)
    limits = DicomLimits(**header["limits"])
    _limit_resources(limits)
    try:
        names, parts = _run(header["job"], data, limits, header["sizes"])
        answer: dict[str, Any] = {"names": names}
    except DicomError as exc:
        answer, parts = {"reason": exc.reason, "detail": exc.detail}, []
    except MemoryError:
        answer, parts = {"reason": DECODE_OUT_OF_MEMORY}, []
    except Exception as exc:  # a decoder's own exception types
        answer, parts = {"reason": CORRUPT_PIXEL_DATA, "detail": f"{type(exc).__name__}"}, []
    _send(connection, answer, parts)


def _run(
    job: str, data: bytes, limits: DicomLimits, sizes: dict[str, int]
) -> tuple[list[str], list[bytes]]:
    ds = read_dicom(data, limits=limits)
    if job == "verify":
        decode_last_frame(ds)
        return [], []
    names = list(sizes)
    return names, [render.render_preview(ds, max_size=sizes[name]) for name in names]


def _limit_resources(limits: DicomLimits) -> None:
    """Cap the address space at what the child uses now plus the budget, its time at the
    deadline (SIGALRM's default action ends the process, even inside a decoder's C code; CPU
    time is a backstop), and write no core file."""
    with open("/proc/self/statm") as statm:  # Linux: first field, total program size in pages
        in_use = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    address_space = in_use + limits.decode_memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    cpu_seconds = math.ceil(limits.decode_seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.setitimer(signal.ITIMER_REAL, limits.decode_seconds)


# --- wire format: a length-prefixed JSON header naming the sizes of the raw parts after it ---


def _send(connection: socket.socket, header: dict[str, Any], parts: list[bytes]) -> None:
    encoded = json.dumps({**header, "sizes_of_parts": [len(p) for p in parts]}).encode()
    connection.sendall(_HEADER.pack(len(encoded)) + encoded)
    for part in parts:
        connection.sendall(part)


def _receive(connection: socket.socket, *, max_bytes: int) -> tuple[dict[str, Any], list[bytes]]:
    (length,) = _HEADER.unpack(_read(connection, _HEADER.size))
    if length > _MAX_ANSWER_HEADER:
        raise ValueError("header too long")
    header = json.loads(_read(connection, length))
    sizes = header.pop("sizes_of_parts", None) if isinstance(header, dict) else None
    if not isinstance(sizes, list) or not all(isinstance(size, int) for size in sizes):
        raise ValueError("no sizes of parts")
    if sum(sizes) > max_bytes:
        raise ValueError("answer too long")
    return header, [_read(connection, size) for size in sizes]


def _read(connection: socket.socket, size: int) -> bytes:
    buffer = bytearray(size)
    view, received = memoryview(buffer), 0
    while received < size:
        count = connection.recv_into(view[received:])
        if count == 0:
            raise EOFError("the other end closed the connection")
        received += count
    return bytes(buffer)


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
