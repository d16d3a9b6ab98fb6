"""The export's zip: data files, the data dictionary and the manifest, each with its SHA-256.

Members are written as streams (a data file never sits in memory); each member's checksum is
computed on the bytes as they are written and listed in the manifest, which is written last.
CSV, NDJSON, SPSS and Stata are deflated at level 1 (a fast level: the compression must keep up
with COPY); Parquet and XLSX are stored as they are (already compressed).
"""

from __future__ import annotations

import hashlib
import io
import queue
import shutil
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

COPY_CHUNK = 1024 * 1024


@dataclass
class Member:
    name: str
    sha256: str = ""
    bytes: int = 0
    rows: int | None = None

    def as_dict(self) -> dict:
        entry = {"name": self.name, "sha256": self.sha256, "bytes": self.bytes}
        if self.rows is not None:
            entry["rows"] = self.rows
        return entry


class MemberWriter(io.RawIOBase):
    """A binary stream into one zip member that hashes what passes through."""

    def __init__(self, handle: IO[bytes], member: Member) -> None:
        super().__init__()
        self._handle = handle
        self._hash = hashlib.sha256()
        self.member = member

    def write(self, data) -> int:
        self._hash.update(data)
        self.member.bytes += len(data)
        self._handle.write(data)
        return len(data)

    def writable(self) -> bool:
        return True

    def finish(self) -> None:
        """Close the member (its checksum is final)."""
        if not self._handle.closed:
            self.member.sha256 = self._hash.hexdigest()
            self._handle.close()


class ExportPackage:
    """``with ExportPackage(path) as package:`` writes the zip at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.members: list[Member] = []
        self._writers: list[MemberWriter] = []
        self._zip: zipfile.ZipFile | None = None

    def __enter__(self) -> ExportPackage:
        self._zip = zipfile.ZipFile(
            self.path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1, allowZip64=True
        )
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self._zip is not None
        if exc_type is not None:  # an unfinished member would block closing (file is discarded)
            for writer in self._writers:
                writer.finish()
        self._zip.close()

    def open(self, name: str, *, compress: bool = True) -> MemberWriter:
        """A stream into a new member; call ``finish()`` when done."""
        assert self._zip is not None
        target: str | zipfile.ZipInfo = name
        if not compress:
            target = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
            target.compress_type = zipfile.ZIP_STORED
            target.external_attr = 0o644 << 16
        member = Member(name)
        self.members.append(member)
        writer = MemberWriter(self._zip.open(target, "w", force_zip64=True), member)
        self._writers.append(writer)
        return writer

    def add_bytes(self, name: str, data: bytes, *, rows: int | None = None) -> Member:
        writer = self.open(name)
        writer.write(data)
        writer.finish()
        writer.member.rows = rows
        return writer.member

    def add_file(
        self, name: str, source: Path, *, rows: int | None = None, compress: bool = False
    ) -> Member:
        """Copy a finished file into the zip in chunks (Parquet and XLSX stored as they are)."""
        writer = self.open(name, compress=compress)
        with open(source, "rb") as handle:
            shutil.copyfileobj(handle, writer, COPY_CHUNK)
        writer.finish()
        writer.member.rows = rows
        return writer.member


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(COPY_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class BackgroundWriter:
    """Runs ``write`` in a second thread, a few chunks behind the caller: deflate, CRC-32 and
    SHA-256 release the GIL, so compressing the zip overlaps with reading rows from COPY.
    ``with BackgroundWriter(member.write) as write: write(chunk)``; errors re-raise on exit."""

    def __init__(self, write: Callable[[bytes], object], depth: int = 4) -> None:
        self._write = write
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="export-writer", daemon=True)

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._write(chunk)
                except BaseException as error:  # handed to the caller's thread on exit
                    self._error = error

    def __enter__(self) -> Callable[[bytes], None]:
        self._thread.start()
        return self.put

    def put(self, chunk: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(chunk)

    def __exit__(self, exc_type, exc, tb) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and exc_type is None:
            raise self._error
