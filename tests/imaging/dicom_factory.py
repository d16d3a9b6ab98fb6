"""Synthetic DX hand radiographs for the imaging tests, built with pydicom.

Every name, identifier and address here is invented. The PHI sits where real files carry it:
patient, study, equipment, private tags and nested sequences, so de-identification tests can
look for each one. Encoders: pydicom's own (RLE, JPEG 2000 via openjpeg), Pillow for JPEG
baseline, and the small lossless JPEG (ITU-T T.81 process 14) encoder below, because neither
pydicom nor pylibjpeg encodes 1.2.840.10008.1.2.4.57/.70.
"""

from __future__ import annotations

import io
import struct

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.sequence import Sequence
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

from imaging.dicom.limits import MIB, DicomLimits

# The limits of the default settings (registry/settings/base.py), for tests without settings.
LIMITS = DicomLimits(
    max_pixel_data_bytes=256 * MIB,
    max_inflated_bytes=256 * MIB,
    max_elements=20_000,
    max_depth=16,
    decode_memory_bytes=1024 * MIB,
    decode_seconds=30,
)

DX_FOR_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.1"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"

STUDY_UID = "1.2.826.0.1.3680043.8.498.10000000000000000000000000000000001"
SERIES_UID = "1.2.826.0.1.3680043.8.498.10000000000000000000000000000000002"
FRAME_OF_REFERENCE_UID = "1.2.826.0.1.3680043.8.498.10000000000000000000000000000000003"
REFERENCED_IMAGE_UID = "1.2.826.0.1.3680043.8.498.10000000000000000000000000000000004"

PATIENT_NAME = "Synthetic^Testpatient"
PATIENT_ID = "SYN-000123"
PRIVATE_CREATOR = "SYNTHETIC VENDOR 1.0"

ALL_TRANSFER_SYNTAXES = (
    ImplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    DeflatedExplicitVRLittleEndian,
    JPEGBaseline8Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEG2000Lossless,
    JPEG2000,
    RLELossless,
)


