"""Imaging models: radiographs with their findings and lesions, and received DICOM images."""

from imaging.models.dicom_instances import DicomInstance
from imaging.models.radiographs import (
    ABSOLUTE_MAX_DIAMETER_MM,
    CalcinosisLesion,
    LesionTrack,
    Radiograph,
    RadiographicFinding,
)

__all__ = [
    "ABSOLUTE_MAX_DIAMETER_MM",
    "CalcinosisLesion",
    "DicomInstance",
    "LesionTrack",
    "Radiograph",
    "RadiographicFinding",
]
