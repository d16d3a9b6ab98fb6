"""imaging.dicom.read: which uploads are accepted, what is read from them, the spacing rule."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pytest
from pydicom.dataset import FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import JPEGExtended12Bit, JPEGLSLossless

from imaging.dicom.accessors import get_date, get_str
from imaging.dicom.metadata import extract_metadata, view_from_position
from imaging.dicom.pixel_spacing import (
    CALIBRATED,
    MAGNIFICATION_CORRECTED,
    PROJECTION,
    UNKNOWN,
    PixelSpacing,
    resolve_pixel_spacing,
)
from imaging.dicom.read import (
    ACCEPTED_SOP_CLASSES,
    ACCEPTED_TRANSFER_SYNTAXES,
    CORRUPT_PIXEL_DATA,
    MESSAGES,
    NO_PIXEL_DATA,
    NOT_DICOM,
    TRUNCATED,
    UNSUPPORTED_SOP_CLASS,
    UNSUPPORTED_TRANSFER_SYNTAX,
    DicomError,
    read_dicom,
)
from imaging.dicom.sandbox import pixels_verify
from tests.imaging.dicom_factory import (
    ALL_TRANSFER_SYNTAXES,
    CT_IMAGE,
    JPEG2000,
    LIMITS,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    hand_pixels,
    make_dx,
    to_bytes,
)

LOSSY = {JPEGBaseline8Bit, JPEG2000}

# The warning pydicom gives when a file ends inside an encapsulated Pixel Data element.
pytestmark = pytest.mark.filterwarnings("ignore:End of file reached before delimiter")


def _dx_for(transfer_syntax: str, **kwargs):
    """JPEG baseline holds 8-bit samples only; every other syntax gets a 12-bit image."""
    bits = 8 if transfer_syntax == JPEGBaseline8Bit else 12
    return make_dx(transfer_syntax=transfer_syntax, bits_stored=bits, **kwargs), bits


def _reason(data: bytes) -> str:
    with pytest.raises(DicomError) as info:
        read_dicom(data, limits=LIMITS)
    return info.value.reason


# --- accepted files -------------------------------------------------------------------------


def test_every_accepted_transfer_syntax_has_a_test():
    """The factory encodes each syntax read_dicom accepts, so none goes untested."""
    assert set(ALL_TRANSFER_SYNTAXES) == set(ACCEPTED_TRANSFER_SYNTAXES)


@pytest.mark.parametrize("transfer_syntax", ALL_TRANSFER_SYNTAXES, ids=lambda uid: uid.name)
def test_read_dicom_decodes_each_accepted_transfer_syntax(transfer_syntax):
    """A real encoded file of every accepted syntax is read and its pixels decode to the image."""
    ds, bits = _dx_for(transfer_syntax)
    read = read_dicom(to_bytes(ds), limits=LIMITS)
    assert read.file_meta.TransferSyntaxUID == transfer_syntax
    decoded = read.pixel_array.astype(np.int64)
    expected = hand_pixels(128, 96, bits).astype(np.int64)
    if transfer_syntax in LOSSY:
        assert np.abs(decoded - expected).mean() < 0.02 * (1 << bits)
    else:
        assert np.array_equal(decoded, expected)


def test_read_dicom_accepts_a_file_object():
    """An open binary file (an upload) is read like bytes."""
    assert read_dicom(io.BytesIO(to_bytes(make_dx())), limits=LIMITS).Modality == "DX"


def test_read_dicom_accepts_meta_without_preamble():
    """A file that starts with its group 0002 meta (no 128-byte preamble, no DICM) is accepted."""
    read = read_dicom(to_bytes(make_dx(), preamble=False), limits=LIMITS)
    assert read.pixel_array.shape == (128, 96)


@pytest.mark.parametrize("sop_class", ACCEPTED_SOP_CLASSES[:4])
def test_read_dicom_accepts_projection_and_secondary_capture_classes(sop_class):
    """CR, both DX classes and secondary capture are accepted."""
    read = read_dicom(to_bytes(make_dx(sop_class_uid=sop_class)), limits=LIMITS)
    assert read.SOPClassUID == sop_class


# --- rejected files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data", [b"", b"hello, world", b"\x89PNG\r\n\x1a\n" + bytes(300), bytes(132)]
)
def test_read_dicom_rejects_non_dicom_bytes(data):
    """Text, a PNG header and zeros are not DICOM."""
    assert _reason(data) == NOT_DICOM


def test_read_dicom_rejects_a_bare_dataset_without_meta():
    """A dataset written without file meta gives no transfer syntax: force=False refuses it."""
    ds = make_dx()
    ds.file_meta = FileMetaDataset()
    buffer = io.BytesIO()
    ds.save_as(buffer, implicit_vr=True, little_endian=True)  # no preamble, no meta
    assert _reason(buffer.getvalue()) == NOT_DICOM


@pytest.mark.parametrize("transfer_syntax", ALL_TRANSFER_SYNTAXES, ids=lambda uid: uid.name)
def test_read_dicom_rejects_a_file_cut_in_half(transfer_syntax):
    """Half a file is truncated whatever the syntax (at 256 x 192 the cut is in the pixels)."""
    data = to_bytes(_dx_for(transfer_syntax, rows=256, columns=192)[0])
    assert _reason(data[: len(data) // 2]) == TRUNCATED


@pytest.mark.parametrize("cut", [136, 140, 143, 200, 600, 900])
def test_read_dicom_rejects_a_file_cut_in_its_header(cut):
    """Cuts inside the file meta (136 to 200) and the dataset header (600, 900) are truncation."""
    assert _reason(to_bytes(make_dx())[:cut]) == TRUNCATED


def test_read_dicom_rejects_native_pixel_data_shorter_than_the_image():
    """Rows x Columns x 2 bytes are required; a complete element holding fewer is truncated."""
    ds = make_dx()
    ds.PixelData = ds.PixelData[:-200]
    assert _reason(to_bytes(ds)) == TRUNCATED


def test_read_dicom_rejects_a_file_without_pixel_data():
    """A header-only DX object has no image to store."""
    ds = make_dx()
    del ds.PixelData
    assert _reason(to_bytes(ds)) == NO_PIXEL_DATA


def test_an_undecodable_compressed_frame_is_rejected_by_the_sandbox():
    """A JPEG 2000 fragment of garbage is complete, so read_dicom (which decodes nothing
    compressed) passes it; decoding it in the sandbox fails with corrupt_pixel_data."""
    ds = make_dx(transfer_syntax=JPEG2000Lossless)
    ds.PixelData = encapsulate([b"\x00\x01" * 500])
    data = to_bytes(ds)
    read = read_dicom(data, limits=LIMITS)
    with pytest.raises(DicomError) as info:
        pixels_verify(data, read, limits=LIMITS)
    assert info.value.reason == CORRUPT_PIXEL_DATA


@pytest.mark.parametrize("transfer_syntax", [JPEGExtended12Bit, JPEGLSLossless])
def test_read_dicom_rejects_other_transfer_syntaxes(transfer_syntax):
    """JPEG extended and JPEG-LS are not on the accepted list."""
    ds = make_dx(transfer_syntax=JPEGBaseline8Bit, bits_stored=8)
    ds.file_meta.TransferSyntaxUID = transfer_syntax
    assert _reason(to_bytes(ds)) == UNSUPPORTED_TRANSFER_SYNTAX


def test_read_dicom_rejects_other_sop_classes():
    """A CT slice is not a radiograph."""
    assert _reason(to_bytes(make_dx(sop_class_uid=CT_IMAGE))) == UNSUPPORTED_SOP_CLASS


def test_dicom_error_names_its_reason():
    """The message starts with the reason code and carries the module's message constant."""
    error = DicomError(TRUNCATED, "detail")
    assert isinstance(error, ValueError)
    assert str(error) == f"truncated: {MESSAGES[TRUNCATED]} (detail)"


