"""Limits on what a received DICOM file may make us allocate or walk, checked before decoding.

A few hundred bytes can declare a 65535 x 65535 image, a megabyte of deflate can inflate to a
gigabyte, and a few megabytes can hold 300,000 sequence items that pydicom parses one by one.
So, before pydicom parses the dataset: the deflated stream is inflated with a cap
(``inflate``), and the element tree is walked without decoding anything (``check_structure``),
stopping at the first element past the budget; once the header is read, the image's declared
size is checked (``check_pixel_data_size``) before any frame is decoded. Pure functions of the
bytes and a ``DicomLimits``; they raise ``LimitExceeded`` with a reason code of this module.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from pydicom.datadict import dictionary_VR

IMAGE_TOO_LARGE = "image_too_large"
INFLATED_TOO_LARGE = "inflated_too_large"
TOO_MANY_ELEMENTS = "too_many_elements"
TOO_DEEPLY_NESTED = "too_deeply_nested"
DECODE_OUT_OF_MEMORY = "decode_out_of_memory"
DECODE_TIMEOUT = "decode_timeout"
DECODE_CRASHED = "decode_crashed"

LIMIT_MESSAGES: dict[str, str] = {
    IMAGE_TOO_LARGE: (
        "The image declares more pixel data (Rows x Columns x frames x samples x bits) than "
        "REGISTRY_DICOM_MAX_PIXEL_DATA_MB allows."
    ),
    INFLATED_TOO_LARGE: (
        "The deflated dataset inflates to more than REGISTRY_DICOM_MAX_INFLATED_MB."
    ),
    TOO_MANY_ELEMENTS: (
        "The file holds more data elements, sequence items and fragments than "
        "REGISTRY_DICOM_MAX_ELEMENTS allows."
    ),
    TOO_DEEPLY_NESTED: "The file nests sequences deeper than REGISTRY_DICOM_MAX_DEPTH allows.",
    DECODE_OUT_OF_MEMORY: (
        "Decoding the image needs more memory than REGISTRY_DICOM_DECODE_MEMORY_MB allows."
    ),
    DECODE_TIMEOUT: "Decoding the image takes longer than REGISTRY_DICOM_DECODE_TIMEOUT_S allows.",
    DECODE_CRASHED: "The image decoder stopped without an answer (out of memory or crashed).",
}

MIB = 1024 * 1024
_UNDEFINED_LENGTH = 0xFFFFFFFF
_ITEM, _ITEM_END, _SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_PIXEL_DATA = 0x7FE00010
# the same tags as read by one little-endian "<L": group in the low half
_ITEM_LE, _SEQUENCE_END_LE = 0xE000FFFE, 0xE0DDFFFE
_SEQUENCE_END_BYTES = b"\xfe\xff\xdd\xe0"
# PS3.5 7.1.2: these VRs have a 2-byte reserved field and a 4-byte length in explicit VR.
LONG_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC", b"UN", b"UR", b"UT"})
_INFLATE_CHUNK = 1 * MIB
_FRAME_HEADER_SCAN = 64 * 1024  # tables and application segments come before SOFn


@dataclass(frozen=True)
class DicomLimits:
    """The budget of one file (settings REGISTRY_DICOM_*, read by imaging.dicom.ingest)."""

    max_pixel_data_bytes: int  # Rows x Columns x frames x samples x Bits Allocated / 8
    max_inflated_bytes: int  # the dataset of a deflated file, once inflated
    max_elements: int  # data elements + sequence items + pixel data fragments, all depths
    max_depth: int  # sequences inside sequences
    decode_memory_bytes: int  # address space a decoding child may add to its own
    decode_seconds: float  # wall-clock time a decoding child may take


class LimitExceeded(ValueError):
    """A file over one of the limits; ``reason`` is a code of LIMIT_MESSAGES."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


def pixel_data_bytes(
    *, rows: int, columns: int, frames: int, samples: int, bits_allocated: int
) -> int:
    """The decoded size of the whole image as the header declares it (PS3.3 C.7.6.3)."""
    return (rows * columns * frames * samples * bits_allocated + 7) // 8


def check_pixel_data_size(
    *, rows: int, columns: int, frames: int, samples: int, bits_allocated: int, limits: DicomLimits
) -> None:
    """Raise IMAGE_TOO_LARGE when the declared image exceeds the budget: decoders allocate the
    declared size before they read a byte of the frame."""
    size = pixel_data_bytes(
        rows=rows, columns=columns, frames=frames, samples=samples, bits_allocated=bits_allocated
    )
    if size > limits.max_pixel_data_bytes:
        raise LimitExceeded(
            IMAGE_TOO_LARGE,
            f"{rows} x {columns} x {frames} frames x {samples} samples x {bits_allocated} bits "
            f"= {size / MIB:.0f} MB > {limits.max_pixel_data_bytes / MIB:.0f} MB",
        )