def hand_pixels(rows: int, columns: int, bits_stored: int) -> np.ndarray:
    """A crude PA hand: palm, five fingers, brighter bone, a dense deposit at a fingertip."""
    top = (1 << bits_stored) - 1
    image = np.full((rows, columns), 0.08, dtype=np.float64)
    palm_top = rows * 55 // 100
    image[palm_top:, columns // 6 : columns * 5 // 6] = 0.35
    finger_width = max(columns // 12, 2)
    bone, deposit = max(columns // 96, 1), max(rows // 32, 2)
    for i in range(5):
        centre = columns // 6 + finger_width + i * (columns * 2 // 3 - finger_width) // 4
        tip = rows // 10 + (abs(2 - i) * rows // 14)
        image[tip:palm_top, centre - finger_width // 2 : centre + finger_width // 2] = 0.35
        image[tip + 2 : rows - 2, centre - bone : centre + bone] = 0.6  # phalanges, metacarpal
    row, column = rows // 10 + 2, columns // 2 - deposit // 2  # middle fingertip pulp
    image[row : row + deposit, column : column + deposit] = 0.95  # a calcinosis deposit
    noise = np.random.default_rng(7).normal(0.0, 0.01, size=image.shape)
    return np.clip((image + noise) * top, 0, top).astype(np.uint16 if bits_stored > 8 else np.uint8)


def make_dx(
    *,
    transfer_syntax: str = ExplicitVRLittleEndian,
    photometric: str = "MONOCHROME2",
    bits_stored: int = 12,
    rows: int = 128,
    columns: int = 96,
    sop_class_uid: str = DX_FOR_PRESENTATION,
    sop_instance_uid: str = "1.2.826.0.1.3680043.8.498.20000000000000000000000000000000001",
    imager_pixel_spacing: tuple[float, float] | None = (0.1, 0.1),
    magnification_factor: float | None = None,
    pixel_spacing: tuple[float, float] | None = None,
    calibration_type: str | None = None,
    image_laterality: str = "L",
    view_position: str = "PA",
    window: tuple[float, float] | None = None,
    pixels: np.ndarray | None = None,
) -> Dataset:
    """A DX (or SC) hand image with PHI everywhere; RGB when photometric is "RGB"."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.SOPClassUID = sop_class_uid
    ds.SOPInstanceUID = sop_instance_uid
    ds.StudyDate, ds.StudyTime = "20240312", "101500"
    ds.SeriesDate, ds.AcquisitionDate, ds.ContentDate = "20240312", "20240312", "20240313"
    ds.AcquisitionDateTime = "20240312101633"
    ds.Modality = "DX" if sop_class_uid == DX_FOR_PRESENTATION else "OT"
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.Manufacturer = "Synthetic Imaging Corp"
    ds.ManufacturerModelName = "HandRay 1"
    _add_phi(ds)
    ds.StudyInstanceUID, ds.SeriesInstanceUID = STUDY_UID, SERIES_UID
    ds.FrameOfReferenceUID = FRAME_OF_REFERENCE_UID
    ds.StudyID, ds.SeriesNumber, ds.InstanceNumber = "S-4711", 1, 1
    ds.BodyPartExamined = "HAND"
    ds.ViewPosition = view_position
    ds.ImageLaterality = image_laterality
    ds.BurnedInAnnotation = "NO"
    if imager_pixel_spacing is not None:
        ds.ImagerPixelSpacing = list(imager_pixel_spacing)
    if magnification_factor is not None:
        ds.EstimatedRadiographicMagnificationFactor = magnification_factor
    if pixel_spacing is not None:
        ds.PixelSpacing = list(pixel_spacing)
    if calibration_type is not None:
        ds.PixelSpacingCalibrationType = calibration_type
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = window

    colour = photometric == "RGB"
    bits_stored = 8 if colour else bits_stored
    if pixels is None:
        pixels = hand_pixels(rows, columns, bits_stored)
        if colour:
            pixels = np.stack([pixels, pixels // 2, 255 - pixels], axis=-1).astype(np.uint8)
    ds.Rows, ds.Columns = pixels.shape[:2]
    ds.SamplesPerPixel = 3 if colour else 1
    if colour:
        ds.PlanarConfiguration = 0
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = 8 if bits_stored <= 8 else 16
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = bits_stored, bits_stored - 1, 0
    ds.PixelData = pixels.astype(np.uint8 if bits_stored <= 8 else np.uint16).tobytes()

    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class_uid
    ds.file_meta.MediaStorageSOPInstanceUID = sop_instance_uid
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.SourceApplicationEntityTitle = "SYNTH_MODALITY"
    _encode(ds, transfer_syntax, pixels)
    return ds


def _add_phi(ds: Dataset) -> None:
    ds.InstitutionName = "Synthetic General Hospital"
    ds.InstitutionAddress = "1 Nowhere Lane, Testville"
    ds.InstitutionalDepartmentName = "Synthetic Radiology"
    ds.StationName = "SYNTH-XR-01"
    ds.DeviceSerialNumber = "SN-0000-TEST"
    ds.ReferringPhysicianName = "Referrer^Fictional"
    ds.PerformingPhysicianName = "Performer^Fictional"
    ds.NameOfPhysiciansReadingStudy = "Reader^Fictional"
    ds.OperatorsName = "Operator^Fictional"
    ds.AccessionNumber = "ACC-998877"
    ds.StudyDescription = "XR HAND LEFT 3 VIEWS for Synthetic Testpatient"
    ds.SeriesDescription = "PA left hand"
    ds.ImageComments = "Patient Testpatient, calcinosis follow-up"
    ds.ProtocolName = "Hand PA"
    ds.PerformedProcedureStepDescription = "Hand radiograph"
    ds.PatientName = PATIENT_NAME
    ds.PatientID = PATIENT_ID
    ds.IssuerOfPatientID = "SYNTH-HOSPITAL"
    ds.PatientBirthDate = "19650704"
    ds.PatientSex = "F"
    ds.PatientAge = "058Y"
    ds.PatientAddress = "2 Imaginary Road, Testville"
    ds.PatientTelephoneNumbers = "+00 000 000 000"
    ds.OtherPatientIDs = "SYN-OTHER-1"
    ds.OtherPatientNames = "Maiden^Synthetic"
    ds.PatientComments = "Synthetic comment about the patient"
    ds.AdditionalPatientHistory = "Raynaud since 2001 (synthetic)"
    other_id = Dataset()
    other_id.PatientID, other_id.IssuerOfPatientID = "SYN-OTHER-2", "OTHER SITE"
    ds.OtherPatientIDsSequence = Sequence([other_id])
    request = Dataset()
    request.RequestedProcedureID = "RP-1"
    request.ScheduledProcedureStepID = "SPS-1"
    request.RequestedProcedureDescription = "Hands for Synthetic Testpatient"
    ds.RequestAttributesSequence = Sequence([request])
    referenced_patient = Dataset()
    referenced_patient.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.1.1"
    referenced_patient.ReferencedSOPInstanceUID = "1.2.826.0.1.3680043.8.498.30000000000000000001"
    ds.ReferencedPatientSequence = Sequence([referenced_patient])
    # A kept sequence with an instance UID, PHI and a private element inside its item.
    referenced_image = Dataset()
    referenced_image.ReferencedSOPClassUID = DX_FOR_PRESENTATION
    referenced_image.ReferencedSOPInstanceUID = REFERENCED_IMAGE_UID
    referenced_image.InstitutionName = "Nested Synthetic Clinic"
    referenced_image.private_block(0x0029, PRIVATE_CREATOR, create=True).add_new(
        0x01, "LO", "nested private PHI"
    )
    ds.ReferencedImageSequence = Sequence([referenced_image])
    block = ds.private_block(0x0009, PRIVATE_CREATOR, create=True)
    block.add_new(0x01, "LO", PATIENT_NAME)
    block.add_new(0x02, "DA", "19650704")


def _encode(ds: Dataset, transfer_syntax: str, pixels: np.ndarray) -> None:
    if transfer_syntax in (ImplicitVRLittleEndian, DeflatedExplicitVRLittleEndian):
        ds.file_meta.TransferSyntaxUID = transfer_syntax  # written as such by save_as
    elif transfer_syntax == RLELossless:
        ds.compress(RLELossless, encoding_plugin="pylibjpeg", generate_instance_uid=False)
    elif transfer_syntax == JPEG2000Lossless:
        ds.compress(JPEG2000Lossless, generate_instance_uid=False)
    elif transfer_syntax == JPEG2000:
        ds.compress(JPEG2000, j2k_cr=[8], generate_instance_uid=False)
    elif transfer_syntax == JPEGBaseline8Bit:
        _encapsulate(ds, transfer_syntax, _encode_jpeg_baseline(pixels))
        ds.LossyImageCompression = "01"
    elif transfer_syntax in (JPEGLossless, JPEGLosslessSV1):
        predictor = 1 if transfer_syntax == JPEGLosslessSV1 else 6
        frame = encode_jpeg_lossless(pixels, precision=ds.BitsStored, predictor=predictor)
        _encapsulate(ds, transfer_syntax, frame)
    elif transfer_syntax != ExplicitVRLittleEndian:
        raise ValueError(f"the factory cannot encode {transfer_syntax}")


def _encapsulate(ds: Dataset, transfer_syntax: str, frame: bytes) -> None:
    ds.PixelData = encapsulate([frame])
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = transfer_syntax


def _encode_jpeg_baseline(pixels: np.ndarray) -> bytes:
    if pixels.dtype != np.uint8 or pixels.ndim != 2:
        raise ValueError("JPEG baseline fixtures are 8-bit grayscale")
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def encode_jpeg_lossless(pixels: np.ndarray, *, precision: int, predictor: int) -> bytes:
    """One-component lossless JPEG (T.81 Annex H), Huffman coded, point transform 0."""
    x = pixels.astype(np.int64)
    ra, rb, rc = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    ra[:, 1:], rb[1:, :], rc[1:, 1:] = x[:, :-1], x[:-1, :], x[:-1, :-1]
    predictions = {
        1: ra,
        2: rb,
        3: rc,
        4: ra + rb - rc,
        5: ra + ((rb - rc) >> 1),
        6: rb + ((ra - rc) >> 1),
        7: (ra + rb) >> 1,
    }
    prediction = predictions[predictor].copy()
    prediction[0, 1:] = x[0, :-1]  # first line: the sample to the left (H.1.2.1)
    prediction[1:, 0] = x[:-1, 0]  # first column: the sample above
    prediction[0, 0] = 1 << (precision - 1)
    diff = (x - prediction) % 65536
    diff[diff > 32768] -= 65536
    ssss = np.where(diff == 0, 0, np.floor(np.log2(np.abs(diff) + 0.5)).astype(np.int64) + 1)
    extra = np.where(diff < 0, diff - 1, diff) & ((1 << ssss) - 1)

    # One Huffman table: every category 0..16 gets a 5-bit code equal to its value.
    bits = bytes([0, 0, 0, 0, 17] + [0] * 11)
    huffman_table = b"\x00" + bits + bytes(range(17))
    out = bytearray()
    acc = nbits = 0
    for category, value in zip(ssss.ravel().tolist(), extra.ravel().tolist(), strict=True):
        acc, nbits = (acc << 5) | category, nbits + 5
        if 0 < category < 16:
            acc, nbits = (acc << category) | value, nbits + category
        while nbits >= 8:
            nbits -= 8
            byte = (acc >> nbits) & 0xFF
            out += b"\xff\x00" if byte == 0xFF else bytes([byte])
        acc &= (1 << nbits) - 1
    if nbits:
        byte = ((acc << (8 - nbits)) | ((1 << (8 - nbits)) - 1)) & 0xFF
        out += b"\xff\x00" if byte == 0xFF else bytes([byte])

    rows, columns = pixels.shape
    frame_header = struct.pack(">BHHBBBB", precision, rows, columns, 1, 1, 0x11, 0)
    scan_header = bytes([1, 1, 0x00, predictor, 0, 0])
    return b"".join(
        [
            b"\xff\xd8",
            _segment(0xC3, frame_header),  # SOF3: lossless, Huffman
            _segment(0xC4, huffman_table),
            _segment(0xDA, scan_header),
            bytes(out),
            b"\xff\xd9",
        ]
    )


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def to_bytes(ds: Dataset, *, preamble: bool = True) -> bytes:
    """The Part 10 file; without preamble the bytes start at the file meta group."""
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    data = buffer.getvalue()
    return data if preamble else data[132:]
