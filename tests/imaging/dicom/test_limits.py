"""imaging.dicom.limits and read_dicom: hostile files rejected, with their reason, before decoding.

Regression tests of the security review's finding 3 (issue #12). Costs are measured in this
process: CPU time (time.process_time) and Python allocations (tracemalloc, which sees bytes,
bytearrays and numpy arrays), so a rejection that decoded or inflated in full would fail them.
"""

from __future__ import annotations

import dataclasses
import struct
import time
import tracemalloc

import pytest
from pydicom.uid import JPEG2000Lossless

from imaging.dicom.limits import (
    IMAGE_TOO_LARGE,
    INFLATED_TOO_LARGE,
    MIB,
    TOO_DEEPLY_NESTED,
    TOO_MANY_ELEMENTS,
    LimitExceeded,
    check_pixel_data_size,
    check_structure,
    inflate,
)
from imaging.dicom.read import DicomError, read_dicom
from tests.imaging import dicom_bombs
from tests.imaging.dicom_factory import (
    ALL_TRANSFER_SYNTAXES,
    LIMITS,
    make_dx,
    to_bytes,
)


def _rejection(data: bytes, limits=LIMITS) -> tuple[str, float, int]:
    """(reason, CPU seconds, peak MB allocated) of read_dicom refusing ``data``."""
    tracemalloc.start()
    started = time.process_time()
    try:
        with pytest.raises(DicomError) as info:
            read_dicom(data, limits=limits)
        seconds = time.process_time() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return info.value.reason, seconds, peak // MIB


def test_finding3_jpeg_bomb_rejected_before_decoding():
    """A ~3 kB JPEG DX declaring 65535 x 65535 (9.2 GB and 30 s before): image_too_large."""
    reason, seconds, peak_mb = _rejection(dicom_bombs.jpeg_bomb())
    assert reason == IMAGE_TOO_LARGE
    assert seconds < 0.5 and peak_mb < 16


def test_finding3_jpeg_frame_larger_than_its_header_rejected_before_decoding():
    """The same JPEG frame behind a 64 x 64 header (5.6 GB and 25 s before): the frame's own
    SOF is read, and it is image_too_large too."""
    reason, seconds, peak_mb = _rejection(dicom_bombs.jpeg_bomb(header_rows=64, header_columns=64))
    assert reason == IMAGE_TOO_LARGE
    assert seconds < 0.5 and peak_mb < 16


def test_a_jpeg_2000_frame_larger_than_its_header_is_refused():
    """The SIZ marker of a JPEG 2000 frame is read the same way."""
    ds = make_dx(transfer_syntax=JPEG2000Lossless, rows=256, columns=192)
    ds.Rows, ds.Columns = 64, 48
    assert _rejection(to_bytes(ds))[0] == IMAGE_TOO_LARGE


def test_finding3_rle_bomb_rejected_before_decoding():
    """A ~3 kB RLE DX declaring 65535 x 65535 x 16 bits (4.2 GB before): image_too_large."""
    reason, seconds, peak_mb = _rejection(dicom_bombs.rle_bomb())
    assert reason == IMAGE_TOO_LARGE
    assert seconds < 0.5 and peak_mb < 16


def test_finding3_deflate_bomb_capped_while_inflating():
    """1 MB of deflate inflating to 1 GiB (accepted, 5.3 GB before): inflated_too_large, having
    held at most the cap (256 MB) and never the GiB."""
    data = dicom_bombs.deflate_bomb(inflated_mib=1024)
    assert len(data) < 2 * MIB
    reason, _seconds, peak_mb = _rejection(data)
    assert reason == INFLATED_TOO_LARGE
    assert peak_mb < LIMITS.max_inflated_bytes // MIB * 1.25  # a bytearray grows by 1/8


def test_finding3_300000_sequence_items_rejected_cheaply():
    """300,000 sequence items (17 s of CPU and accepted before): too_many_elements, at once."""
    reason, seconds, _peak_mb = _rejection(dicom_bombs.many_items(300_000))
    assert reason == TOO_MANY_ELEMENTS
    assert seconds < 0.5


def test_finding3_too_deep_nesting_is_named_not_not_dicom():
    """Sequences nested 5,000 deep were "not_dicom" (pydicom's RecursionError): now named."""
    reason, seconds, _peak_mb = _rejection(dicom_bombs.deep_nesting(5_000))
    assert reason == TOO_DEEPLY_NESTED
    assert seconds < 0.5


@pytest.mark.parametrize("transfer_syntax", ALL_TRANSFER_SYNTAXES, ids=lambda uid: uid.name)
def test_ordinary_files_are_within_the_default_limits(transfer_syntax):
    """Every accepted syntax, with the factory's nested sequences, passes the default limits."""
    kwargs = {"bits_stored": 8} if transfer_syntax.name.startswith("JPEG Baseline") else {}
    ds = make_dx(transfer_syntax=transfer_syntax, **kwargs)
    assert read_dicom(to_bytes(ds), limits=LIMITS).SOPInstanceUID == ds.SOPInstanceUID