def check_frame_headers(pixel_data: bytes, *, rows: int, columns: int) -> None:
    """Raise IMAGE_TOO_LARGE when a JPEG or JPEG 2000 frame of encapsulated Pixel Data
    (PS3.5 A.4) declares more pixels than Rows x Columns: its decoder allocates what the frame
    says, whatever the DICOM header says."""
    pos = 0
    while pos + 8 <= len(pixel_data):
        tag, length = struct.unpack_from("<LL", pixel_data, pos)
        if tag != 0xE000FFFE or length == _UNDEFINED_LENGTH:
            return
        size = _frame_size(pixel_data[pos + 8 : pos + 8 + min(length, _FRAME_HEADER_SCAN)])
        if size is not None and size[0] * size[1] > rows * columns:
            raise LimitExceeded(
                IMAGE_TOO_LARGE,
                f"a frame declares {size[0]} x {size[1]}, the header {rows} x {columns}",
            )
        pos += 8 + length


def _frame_size(start: bytes) -> tuple[int, int] | None:
    """(rows, columns) from a JPEG SOFn (T.81 B.2.2) or a JPEG 2000 SIZ (T.800 A.5.1) marker
    segment at the start of a fragment; None for a fragment that does not start a frame."""
    if start[:4] == b"\xff\x4f\xff\x51" and len(start) >= 24:  # SOC, then SIZ
        width, height, x_offset, y_offset = struct.unpack_from(">LLLL", start, 8)
        return max(height - y_offset, 0), max(width - x_offset, 0)
    if start[:2] != b"\xff\xd8":  # SOI
        return None
    pos = 2
    while pos + 9 <= len(start) and start[pos] == 0xFF:
        marker = start[pos + 1]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return struct.unpack_from(">HH", start, pos + 5)
        pos += 2 + struct.unpack_from(">H", start, pos + 2)[0]
    return None