# --- accessors and metadata -----------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Invalid value for VR DA")
def test_accessors_return_none_for_absent_or_empty_values():
    """Absent, empty and malformed values all read as None."""
    ds = make_dx()
    ds.StudyDescription = ""
    ds.AcquisitionDate = "2024-99-99"
    assert get_str(ds, "StudyDescription") is None
    assert get_str(ds, "PatientWeight") is None
    assert get_date(ds, "AcquisitionDate") is None
    ds.AcquisitionDate = "2024.03.12"  # ACR-NEMA style date, still met in old archives
    assert get_date(ds, "AcquisitionDate") == date(2024, 3, 12)


def test_extract_metadata_reads_the_registry_fields():
    """A left PA DX hand with 0.1 mm detector pixels."""
    metadata = extract_metadata(read_dicom(to_bytes(make_dx()), limits=LIMITS))
    assert metadata.modality == "DX"
    assert metadata.body_part_examined == "HAND"
    assert (metadata.laterality, metadata.view_position, metadata.view) == ("left", "PA", "pa")
    assert metadata.study_date == date(2024, 3, 12)
    assert metadata.acquisition_date == date(2024, 3, 12)
    assert (metadata.rows, metadata.columns, metadata.bits_stored) == (128, 96, 12)
    assert metadata.photometric_interpretation == "MONOCHROME2"
    assert metadata.transfer_syntax_uid == "1.2.840.10008.1.2.1"
    assert metadata.patient_id == "SYN-000123"
    assert metadata.issuer_of_patient_id == "SYNTH-HOSPITAL"
    assert metadata.burned_in_annotation is False
    assert metadata.pixel_spacing == PixelSpacing(0.1, 0.1, PROJECTION, approximate=True)
    assert metadata.sop_class_uid == "1.2.840.10008.5.1.4.1.1.1.1"


