"""What the registry stores about one radiograph, read from its header (pure: no ORM)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydicom.dataset import Dataset

from imaging.dicom.accessors import get_date, get_float, get_floats, get_int, get_str
from imaging.dicom.pixel_spacing import PixelSpacing, resolve_pixel_spacing

_LATERALITY = {"L": "left", "R": "right", "B": "bilateral"}  # "U" (unpaired) -> None

# (0018,5101) View Position: PS3.3 defined terms (AP, PA, LL, RL, RLD, LLD, RLO, LLO) plus the
# free text vendors put there for extremities. "digit" has no View Position term: users set it.
_VIEWS = {
    "PA": "pa",
    "AP": "ap",
    **dict.fromkeys(("LL", "RL", "LAT", "LATERAL"), "lateral"),
    **dict.fromkeys(("LLO", "RLO", "LO", "RO", "LAO", "RAO", "LPO", "RPO"), "oblique"),
}


@dataclass(frozen=True)
class DicomMetadata:
    """What the registry stores about one radiograph, read from its header."""

    study_instance_uid: str | None  # (0020,000D)
    series_instance_uid: str | None  # (0020,000E)
    sop_instance_uid: str | None  # (0008,0018)
    sop_class_uid: str | None  # (0008,0016)
    study_date: date | None  # (0008,0020)
    acquisition_date: date | None  # (0008,0022), else (0008,002A), (0008,0023), (0008,0020)
    modality: str | None  # (0008,0060)
    body_part_examined: str | None  # (0018,0015): a hint only ("EXTREMITY" is common)
    laterality: str | None  # (0020,0062), else (0020,0060): "left", "right", "bilateral"
    view_position: str | None  # (0018,5101) as written
    view: str  # registry view: "pa", "ap", "oblique", "lateral" or "" when unknown
    photometric_interpretation: str | None  # (0028,0004)
    rows: int | None  # (0028,0010)
    columns: int | None  # (0028,0011)
    bits_stored: int | None  # (0028,0101)
    transfer_syntax_uid: str | None  # (0002,0010)
    patient_id: str | None  # (0010,0020)
    issuer_of_patient_id: str | None  # (0010,0021)
    burned_in_annotation: bool | None  # (0028,0301): YES means the pixels need a review
    pixel_spacing: PixelSpacing | None


def laterality_of(ds: Dataset) -> str | None:
    """(0020,0062) Image Laterality (Type 1 in DX), else (0020,0060) Laterality."""
    code = get_str(ds, "ImageLaterality") or get_str(ds, "Laterality")
    return _LATERALITY.get((code or "").upper())


def view_from_position(view_position: str | None) -> str:
    """Map (0018,5101) View Position to the registry's view; "" when it does not say."""
    code = (view_position or "").strip().upper()
    if code in _VIEWS:
        return _VIEWS[code]
    return "oblique" if "OBL" in code else ""


def extract_metadata(ds: Dataset) -> DicomMetadata:
    """Read the registry's fields from a dataset returned by `read_dicom`."""
    study_date = get_date(ds, "StudyDate")
    acquisition_date = (
        get_date(ds, "AcquisitionDate")
        or get_date(ds, "AcquisitionDateTime")
        or get_date(ds, "ContentDate")
        or study_date
    )
    burned_in = (get_str(ds, "BurnedInAnnotation") or "").upper()
    view_position = get_str(ds, "ViewPosition")
    file_meta = getattr(ds, "file_meta", None) or Dataset()
    return DicomMetadata(
        study_instance_uid=get_str(ds, "StudyInstanceUID"),
        series_instance_uid=get_str(ds, "SeriesInstanceUID"),
        sop_instance_uid=get_str(ds, "SOPInstanceUID"),
        sop_class_uid=get_str(ds, "SOPClassUID"),
        study_date=study_date,
        acquisition_date=acquisition_date,
        modality=get_str(ds, "Modality"),
        body_part_examined=get_str(ds, "BodyPartExamined"),
        laterality=laterality_of(ds),
        view_position=view_position,
        view=view_from_position(view_position),
        photometric_interpretation=get_str(ds, "PhotometricInterpretation"),
        rows=get_int(ds, "Rows"),
        columns=get_int(ds, "Columns"),
        bits_stored=get_int(ds, "BitsStored"),
        transfer_syntax_uid=get_str(file_meta, "TransferSyntaxUID"),
        patient_id=get_str(ds, "PatientID"),
        issuer_of_patient_id=get_str(ds, "IssuerOfPatientID"),
        burned_in_annotation={"YES": True, "NO": False}.get(burned_in),
        pixel_spacing=resolve_pixel_spacing(
            imager_pixel_spacing=get_floats(ds, "ImagerPixelSpacing"),
            magnification_factor=get_float(ds, "EstimatedRadiographicMagnificationFactor"),
            pixel_spacing=get_floats(ds, "PixelSpacing"),
            calibration_type=get_str(ds, "PixelSpacingCalibrationType"),
        ),
    )