def test_limits_are_inclusive_and_each_is_its_own_setting():
    """A file exactly at a limit passes; one over it is refused with that limit's reason."""
    data = to_bytes(make_dx(rows=128, columns=96))  # 12-bit in 16: 24,576 bytes of pixels
    exact = dataclasses.replace(LIMITS, max_pixel_data_bytes=128 * 96 * 2)
    assert read_dicom(data, limits=exact)
    smaller = dataclasses.replace(exact, max_pixel_data_bytes=128 * 96 * 2 - 1)
    assert _rejection(data, smaller)[0] == IMAGE_TOO_LARGE
    flat = dataclasses.replace(LIMITS, max_depth=0)  # the factory has sequences, one level
    assert _rejection(data, flat)[0] == TOO_DEEPLY_NESTED


# --- the pure functions ---------------------------------------------------------------------


def test_pixel_data_size_counts_frames_samples_and_bits():
    """Rows x Columns x frames x samples x bits / 8, against the byte budget."""
    limits = dataclasses.replace(LIMITS, max_pixel_data_bytes=100 * 100 * 3 * 4)
    check_pixel_data_size(
        rows=100, columns=100, frames=4, samples=3, bits_allocated=8, limits=limits
    )
    with pytest.raises(LimitExceeded) as info:
        check_pixel_data_size(
            rows=100, columns=100, frames=5, samples=3, bits_allocated=8, limits=limits
        )
    assert info.value.reason == IMAGE_TOO_LARGE


def test_inflate_stops_at_the_cap_and_reports_a_cut_stream():
    """The output never passes the cap; a stream cut short is an EOFError (truncated)."""
    deflater = __import__("zlib").compressobj(9, 8, -15)
    stream = deflater.compress(bytes(10 * MIB)) + deflater.flush()
    assert len(inflate(stream, max_bytes=10 * MIB)) == 10 * MIB
    with pytest.raises(LimitExceeded):
        inflate(stream, max_bytes=10 * MIB - 1)
    with pytest.raises(EOFError):
        inflate(stream[: len(stream) // 2], max_bytes=20 * MIB)


def _element(group: int, element: int, vr: bytes, value: bytes) -> bytes:
    return struct.pack("<HH", group, element) + vr + b"\0\0" + struct.pack("<L", len(value)) + value


def _item(content: bytes) -> bytes:
    return b"\xfe\xff\x00\xe0" + struct.pack("<L", len(content)) + content


def test_structure_counts_elements_and_items_at_every_depth():
    """Defined-length sequences count too: 1 sequence + 3 items + 3 elements = 7 elements."""
    inner = _element(0x0008, 0x0100, b"UN", b"ABCD")  # a value, not a sequence
    sequence = _element(0x0008, 0x1140, b"SQ", _item(inner) * 3)
    check_structure(sequence, implicit_vr=False, limits=dataclasses.replace(LIMITS, max_elements=7))
    with pytest.raises(LimitExceeded) as info:
        check_structure(
            sequence, implicit_vr=False, limits=dataclasses.replace(LIMITS, max_elements=6)
        )
    assert info.value.reason == TOO_MANY_ELEMENTS


def test_structure_sees_sequences_in_implicit_vr_and_un():
    """Without a visible SQ, a value that starts with an item tag is walked as a sequence."""
    nested = _item(_item(b""))  # item tags inside an item: one level deeper
    implicit = struct.pack("<HHL", 0x0008, 0x1140, len(nested)) + nested
    with pytest.raises(LimitExceeded) as info:
        check_structure(implicit, implicit_vr=True, limits=dataclasses.replace(LIMITS, max_depth=0))
    assert info.value.reason == TOO_DEEPLY_NESTED
    unknown = _element(0x0009, 0x1010, b"UN", nested)
    with pytest.raises(LimitExceeded):
        check_structure(unknown, implicit_vr=False, limits=dataclasses.replace(LIMITS, max_depth=0))


def test_finding3_undefined_length_element_does_not_hide_items():
    """An OB of undefined length used to end the walk; pydicom reads past its delimiter, so
    300,000 items behind it (accepted, 5.6 s and 508 MB before): too_many_elements, at once."""
    reason, seconds, _peak_mb = _rejection(dicom_bombs.items_behind_an_undefined_length_value())
    assert reason == TOO_MANY_ELEMENTS
    assert seconds < 2


def test_finding3_stray_tag_in_a_sequence_does_not_hide_items():
    """A non-item tag inside a sequence used to end the walk; pydicom reads it as an item and
    goes on, so the items behind it are counted: too_many_elements, at once."""
    reason, seconds, _peak_mb = _rejection(dicom_bombs.items_behind_a_stray_tag())
    assert reason == TOO_MANY_ELEMENTS
    assert seconds < 2


def test_an_undefined_length_private_value_still_passes():
    """A private OB of undefined length (fragments and a delimiter, PS3.5 7.1.3) is legal."""
    ds = make_dx()
    private = (
        b"\xe1\x7f\x10\x00LO\x08\x00REGISTRY"  # (7FE1,0010) private creator
        + b"\xe1\x7f\x01\x10OB\x00\x00\xff\xff\xff\xff"
        + _item(b"abcd")
        + b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    )
    assert read_dicom(to_bytes(ds) + private, limits=LIMITS).SOPInstanceUID == ds.SOPInstanceUID
    check_structure(
        private * 3, implicit_vr=False, limits=dataclasses.replace(LIMITS, max_elements=9)
    )
