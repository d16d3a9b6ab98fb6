"""Reading uploaded radiographs: the one module (with deidentify and preview) that touches pydicom.

`read_dicom` accepts a Part 10 file only if we can ingest it end to end: a projection radiograph
or secondary capture, in a transfer syntax we can decode, with complete pixel data, within the
limits of imaging.dicom.limits. Everything else raises `DicomError` with a short `reason` code
the API returns as is. What the header says is read by imaging.dicom.metadata through the
accessors of imaging.dicom.accessors.
"""

from __future__ import annotations

import io
import math
import struct
import zlib
from typing import BinaryIO

from pydicom import dcmread
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.pixels import get_decoder
from pydicom.uid import (
    JPEG2000,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    RLELossless,
)

from imaging.dicom.accessors import get_int, get_str
from imaging.dicom.limits import (
    LIMIT_MESSAGES,
    LONG_VRS,
    DicomLimits,
    LimitExceeded,
    check_frame_headers,
    check_pixel_data_size,
    check_structure,
    inflate,
)

NOT_DICOM = "not_dicom"
TRUNCATED = "truncated"
NO_PIXEL_DATA = "no_pixel_data"
CORRUPT_PIXEL_DATA = "corrupt_pixel_data"
UNSUPPORTED_TRANSFER_SYNTAX = "unsupported_transfer_syntax"
UNSUPPORTED_SOP_CLASS = "unsupported_sop_class"

MESSAGES: dict[str, str] = {
    NOT_DICOM: "The file is not a DICOM Part 10 file (no 'DICM' prefix or file meta information).",
    TRUNCATED: "The DICOM file is truncated: it ends before its last element is complete.",
    NO_PIXEL_DATA: "The DICOM file has no Pixel Data (7FE0,0010).",
    CORRUPT_PIXEL_DATA: "The image in the DICOM file cannot be decoded.",
    UNSUPPORTED_TRANSFER_SYNTAX: "The file's transfer syntax is not one the registry decodes.",
    UNSUPPORTED_SOP_CLASS: "The DICOM file is not a CR, DX or secondary capture image.",
    **LIMIT_MESSAGES,
}

NATIVE_TRANSFER_SYNTAXES = (
    ImplicitVRLittleEndian,  # 1.2.840.10008.1.2
    ExplicitVRLittleEndian,  # 1.2.840.10008.1.2.1
    DeflatedExplicitVRLittleEndian,  # 1.2.840.10008.1.2.1.99
)
ACCEPTED_TRANSFER_SYNTAXES = (
    *NATIVE_TRANSFER_SYNTAXES,
    JPEGBaseline8Bit,  # 1.2.840.10008.1.2.4.50
    JPEGLossless,  # 1.2.840.10008.1.2.4.57 (process 14, any predictor)
    JPEGLosslessSV1,  # 1.2.840.10008.1.2.4.70 (process 14, first-order prediction)
    JPEG2000Lossless,  # 1.2.840.10008.1.2.4.90
    JPEG2000,  # 1.2.840.10008.1.2.4.91
    RLELossless,  # 1.2.840.10008.1.2.5
)

ACCEPTED_SOP_CLASSES = (
    "1.2.840.10008.5.1.4.1.1.1",  # Computed Radiography Image Storage
    "1.2.840.10008.5.1.4.1.1.1.1",  # Digital X-Ray Image Storage - For Presentation
    "1.2.840.10008.5.1.4.1.1.1.1.1",  # Digital X-Ray Image Storage - For Processing
    "1.2.840.10008.5.1.4.1.1.7",  # Secondary Capture Image Storage
    "1.2.840.10008.5.1.4.1.1.7.1",  # Multi-frame Single Bit Secondary Capture Image Storage
    "1.2.840.10008.5.1.4.1.1.7.2",  # Multi-frame Grayscale Byte Secondary Capture Image Storage
    "1.2.840.10008.5.1.4.1.1.7.3",  # Multi-frame Grayscale Word Secondary Capture Image Storage
    "1.2.840.10008.5.1.4.1.1.7.4",  # Multi-frame True Color Secondary Capture Image Storage
)

_PREAMBLE_LENGTH = 128
_UNDEFINED_LENGTH = 0xFFFFFFFF
_GROUP_LENGTH_ELEMENT = b"\x02\x00\x00\x00UL\x04\x00"  # (0002,0000) UL, 4 bytes
_PIXEL_DATA_TAG_LE = b"\xe0\x7f\x10\x00"  # (7FE0,0010) as written in a little endian stream