def test_acquisition_date_falls_back_to_content_then_study_date():
    """No acquisition date: content date (13 March); no content date either: study date."""
    ds = make_dx()
    del ds.AcquisitionDate, ds.AcquisitionDateTime
    assert extract_metadata(ds).acquisition_date == date(2024, 3, 13)
    del ds.ContentDate
    assert extract_metadata(ds).acquisition_date == date(2024, 3, 12)


@pytest.mark.parametrize(
    ("image_laterality", "laterality", "expected"),
    [
        ("L", None, "left"),
        ("R", None, "right"),
        ("B", None, "bilateral"),
        ("U", None, None),
        ("", "R", "right"),
        ("", None, None),
    ],
)
def test_laterality_prefers_image_laterality(image_laterality, laterality, expected):
    """(0020,0062) first, then (0020,0060); U (unpaired) says nothing about a side."""
    ds = make_dx(image_laterality=image_laterality)
    if laterality:
        ds.Laterality = laterality
    assert extract_metadata(ds).laterality == expected


@pytest.mark.parametrize(
    ("view_position", "view"),
    [
        ("PA", "pa"),
        ("AP", "ap"),
        ("LL", "lateral"),
        ("RL", "lateral"),
        ("LAT", "lateral"),
        ("OBL", "oblique"),
        ("LO", "oblique"),
        ("RLO", "oblique"),
        ("PA OBLIQUE", "oblique"),
        ("", ""),
        (None, ""),
        ("XYZ", ""),
    ],
)
def test_view_from_position_maps_view_position(view_position, view):
    """DICOM View Position terms and common vendor text map to the registry's views."""
    assert view_from_position(view_position) == view


def test_burned_in_annotation_is_reported():
    """YES is True (the caller queues the image for review); absent is None."""
    ds = make_dx()
    ds.BurnedInAnnotation = "YES"
    assert extract_metadata(ds).burned_in_annotation is True
    del ds.BurnedInAnnotation
    assert extract_metadata(ds).burned_in_annotation is None


# --- pixel spacing rule (DOMAIN.md, PS3.3 10.7) ---------------------------------------------


def _spacing(imager=None, magnification=None, pixel=None, calibration=None):
    return resolve_pixel_spacing(
        imager_pixel_spacing=imager,
        magnification_factor=magnification,
        pixel_spacing=pixel,
        calibration_type=calibration,
    )


def test_spacing_projection_from_imager_pixel_spacing_only():
    """Only (0018,1164) 0.1\\0.1: 0.1 mm at the detector plane, approximate."""
    assert _spacing(imager=[0.1, 0.1]) == PixelSpacing(0.1, 0.1, PROJECTION, approximate=True)


