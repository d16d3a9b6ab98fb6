"""Pixel spacing of projection radiographs: which DICOM attribute gives the millimetres, and how
far they can be trusted (PS3.3 10.7, C.8.11.5; DOMAIN.md's spacing rule). Plain values in, a
``PixelSpacing`` or None out; imaging.dicom.read reads the attributes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

PROJECTION = "projection"
MAGNIFICATION_CORRECTED = "magnification_corrected"
CALIBRATED = "calibrated"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class PixelSpacing:
    """mm between pixel centres; `source` says which plane the millimetres belong to."""

    row_mm: float  # spacing between adjacent rows (vertical), first value (PS3.3 10.7.1.3)
    column_mm: float  # spacing between adjacent columns (horizontal), second value
    source: str
    approximate: bool


def resolve_pixel_spacing(
    *,
    imager_pixel_spacing: Sequence[float | str] | str | float | None,
    magnification_factor: float | str | None,
    pixel_spacing: Sequence[float | str] | str | float | None,
    calibration_type: str | None,
) -> PixelSpacing | None:
    """Apply DOMAIN.md's spacing rule for projection radiographs (PS3.3 10.7, C.8.11.5).

    Order: "calibrated" (Pixel Spacing that differs from Imager Pixel Spacing, with a calibration
    type), then "magnification_corrected", "projection", and "unknown" (Pixel Spacing whose
    provenance we cannot tell). None when no usable (positive, finite) spacing exists.
    """
    imager = _spacing_pair(imager_pixel_spacing)  # (0018,1164) Imager Pixel Spacing
    patient = _spacing_pair(pixel_spacing)  # (0028,0030) Pixel Spacing
    calibrated_by = (calibration_type or "").strip()  # (0028,0A02) Pixel Spacing Calibration Type
    magnification = _number(magnification_factor)  # (0018,1114) Estimated Radiog. Magn. Factor

    # PS3.3 10.7: Pixel Spacing equal to Imager Pixel Spacing means no correction was made, so
    # it tells nothing more than the detector spacing; a different one was corrected in the
    # patient plane, and the calibration type (GEOMETRY or FIDUCIAL) says how.
    if patient is not None and not _same(patient, imager):
        if calibrated_by:
            return PixelSpacing(*patient, source=CALIBRATED, approximate=False)
        if imager is None:
            return PixelSpacing(*patient, source=UNKNOWN, approximate=True)
        # Corrected, but we cannot tell how: fall through to the detector spacing, which is
        # at least well defined (DOMAIN.md asks for a calibration type before "calibrated").
    if imager is not None:
        # The factor is SID/SOD (PS3.3 C.8.11.5 DX Positioning), >= 1 by construction; anything
        # else is an entry error and is ignored. It is an *estimate* made for one object depth
        # (often the table top), so a deposit at another depth is still measured approximately:
        # hence approximate=True, and only a calibration proper gives approximate=False.
        if magnification is not None and magnification >= 1.0:
            row, column = (value / magnification for value in imager)
            return PixelSpacing(row, column, source=MAGNIFICATION_CORRECTED, approximate=True)
        return PixelSpacing(*imager, source=PROJECTION, approximate=True)
    if patient is not None:
        return PixelSpacing(*patient, source=UNKNOWN, approximate=True)
    return None


def _number(value: float | str | None) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _spacing_pair(
    value: Sequence[float | str] | str | float | None,
) -> tuple[float, float] | None:
    """(row, column) in mm from a DS pair, a backslash-separated string or a single number."""
    if value is None:
        return None
    if isinstance(value, str):
        items: list[Any] = value.split("\\")
    elif isinstance(value, int | float):
        items = [value]
    else:
        items = list(value)
    numbers = [_number(item) for item in items[:2]]
    if len(numbers) == 1:  # VM 2 is required, but a lone value can only mean square pixels
        numbers *= 2
    if len(numbers) != 2 or any(n is None or n <= 0 for n in numbers):
        return None
    return numbers[0], numbers[1]  # type: ignore[return-value]


def _same(a: tuple[float, float], b: tuple[float, float] | None) -> bool:
    if b is None:
        return False
    return all(math.isclose(x, y, rel_tol=1e-6) for x, y in zip(a, b, strict=True))
