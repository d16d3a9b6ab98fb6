"""From DICOM header metadata to the registry's radiograph fields (pure functions).

Body Part Examined (0018,0015) uses the defined terms of PS3.16 Annex L (HAND, FINGER, THUMB,
WRIST, ...). Modalities often write the generic EXTREMITY, or nothing: DOMAIN.md warns not to
rely on it alone, so those take the configured default region (a hand registry: "hand") and the
clinician corrects it on the radiograph. Laterality, view and date are never guessed: a file
without them waits in the unmatched queue until a clinician supplies them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from imaging.dicom.metadata import DicomMetadata

# PS3.16 Annex L defined terms (and a few vendor spellings) -> registry body region
_REGIONS = {
    **dict.fromkeys(("HAND", "HANDS", "FINGER", "FINGERS", "THUMB"), "hand"),
    **dict.fromkeys(("WRIST", "CARPUS"), "wrist"),
    **dict.fromkeys(("FOREARM",), "forearm"),
    **dict.fromkeys(("ELBOW",), "elbow"),
    **dict.fromkeys(("KNEE", "PATELLA"), "knee"),
    **dict.fromkeys(("FOOT", "FEET", "TOE", "TOES", "HALLUX"), "foot"),
}
# Generic terms that say nothing about the region: take the configured default.
_GENERIC = frozenset(
    {"", "EXTREMITY", "UPPEREXTREMITY", "UPPER EXTREMITY", "UPRLIMB", "UPPER LIMB", "ARM"}
)
# A FINGER or THUMB image is a dedicated digit view unless View Position says lateral/oblique.
_DIGIT_PARTS = frozenset({"FINGER", "FINGERS", "THUMB"})

# Radiograph rows accept 0 < spacing <= 10 mm (its check constraint); beyond is not a radiograph's.
MAX_SPACING_MM = 10.0

MISSING_DATE = "no_date"
MISSING_LATERALITY = "no_laterality"
MISSING_VIEW = "no_view"


@dataclass(frozen=True)
class RadiographFields:
    """The radiograph a DICOM image becomes; ``missing`` lists what the header did not say."""

    acquired_on: date | None
    body_region: str
    laterality: str
    view: str
    pixel_spacing_row_mm: float | None
    pixel_spacing_column_mm: float | None
    pixel_spacing_source: str
    missing: tuple[str, ...]


def body_region_of(body_part_examined: str | None, *, default: str) -> str:
    """Registry body region for (0018,0015); ``default`` for generic or absent terms."""
    term = (body_part_examined or "").strip().upper()
    if term in _REGIONS:
        return _REGIONS[term]
    return default if term in _GENERIC else "other"


def radiograph_view(metadata: DicomMetadata) -> str:
    """Registry view: (0018,5101) View Position, or "digit" for a FINGER/THUMB image."""
    part = (metadata.body_part_examined or "").strip().upper()
    if part in _DIGIT_PARTS and metadata.view in ("", "pa", "ap"):
        return "digit"
    return metadata.view


def radiograph_fields(metadata: DicomMetadata, *, default_region: str) -> RadiographFields:
    """What the radiograph row gets from the header; missing date, side or view are listed."""
    view = radiograph_view(metadata)
    missing = []
    if metadata.acquisition_date is None:
        missing.append(MISSING_DATE)
    if metadata.laterality is None:
        missing.append(MISSING_LATERALITY)
    if not view:
        missing.append(MISSING_VIEW)
    spacing = metadata.pixel_spacing
    if spacing and not all(0 < v <= MAX_SPACING_MM for v in (spacing.row_mm, spacing.column_mm)):
        spacing = None
    return RadiographFields(
        acquired_on=metadata.acquisition_date,
        body_region=body_region_of(metadata.body_part_examined, default=default_region),
        laterality=metadata.laterality or "",
        view=view,
        pixel_spacing_row_mm=spacing.row_mm if spacing else None,
        pixel_spacing_column_mm=spacing.column_mm if spacing else None,
        pixel_spacing_source=spacing.source if spacing else "",
        missing=tuple(missing),
    )