def test_spacing_magnification_corrected():
    """0.1 mm / 1.25 = 0.08 mm; 0.143 / 1.1 = 0.13 mm (rows) and 0.2 / 1.1 = 0.1818 (columns)."""
    corrected = _spacing(imager=[0.1, 0.1], magnification=1.25)
    assert corrected.source == MAGNIFICATION_CORRECTED
    assert corrected.approximate is True  # an estimate for one object depth
    assert corrected.row_mm == pytest.approx(0.08)
    assert corrected.column_mm == pytest.approx(0.08)
    uneven = _spacing(imager="0.143\\0.2", magnification="1.1")
    assert (uneven.row_mm, uneven.column_mm) == (pytest.approx(0.13), pytest.approx(0.181818, 1e-5))


def test_spacing_calibrated_wins_over_magnification():
    """IPS 0.1 with factor 1.25 would give 0.08, but a FIDUCIAL calibration to 0.085 wins."""
    calibrated = _spacing(
        imager=[0.1, 0.1], magnification=1.25, pixel=[0.085, 0.085], calibration="FIDUCIAL"
    )
    assert calibrated == PixelSpacing(0.085, 0.085, CALIBRATED, approximate=False)


def test_spacing_calibrated_without_imager_pixel_spacing():
    """A calibrated secondary capture: PS 0.05 with GEOMETRY, no IPS -> calibrated 0.05."""
    assert _spacing(pixel=[0.05, 0.05], calibration="GEOMETRY").source == CALIBRATED


def test_spacing_equal_to_imager_spacing_is_not_a_calibration():
    """PS = IPS = 0.1 means no correction was made (10.7), even with a calibration type."""
    assert _spacing(imager=[0.1, 0.1], pixel=[0.1, 0.1], calibration="GEOMETRY").source == (
        PROJECTION
    )


def test_spacing_different_without_calibration_type_uses_imager_spacing():
    """PS 0.08 != IPS 0.1 but no (0028,0A02): DOMAIN needs the type, so IPS 0.1 (projection)."""
    assert _spacing(imager=[0.1, 0.1], pixel=[0.08, 0.08]) == PixelSpacing(
        0.1, 0.1, PROJECTION, approximate=True
    )


def test_spacing_unknown_from_pixel_spacing_only():
    """Only (0028,0030) 0.15\\0.15: provenance unknown, approximate."""
    assert _spacing(pixel=["0.15", "0.15"]) == PixelSpacing(0.15, 0.15, UNKNOWN, approximate=True)


def test_spacing_keeps_row_then_column_order():
    """PS3.3 10.7.1.3: the first value is the row spacing (vertical)."""
    spacing = _spacing(imager=[0.2, 0.1])
    assert (spacing.row_mm, spacing.column_mm) == (0.2, 0.1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"imager": [0, 0]},
        {"imager": "0\\0"},
        {"imager": [-0.1, 0.1]},
        {"pixel": [0, 0]},  # like pydicom-data's RG1 chest radiograph
        {"imager": [float("nan"), 0.1]},
        {"imager": "abc"},
        {"magnification": 1.2},
    ],
)
def test_spacing_zero_negative_or_missing_is_none(kwargs):
    """No usable spacing: pixel measurements will be refused."""
    assert _spacing(**kwargs) is None


def test_spacing_ignores_an_invalid_pixel_spacing_or_magnification():
    """PS 0\\0 falls back to IPS 0.1; a factor of 0 or 0.8 (< 1 is impossible) is ignored."""
    assert _spacing(imager=[0.1, 0.1], pixel=[0, 0]).source == PROJECTION
    assert _spacing(imager=[0.1, 0.1], magnification=0).source == PROJECTION
    assert _spacing(imager=[0.1, 0.1], magnification=0.8).source == PROJECTION


def test_spacing_from_a_dataset():
    """extract_metadata applies the rule to the header: 0.1 / 1.25 = 0.08 mm."""
    ds = make_dx(imager_pixel_spacing=(0.1, 0.1), magnification_factor=1.25)
    spacing = extract_metadata(ds).pixel_spacing
    assert spacing.source == MAGNIFICATION_CORRECTED
    assert spacing.row_mm == pytest.approx(0.08)