class DicomError(ValueError):
    """An upload the registry cannot ingest; `reason` is one of the module's reason codes."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        message = f"{reason}: {MESSAGES[reason]}"
        super().__init__(f"{message} ({detail})" if detail else message)


# --- reading --------------------------------------------------------------------------------


def read_dicom(data: bytes | BinaryIO, *, limits: DicomLimits) -> Dataset:
    """Parse and validate one uploaded file; raise DicomError when it cannot be ingested.

    Nothing is decoded here except native pixel data (whose size is the file's): compressed
    frames are decoded by imaging.dicom.sandbox. The structure and the declared image size are
    checked against ``limits`` before pydicom parses the dataset or a decoder allocates a frame.
    """
    raw = bytes(data) if isinstance(data, bytes | bytearray | memoryview) else data.read()
    raw = _with_preamble(raw)
    _check_meta_complete(raw)
    try:
        _check_limits(raw, limits)
        ds = dcmread(io.BytesIO(raw), force=False)
    except LimitExceeded as exc:
        raise DicomError(exc.reason, exc.detail) from exc
    except (EOFError, struct.error, zlib.error) as exc:  # a (deflated) stream that stops
        raise DicomError(TRUNCATED, f"{type(exc).__name__}: {exc}") from exc
    except DicomError:
        raise
    except Exception as exc:  # InvalidDicomError, or a header pydicom cannot parse at all
        raise DicomError(NOT_DICOM, f"{type(exc).__name__}: {exc}") from exc

    _check_complete(ds, raw)
    transfer_syntax = get_str(ds.file_meta, "TransferSyntaxUID")
    if transfer_syntax is None:
        raise DicomError(NOT_DICOM, "no (0002,0010) Transfer Syntax UID")
    sop_class = get_str(ds, "SOPClassUID") or get_str(ds.file_meta, "MediaStorageSOPClassUID")
    if sop_class not in ACCEPTED_SOP_CLASSES:
        raise DicomError(UNSUPPORTED_SOP_CLASS, str(sop_class))
    if "PixelData" not in ds:
        # pydicom drops an encapsulated Pixel Data element cut before its delimiter, so the
        # tag still being in the bytes means the file was cut, not that it never had pixels.
        if _PIXEL_DATA_TAG_LE in raw[_PREAMBLE_LENGTH:]:
            raise DicomError(TRUNCATED, "Pixel Data ends before its sequence delimiter")
        raise DicomError(NO_PIXEL_DATA)
    _check_pixel_data(ds, transfer_syntax, limits)
    return ds


def decode_last_frame(ds: Dataset) -> None:
    """Decode the last frame (the one a cut would hit); CORRUPT_PIXEL_DATA when it fails.
    Run it on compressed pixel data only inside imaging.dicom.sandbox."""
    frames = get_int(ds, "NumberOfFrames") or 1
    try:
        get_decoder(ds.file_meta.TransferSyntaxUID).as_array(ds, index=frames - 1)
    except MemoryError:
        raise
    except Exception as exc:  # each decoder plugin raises its own exception types
        raise DicomError(CORRUPT_PIXEL_DATA, f"{type(exc).__name__}: {exc}") from exc


def _check_limits(raw: bytes, limits: DicomLimits) -> None:
    """Inflate (with a cap) and walk the dataset before pydicom parses it: pydicom inflates
    without a cap and reads every sequence item of undefined length as it goes."""
    start, transfer_syntax = _file_meta_end(raw)
    if transfer_syntax is None:
        raise DicomError(NOT_DICOM, "no (0002,0010) Transfer Syntax UID in the file meta")
    if transfer_syntax not in ACCEPTED_TRANSFER_SYNTAXES:
        raise DicomError(UNSUPPORTED_TRANSFER_SYNTAX, transfer_syntax)
    dataset: bytearray | memoryview = memoryview(raw)[start:]
    if transfer_syntax == DeflatedExplicitVRLittleEndian:
        # pydicom inflates the same stream again, now known to stay within the cap
        dataset = inflate(dataset, max_bytes=limits.max_inflated_bytes)
    check_structure(dataset, implicit_vr=transfer_syntax == ImplicitVRLittleEndian, limits=limits)


def _file_meta_end(raw: bytes) -> tuple[int, str | None]:
    """Where the dataset starts, and the (0002,0010) Transfer Syntax UID: the group 0002
    elements after the preamble, always explicit VR little endian (PS3.10 7.1)."""
    pos = _PREAMBLE_LENGTH + 4
    transfer_syntax = None
    while pos + 8 <= len(raw) and raw[pos : pos + 2] == b"\x02\x00":
        vr = raw[pos + 4 : pos + 6]
        if vr in LONG_VRS:
            length, value = int.from_bytes(raw[pos + 8 : pos + 12], "little"), pos + 12
        else:
            length, value = int.from_bytes(raw[pos + 6 : pos + 8], "little"), pos + 8
        if length == _UNDEFINED_LENGTH:
            break
        if raw[pos + 2 : pos + 4] == b"\x10\x00":  # (0002,0010)
            transfer_syntax = raw[value : value + length].decode("ascii", "replace").strip("\0 ")
        pos = value + length
    return pos, transfer_syntax


def _with_preamble(raw: bytes) -> bytes:
    """Give a preamble to a file that starts directly with its file meta group (PS3.10 7.1).

    Some writers omit the 128-byte preamble and 'DICM'. We accept such a file only when it starts
    with an explicit VR group 0002 element, i.e. it still has file meta information; a bare
    dataset (no meta, transfer syntax unknown) stays rejected, as dcmread(force=False) does.
    """
    if raw[_PREAMBLE_LENGTH : _PREAMBLE_LENGTH + 4] == b"DICM":
        return raw
    if len(raw) >= 8 and raw[:2] == b"\x02\x00" and raw[4:6].isalpha() and raw[4:6].isupper():
        return bytes(_PREAMBLE_LENGTH) + b"DICM" + raw
    return raw


def _check_meta_complete(raw: bytes) -> None:
    """Raise TRUNCATED when the file stops inside its file meta group (PS3.10 7.1).

    The meta starts after the preamble and 'DICM' with (0002,0000) File Meta Information Group
    Length, UL in explicit VR little endian, which counts the meta bytes that follow it.
    """
    start = _PREAMBLE_LENGTH + 4
    header = raw[start : start + 12]
    if not header or not _GROUP_LENGTH_ELEMENT.startswith(header[:8]):
        return  # no group length to check against; dcmread judges the rest
    if len(header) < 12 or len(raw) < start + 12 + int.from_bytes(header[8:], "little"):
        raise DicomError(TRUNCATED, "the file meta information is incomplete")


def _check_complete(ds: Dataset, raw: bytes) -> None:
    """Raise TRUNCATED when pydicom read an element shorter than its declared length.

    pydicom stops silently at end of file and keeps the short value of the element it was
    reading, so a file cut in the middle of its header or its native pixel data still parses.
    """
    last = None
    for dataset in (ds.file_meta, ds):
        for elem in dataset.elements():
            last = elem
            if not isinstance(elem, RawDataElement) or elem.length == _UNDEFINED_LENGTH:
                continue
            if elem.value is not None and len(elem.value) < elem.length:
                raise DicomError(TRUNCATED, f"element {elem.tag} is incomplete")
    # A sequence or encapsulated Pixel Data cut before its delimiter is dropped with only a
    # warning; what betrays it is the bytes left after the last element pydicom kept. (Positions
    # in a deflated stream are not file positions, but a cut deflated stream fails to inflate.)
    deflated = ds.file_meta.get("TransferSyntaxUID") == DeflatedExplicitVRLittleEndian
    if (
        isinstance(last, RawDataElement)
        and last.length != _UNDEFINED_LENGTH
        and not deflated
        and last.value_tell + last.length < len(raw)
    ):
        raise DicomError(TRUNCATED, f"bytes left unread after element {last.tag}")


def _check_pixel_data(ds: Dataset, transfer_syntax: str, limits: DicomLimits) -> None:
    """The declared image within the limits, every native frame there and decodable."""
    frames = get_int(ds, "NumberOfFrames") or 1
    bits = get_int(ds, "BitsAllocated") or 0
    samples = get_int(ds, "SamplesPerPixel") or 1
    rows, columns = get_int(ds, "Rows") or 0, get_int(ds, "Columns") or 0
    try:
        check_pixel_data_size(
            rows=rows,
            columns=columns,
            frames=frames,
            samples=samples,
            bits_allocated=bits,
            limits=limits,
        )
        if transfer_syntax not in NATIVE_TRANSFER_SYNTAXES:
            check_frame_headers(ds.PixelData, rows=rows, columns=columns)
    except LimitExceeded as exc:
        raise DicomError(exc.reason, exc.detail) from exc
    if transfer_syntax in NATIVE_TRANSFER_SYNTAXES:
        expected = math.ceil(rows * columns * samples * frames * bits / 8)
        if expected == 0:
            raise DicomError(CORRUPT_PIXEL_DATA, "Rows, Columns or Bits Allocated missing")
        if len(ds.PixelData) < expected:
            raise DicomError(TRUNCATED, f"{len(ds.PixelData)} of {expected} pixel bytes")
        decode_last_frame(ds)  # native: the frame is the file's own bytes, no decompression