def inflate(data: bytes | memoryview, *, max_bytes: int) -> bytearray:
    """Inflate a raw deflate stream (PS3.5 A.5), stopping as soon as the output passes
    ``max_bytes``. EOFError when the stream ends early, zlib.error when it is not deflate."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    out = bytearray()
    view = memoryview(data)
    for start in range(0, len(view), _INFLATE_CHUNK):
        pending = view[start : start + _INFLATE_CHUNK]
        while pending:
            # output in chunks too, never past the budget (+1 byte, to see it is exceeded)
            out += inflater.decompress(pending, min(_INFLATE_CHUNK, max_bytes - len(out) + 1))
            if len(out) > max_bytes:
                raise LimitExceeded(INFLATED_TOO_LARGE, f"> {max_bytes / MIB:.0f} MB")
            pending = inflater.unconsumed_tail
        if inflater.eof:
            break
    out += inflater.flush()
    if not inflater.eof:
        raise EOFError("the deflated stream ends before its last block")
    if len(out) > max_bytes:
        raise LimitExceeded(INFLATED_TOO_LARGE, f"> {max_bytes / MIB:.0f} MB")
    return out


def check_structure(
    data: bytes | bytearray | memoryview, *, implicit_vr: bool, limits: DicomLimits
) -> None:
    """Walk the (little endian) dataset's element tree without decoding a value; raise
    TOO_MANY_ELEMENTS or TOO_DEEPLY_NESTED at the first element over the budget.

    The walk follows pydicom's reader (3.0) position for position, so it counts everything
    pydicom will parse: a value of undefined length ends at the sequence delimiter pydicom finds,
    a stray tag inside a sequence is an item, as there, and a container of defined length ends
    where its last element did, not at its stated length. It stops only where the bytes run out
    (truncation is pydicom's to report); each step moves forward, so the walk is linear.
    """
    data = data if isinstance(data, bytes | bytearray) else bytes(data)
    _Walk(data, limits).dataset(0, None, len(data), implicit_vr, 0)


class _Walk:
    """The element counter shared by every level of one walk."""

    def __init__(self, data: bytes | bytearray, limits: DicomLimits) -> None:
        self.view = data
        self.limits = limits
        self.count = 0

    def _counted(self) -> None:
        self.count += 1
        if self.count > self.limits.max_elements:
            raise LimitExceeded(TOO_MANY_ELEMENTS, f"> {self.limits.max_elements}")

    def dataset(self, pos: int, end: int | None, limit: int, implicit_vr: bool, depth: int) -> int:
        """Walk elements from pos until an item delimiter, or pos reaches ``end`` (None: no
        length), within the bytes pydicom holds (up to ``limit``: the file, or the value of a
        sequence of defined length); return where pydicom's reader would then stand."""
        view = self.view
        while (end is None or pos < end) and pos + 8 <= limit:
            group, element = struct.unpack_from("<HH", view, pos)
            tag = group << 16 | element
            if tag == _ITEM_END:
                return pos + 8
            vr = None if implicit_vr else bytes(view[pos + 4 : pos + 6])
            if vr is not None and not (vr.isalpha() and vr.isupper()):
                implicit_vr, vr = True, None  # pydicom switches to implicit VR here as well
            if vr is None or vr in LONG_VRS:
                if pos + (8 if vr is None else 12) > limit:
                    return limit
                (length,) = struct.unpack_from("<L", view, pos + (4 if vr is None else 8))
                pos += 8 if vr is None else 12
            else:
                (length,) = struct.unpack_from("<H", view, pos + 6)
                pos += 8
            self._counted()
            if tag != _PIXEL_DATA and self._is_sequence(tag, vr, length, pos, limit):
                if depth + 1 > self.limits.max_depth:
                    raise LimitExceeded(TOO_DEEPLY_NESTED, f"> {self.limits.max_depth} levels")
                inner = implicit_vr or vr == b"UN"  # PS3.5 6.2.2: UN sequences are implicit VR
                if length == _UNDEFINED_LENGTH:
                    pos = self.sequence(pos, None, limit, inner, depth + 1)
                else:  # read as raw bytes, parsed on their own when pydicom converts them
                    value_end = min(limit, pos + length)
                    self.sequence(pos, value_end, value_end, inner, depth + 1)
                    pos += length
            elif length == _UNDEFINED_LENGTH:
                after = self._undefined_value_end(pos, limit)
                if after is None:
                    return limit  # no delimiter: pydicom reports the truncation
                pos = after
            else:
                pos += length
        return pos

    def _is_sequence(self, tag: int, vr: bytes | None, length: int, pos: int, limit: int) -> bool:
        """Whether pydicom reads the value as a sequence: SQ; UN of undefined length (PS3.5
        6.2.2); implicit VR of undefined length whose dictionary VR is SQ, or, for a tag outside
        the dictionary, that starts with an item tag; and (when pydicom converts it) an implicit
        or UN value of defined length that starts with an item tag."""
        if vr == b"SQ" or (vr == b"UN" and length == _UNDEFINED_LENGTH):
            return True
        if vr not in (None, b"UN"):
            return False
        if length == _UNDEFINED_LENGTH:
            try:
                return dictionary_VR(tag) == "SQ"
            except KeyError:
                pass
        return pos + 4 <= limit and struct.unpack_from("<L", self.view, pos)[0] == _ITEM_LE

    def _undefined_value_end(self, pos: int, limit: int) -> int | None:
        """Where pydicom's read_undefined_length_value leaves a value of undefined length that is
        not a sequence: after the sequence delimiter that ends it read as fragments (PS3.5 A.4),
        else after the first sequence delimiter tag in its bytes; None when there is none.
        Every fragment tried counts, so a value re-walked from many places stays bounded."""
        view, start = self.view, pos
        while pos + 4 <= limit:
            (tag,) = struct.unpack_from("<L", view, pos)
            if tag == _SEQUENCE_END_LE:
                return pos + 8
            if tag != _ITEM_LE or pos + 8 > limit:
                break
            self._counted()
            pos += 8 + struct.unpack_from("<L", view, pos + 4)[0]
        found = view.find(_SEQUENCE_END_BYTES, start, limit)
        return None if found < 0 else found + 8

    def sequence(self, pos: int, end: int | None, limit: int, implicit_vr: bool, depth: int) -> int:
        """Walk items from pos until the sequence delimiter, or pos reaches ``end`` (None: no
        length), within ``limit``; return where pydicom's reader would then stand. Like pydicom,
        any other tag is read as an item header (tag, length) too: never a stop."""
        view = self.view
        while (end is None or pos < end) and pos + 8 <= limit:
            group, element, length = struct.unpack_from("<HHL", view, pos)
            pos += 8
            if group << 16 | element == _SEQUENCE_END:
                return pos
            self._counted()
            stop = None if length == _UNDEFINED_LENGTH else pos + length
            pos = self.dataset(pos, stop, limit, implicit_vr, depth)
        return pos
