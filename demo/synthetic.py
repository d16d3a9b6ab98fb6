"""Synthetic DX hand radiographs for the demo cohort and browser tests (no real patient).

A PA hand drawn with numpy: soft tissue, phalanges and metacarpals with joint spaces, and a
dense calcium deposit of a requested size over the thumb's distal phalanx, so the demo's
lesions can be measured on the image exactly where they are. Encoded as an RLE-compressed
Part 10 file with ImagerPixelSpacing, as a DX modality would send it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, RLELossless, generate_uid

DX_FOR_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.1"
SPACING_MM = 0.15
ROWS, COLUMNS = 1400, 1100
VIEW_POSITIONS = {"pa": "PA", "oblique": "OBL", "digit": "PA"}


@dataclass(frozen=True)
class SyntheticImage:
    data: bytes
    deposit_axis_px: list[list[float]]  # longest axis end points, [[x1, y1], [x2, y2]]
    deposit_perpendicular_px: list[list[float]]


def _hand(rng: np.random.Generator, laterality: str) -> tuple[np.ndarray, tuple[int, int]]:
    """The hand image (float 0..1) and the thumb's distal phalanx centre (row, column)."""
    image = np.full((ROWS, COLUMNS), 0.06)
    rows, columns = np.mgrid[0:ROWS, 0:COLUMNS]
    palm = (rows > 760) & (rows < 1330) & (columns > 250) & (columns < 800)
    image[palm] = 0.30
    # Fingers 5..2 from left to right on a left hand PA (thumb on the right of the picture).
    finger_columns = [300, 425, 550, 675]
    tips = [420, 260, 200, 250]
    for centre, tip in zip(finger_columns, tips, strict=True):
        image[tip:800, centre - 45 : centre + 45] = 0.30
        bones = ((tip + 20, tip + 110), (tip + 125, tip + 245), (tip + 260, 760), (780, 1280))
        for top, bottom in bones:
            image[top:bottom, centre - 18 : centre + 18] = 0.62  # phalanges, metacarpal
    thumb_tip = (560, 900)
    for row in range(560, 1050):  # the thumb, angled towards the wrist
        centre = 900 - (row - 560) * 0.25
        left, right = int(centre - 50), int(centre + 50)
        image[row, left:right] = np.maximum(image[row, left:right], 0.30)
        if row not in range(690, 705) and row not in range(840, 855):  # IP and MCP joint spaces
            image[row, int(centre - 20) : int(centre + 20)] = 0.62
    image[1280:1380, 260:790] = np.maximum(image[1280:1380, 260:790], 0.55)  # carpals
    image += rng.normal(0.0, 0.012, size=image.shape)
    if laterality == "right":
        image = image[:, ::-1]
        return image, (thumb_tip[0] + 60, COLUMNS - thumb_tip[1])
    return image, (thumb_tip[0] + 60, thumb_tip[1])


def hand_radiograph(
    *,
    patient_id: str,
    acquired_on: date,
    view: str = "pa",
    laterality: str = "left",
    deposit_mm: tuple[float, float] | None = (15.0, 9.0),
    seed: int = 0,
) -> SyntheticImage:
    """A Part 10 DX hand radiograph with a deposit of ``deposit_mm`` (longest, perpendicular)."""
    rng = np.random.default_rng(seed)
    image, (row, column) = _hand(rng, laterality)
    axis = perpendicular = []
    if deposit_mm is not None:
        half_long, half_short = deposit_mm[0] / SPACING_MM / 2, deposit_mm[1] / SPACING_MM / 2
        rows, columns = np.mgrid[0:ROWS, 0:COLUMNS]
        blob = ((columns - column) / half_long) ** 2 + ((rows - row) / half_short) ** 2 <= 1
        image[blob] = 0.93 + rng.normal(0, 0.02, size=int(blob.sum()))
        axis = [[column - half_long, float(row)], [column + half_long, float(row)]]
        perpendicular = [[float(column), row - half_short], [float(column), row + half_short]]
    pixels = (np.clip(image, 0, 1) * 4095).astype(np.uint16)
    data = _encode(pixels, patient_id, acquired_on, view, laterality)
    return SyntheticImage(data, axis, perpendicular)


def _encode(
    pixels: np.ndarray, patient_id: str, acquired_on: date, view: str, laterality: str
) -> bytes:
    ds = Dataset()
    ds.SOPClassUID = DX_FOR_PRESENTATION
    # Deterministic UIDs: the same demo image is the same instance (re-seeding is a duplicate).
    source = [patient_id, acquired_on.isoformat()]
    ds.StudyInstanceUID = generate_uid(entropy_srcs=[*source, "study"])
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=[*source, laterality, "series"])
    ds.SOPInstanceUID = generate_uid(entropy_srcs=[*source, laterality, view])
    ds.Modality, ds.PresentationIntentType = "DX", "FOR PRESENTATION"
    ds.StudyDate = ds.AcquisitionDate = acquired_on.strftime("%Y%m%d")
    ds.PatientID, ds.PatientName = patient_id, "SYNTHETIC^DEMO"
    ds.BodyPartExamined = "HAND"
    ds.BurnedInAnnotation = "NO"  # drawn without text: researchers see the demo images
    ds.ImageLaterality = "L" if laterality == "left" else "R"
    ds.ViewPosition = VIEW_POSITIONS.get(view, "PA")
    ds.SeriesDescription = {"digit": "Thumb", "oblique": "Hand oblique"}.get(view, "Hand PA")
    ds.ImagerPixelSpacing = [SPACING_MM, SPACING_MM]
    ds.WindowCenter, ds.WindowWidth = 2000, 3600
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = pixels.tobytes()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = DX_FOR_PRESENTATION
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.compress(RLELossless, encoding_plugin="pylibjpeg")
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()
