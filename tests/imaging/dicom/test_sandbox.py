"""imaging.dicom.sandbox: compressed frames decoded in a child with a memory and a time limit."""

from __future__ import annotations

import dataclasses
import io
import os
import signal
import time
import tracemalloc

import pytest
from PIL import Image
from pydicom.uid import JPEG2000Lossless

from imaging.dicom import sandbox
from imaging.dicom.limits import DECODE_CRASHED, DECODE_OUT_OF_MEMORY, DECODE_TIMEOUT, MIB
from imaging.dicom.read import CORRUPT_PIXEL_DATA, DicomError, read_dicom
from imaging.dicom.sandbox import pixels_verify, previews_render
from tests.imaging.dicom_factory import LIMITS, make_dx, to_bytes


def _verify(data: bytes, limits=LIMITS) -> None:
    pixels_verify(data, read_dicom(data, limits=limits), limits=limits)


def test_finding3_a_decode_over_its_memory_costs_the_child_not_the_parent():
    """A 2048 x 2048 JPEG 2000 frame with 16 MB for the child: the decoder fails there (the
    plugins report a failed allocation as their own error), the parent allocating nothing."""
    data = to_bytes(make_dx(transfer_syntax=JPEG2000Lossless, rows=2048, columns=2048))
    limits = dataclasses.replace(LIMITS, decode_memory_bytes=16 * MIB)
    tracemalloc.start()
    try:
        with pytest.raises(DicomError) as info:
            _verify(data, limits)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.value.reason in {DECODE_OUT_OF_MEMORY, CORRUPT_PIXEL_DATA, DECODE_CRASHED}
    assert peak < 16 * MIB + len(data)
    _verify(data)  # with the default budget the same frame decodes


def test_a_decode_over_its_deadline_is_killed_and_named():
    """A 1024 x 1024 JPEG 2000 frame with 20 ms to decode: decode_timeout, promptly."""
    data = to_bytes(make_dx(transfer_syntax=JPEG2000Lossless, rows=1024, columns=1024))
    limits = dataclasses.replace(LIMITS, decode_seconds=0.02)
    started = time.monotonic()
    with pytest.raises(DicomError) as info:
        _verify(data, limits)
    assert info.value.reason == DECODE_TIMEOUT
    assert time.monotonic() - started < 5


def test_a_good_compressed_frame_verifies_and_renders():
    """The child decodes and renders what the parent would, PNGs of the asked sizes."""
    data = to_bytes(make_dx(transfer_syntax=JPEG2000Lossless, rows=300, columns=200))
    _verify(data)
    pngs = previews_render(data, sizes={"thumb": 60, "viewer": 1024}, limits=LIMITS)
    assert Image.open(io.BytesIO(pngs["thumb"])).size == (40, 60)
    assert Image.open(io.BytesIO(pngs["viewer"])).size == (200, 300)


def test_a_dead_helper_is_replaced():
    """The helper killed between two files: the next file starts a new one and decodes."""
    data = to_bytes(make_dx(transfer_syntax=JPEG2000Lossless))
    _verify(data)
    helper = sandbox._helper._process
    os.kill(helper.pid, signal.SIGKILL)
    helper.wait()
    _verify(data)
    assert sandbox._helper._process.pid != helper.pid
