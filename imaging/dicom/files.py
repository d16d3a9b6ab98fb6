"""Finding DICOM files on disk for ``import_dicom``: folders walked, DICOMDIR followed.

A DICOMDIR (PS3.10 8, Basic Directory IOD of PS3.3 F) lists the files of a CD or USB export in
its Directory Record Sequence (0004,1220); each record's Referenced File ID (0004,1500) is a
path relative to the DICOMDIR, one component per value. Files it lists are taken from it, the
other files of the folders are taken too (loose files), each once; the DICOMDIR itself is not
an image and is skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydicom import dcmread
from pydicom.errors import InvalidDicomError

DICOMDIR = "DICOMDIR"


def dicomdir_files(path: Path) -> list[Path]:
    """Files referenced by a DICOMDIR, in its order; [] when it cannot be read."""
    try:
        ds = dcmread(path, stop_before_pixels=True)
    except (InvalidDicomError, OSError, EOFError, ValueError):
        return []
    files = []
    for record in ds.get("DirectoryRecordSequence", []):
        file_id = record.get("ReferencedFileID")
        if not file_id:
            continue
        parts = [file_id] if isinstance(file_id, str) else list(file_id)
        candidate = path.parent.joinpath(*parts)
        if not candidate.exists():  # media written in upper case, copied in lower case
            candidate = path.parent.joinpath(*(part.lower() for part in parts))
        files.append(candidate)
    return files


def dicom_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Every file under ``paths`` (files, folders, DICOMDIRs), each once, DICOMDIR order first."""
    seen: set[Path] = set()

    def once(candidates: Iterable[Path]) -> Iterator[Path]:
        for candidate in candidates:
            key = candidate.resolve()
            if key not in seen:
                seen.add(key)
                yield candidate

    for path in paths:
        if path.is_dir():
            for folder, dirs, names in os.walk(path):
                dirs.sort()
                here = Path(folder)
                if DICOMDIR in names:
                    yield from once(dicomdir_files(here / DICOMDIR))
                yield from once(here / name for name in sorted(names) if name != DICOMDIR)
        elif path.name.upper() == DICOMDIR:
            yield from once(dicomdir_files(path))
        else:
            yield from once([path])
