"""Vocabularies of radiographs, findings and lesions (DOMAIN.md "Radiographs and lesions")."""

from django.db import models


class BodyRegion(models.TextChoices):
    HAND = "hand", "Hand"
    WRIST = "wrist", "Wrist"
    FOREARM = "forearm", "Forearm"
    ELBOW = "elbow", "Elbow"
    KNEE = "knee", "Knee"
    FOOT = "foot", "Foot"
    OTHER = "other", "Other"


class Laterality(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    BILATERAL = "bilateral", "Bilateral"


class Side(models.TextChoices):
    """A lesion or track is on one side (a bilateral image's lesions carry their own side)."""

    LEFT = "left", "Left"
    RIGHT = "right", "Right"


class View(models.TextChoices):
    PA = "pa", "PA"
    AP = "ap", "AP"
    OBLIQUE = "oblique", "Oblique"
    LATERAL = "lateral", "Lateral"
    DIGIT = "digit", "Dedicated digit view"


class SpacingSource(models.TextChoices):
    """Where a pixel spacing came from (DOMAIN.md spacing rule for CR/DX)."""

    PROJECTION = "projection", "Detector plane (ImagerPixelSpacing), approximate"
    MAGNIFICATION_CORRECTED = "magnification_corrected", "Corrected for magnification"
    CALIBRATED = "calibrated", "Calibrated (PixelSpacing with calibration type)"
    UNKNOWN = "unknown", "PixelSpacing of unknown origin, approximate"
    MANUAL = "manual", "Entered by hand"


# Only a calibrated spacing gives exact mm; the magnification factor is an estimate for one depth
# (PS3.3 C.8.11.5), so a magnification-corrected size is still approximate.
APPROXIMATE_SPACING = {
    SpacingSource.PROJECTION,
    SpacingSource.MAGNIFICATION_CORRECTED,
    SpacingSource.UNKNOWN,
    SpacingSource.MANUAL,
}


class Digit(models.IntegerChoices):
    THUMB = 1, "1 (thumb)"
    INDEX = 2, "2 (index)"
    MIDDLE = 3, "3 (middle)"
    RING = 4, "4 (ring)"
    LITTLE = 5, "5 (little)"


class Segment(models.TextChoices):
    DISTAL_PHALANX = "distal_phalanx", "Distal phalanx"
    MIDDLE_PHALANX = "middle_phalanx", "Middle phalanx"
    PROXIMAL_PHALANX = "proximal_phalanx", "Proximal phalanx"
    METACARPAL = "metacarpal", "Metacarpal"
    CARPAL = "carpal", "Carpal"
    OTHER = "other", "Other"


class Joint(models.TextChoices):
    DIP = "dip", "DIP"
    PIP = "pip", "PIP"
    IP = "ip", "IP (thumb)"
    MCP = "mcp", "MCP"
    CMC = "cmc", "CMC"
    RADIOCARPAL = "radiocarpal", "Radiocarpal"
    OTHER = "other", "Other"


class Tissue(models.TextChoices):
    SOFT_TISSUE = "soft_tissue", "Soft tissue (pulp, subcutaneous)"
    PERIARTICULAR = "periarticular", "Periarticular"
    TENDON = "tendon", "Tendon sheath or bursa"


class Morphology(models.TextChoices):
    """Radiographic classes of the Florence cohort (Rheumatology 2016;55:1610)."""

    STONE = "stone", "Stone"
    NET = "net", "Net"
    PLATE = "plate", "Plate"


class Density(models.TextChoices):
    FAINT = "faint", "Faint"
    DENSE = "dense", "Dense"
    MIXED = "mixed", "Mixed"


class Finding(models.TextChoices):
    PERIARTICULAR_OSTEOPENIA = "periarticular_osteopenia", "Periarticular osteopenia"
    ACRO_OSTEOLYSIS = "acro_osteolysis", "Acro-osteolysis (distal tuft resorption)"
    EROSION = "erosion", "Erosion"
    JOINT_SPACE_NARROWING = "joint_space_narrowing", "Joint space narrowing"
    CORTICAL_THINNING = "cortical_thinning", "Cortical thinning"
    FLEXION_CONTRACTURE = "flexion_contracture", "Flexion contracture"
    OTHER = "other", "Other"


class TrackAssignment(models.TextChoices):
    USER = "user", "Chosen by the user"
    AUTO = "auto", "Matched automatically"
    NONE = "", "Not yet matched"


class MeasurementSource(models.TextChoices):
    MANUAL = "manual", "Typed in mm"
    PIXELS = "pixels", "Measured on the image"
