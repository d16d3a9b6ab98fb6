"""Hostile DICOM files of the security review (issue #12, finding 3): small bytes, huge claims.

Each is a valid-looking DX file (tests.imaging.dicom_factory) with one part made hostile: a
JPEG frame or a header declaring 65535 x 65535, a deflated dataset that inflates to a GiB, a
sequence of 300,000 items, sequences nested thousands deep. Built in memory, in well under a
second; none is decoded or parsed in full here.
"""

from __future__ import annotations

import struct
import zlib

from pydicom.encaps import encapsulate, generate_frames
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.uid import DeflatedExplicitVRLittleEndian, JPEGBaseline8Bit, RLELossless

from tests.imaging.dicom_factory import make_dx, to_bytes

HUGE = 65535  # the largest Rows and Columns (US) can say, and a JPEG frame header too
_SOF0 = b"\xff\xc0"
_SEQUENCE_UNDEFINED = b"SQ\x00\x00\xff\xff\xff\xff"
_ITEM_UNDEFINED = b"\xfe\xff\x00\xe0\xff\xff\xff\xff"
_ITEM_END = b"\xfe\xff\x0d\xe0\x00\x00\x00\x00"
_SEQUENCE_END = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
_DIGITAL_SIGNATURES = b"\xfa\xff\xfa\xff"  # (FFFA,FFFA), a sequence allowed after Pixel Data
_REFERENCED_IMAGES = b"\x08\x00\x40\x11"  # (0008,1140) Referenced Image Sequence


def jpeg_bomb(*, header_rows: int = HUGE, header_columns: int = HUGE) -> bytes:
    """A JPEG baseline DX whose JPEG frame header declares 65535 x 65535; the DICOM header says
    ``header_rows`` x ``header_columns`` (the frame may lie about its size, the header too)."""
    ds = make_dx(transfer_syntax=JPEGBaseline8Bit, bits_stored=8, rows=16, columns=16)
    frame = bytearray(next(generate_frames(ds.PixelData, number_of_frames=1)))
    sof = frame.index(_SOF0)
    struct.pack_into(">HH", frame, sof + 5, HUGE, HUGE)  # marker, length, precision, then Y, X
    ds.PixelData = encapsulate([bytes(frame)])
    ds.Rows, ds.Columns = header_rows, header_columns
    return to_bytes(ds)


def rle_bomb() -> bytes:
    """An RLE DX of 16 x 16 pixels whose header declares 65535 x 65535 x 16 bits."""
    ds = make_dx(transfer_syntax=RLELossless, rows=16, columns=16)
    ds.Rows, ds.Columns = HUGE, HUGE
    return to_bytes(ds)


def deflate_bomb(*, inflated_mib: int = 1024) -> bytes:
    """A deflated DX (about 1 MB per GiB) whose native Pixel Data inflate to ``inflated_mib``."""
    ds = make_dx(rows=16, columns=16)
    del ds.PixelData
    pixel_bytes = inflated_mib * 1024 * 1024
    ds.Rows, ds.Columns = 16384, pixel_bytes // (16384 * 2)  # 16-bit pixels
    meta = DicomBytesIO()
    ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    write_file_meta_info(meta, ds.file_meta, enforce_standard=True)
    body = DicomBytesIO()
    body.is_little_endian, body.is_implicit_VR = True, False
    write_dataset(body, ds)
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    chunks = [deflater.compress(body.getvalue())]
    chunks.append(deflater.compress(b"\xe0\x7f\x10\x00OW\x00\x00" + struct.pack("<L", pixel_bytes)))
    zeros = bytes(16 * 1024 * 1024)
    for _ in range(pixel_bytes // len(zeros)):
        chunks.append(deflater.compress(zeros))
    chunks.append(deflater.flush())
    return bytes(128) + b"DICM" + meta.getvalue() + b"".join(chunks)


def many_items(count: int = 300_000) -> bytes:
    """A DX file followed by a Digital Signatures Sequence of ``count`` empty items."""
    items = (_ITEM_UNDEFINED + _ITEM_END) * count
    return to_bytes(make_dx()) + _DIGITAL_SIGNATURES + _SEQUENCE_UNDEFINED + items + _SEQUENCE_END


def deep_nesting(depth: int = 5_000) -> bytes:
    """A DX file followed by sequences nested ``depth`` deep, one item each."""
    opening = _REFERENCED_IMAGES + _SEQUENCE_UNDEFINED + _ITEM_UNDEFINED
    nested = opening * (depth - 1) + (_ITEM_END + _SEQUENCE_END) * (depth - 1)
    outer = _DIGITAL_SIGNATURES + _SEQUENCE_UNDEFINED + _ITEM_UNDEFINED
    return to_bytes(make_dx()) + outer + nested + _ITEM_END + _SEQUENCE_END


def items_behind_an_undefined_length_value(count: int = 300_000) -> bytes:
    """A DX file, then an OB of undefined length ended by a sequence delimiter (pydicom scans
    for it), then a Digital Signatures Sequence of ``count`` empty items."""
    hidden = b"\xe1\x7f\x01\x10OB\x00\x00\xff\xff\xff\xff" + b"not fragments" + _SEQUENCE_END
    items = (_ITEM_UNDEFINED + _ITEM_END) * count
    signatures = _DIGITAL_SIGNATURES + _SEQUENCE_UNDEFINED + items + _SEQUENCE_END
    return to_bytes(make_dx()) + hidden + signatures


def items_behind_a_stray_tag(count: int = 300_000) -> bytes:
    """A DX file, then a Digital Signatures Sequence whose first "item" is another tag (pydicom
    reads it as an item header all the same), then ``count`` empty items."""
    stray = b"\x08\x00\x16\x00\x00\x00\x00\x00"  # (0008,0016), length 0
    items = (_ITEM_UNDEFINED + _ITEM_END) * count
    head = to_bytes(make_dx()) + _DIGITAL_SIGNATURES + _SEQUENCE_UNDEFINED
    return head + stray + items + _SEQUENCE_END
