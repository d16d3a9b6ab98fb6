"""Vocabularies shared by the patients models, the API and the exports."""

from django.db import models


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class SscSubtype(models.TextChoices):
    """LeRoy 1988 / LeRoy-Medsger 2001; sine scleroderma: Poormoghim et al. 2000."""

    LIMITED_CUTANEOUS = "limited_cutaneous", "Limited cutaneous"
    DIFFUSE_CUTANEOUS = "diffuse_cutaneous", "Diffuse cutaneous"
    SINE_SCLERODERMA = "sine_scleroderma", "Sine scleroderma"
    OVERLAP = "overlap", "Overlap"
    UNDETERMINED = "undetermined", "Undetermined"


class AntibodyResult(models.TextChoices):
    """Unknown is not negative (DOMAIN.md)."""

    POSITIVE = "positive", "Positive"
    NEGATIVE = "negative", "Negative"
    UNKNOWN = "unknown", "Unknown"


# API key -> (model field, label). ACA, anti-Scl-70 and anti-RNA pol III count for the 2013
# ACR/EULAR "SSc-related autoantibodies" item; the others are recorded only.
AUTOANTIBODIES = {
    "aca": ("antibody_aca", "Anticentromere (ACA)"),
    "scl70": ("antibody_scl70", "Anti-topoisomerase I (anti-Scl-70)"),
    "rnap3": ("antibody_rnap3", "Anti-RNA polymerase III"),
    "u1rnp": ("antibody_u1rnp", "Anti-U1-RNP"),
    "pmscl": ("antibody_pmscl", "Anti-PM/Scl"),
    "thto": ("antibody_thto", "Anti-Th/To"),
    "u3rnp": ("antibody_u3rnp", "Anti-U3-RNP (fibrillarin)"),
}
CRITERIA_ANTIBODIES = ("aca", "scl70", "rnap3")


class OnsetPrecision(models.TextChoices):
    YEAR = "year", "Year"
    MONTH = "month", "Month"
    DAY = "day", "Day"


class VisitType(models.TextChoices):
    BASELINE = "baseline", "Baseline"
    FOLLOW_UP = "follow_up", "Follow-up"
    UNSCHEDULED = "unscheduled", "Unscheduled"


class Treatment(models.TextChoices):
    """Calcinosis treatments listed in DOMAIN.md."""

    NONE = "none", "None"
    DILTIAZEM = "diltiazem", "Diltiazem"
    BISPHOSPHONATE = "bisphosphonate", "Bisphosphonate"
    SODIUM_THIOSULFATE = "sodium_thiosulfate", "Sodium thiosulfate"
    COLCHICINE = "colchicine", "Colchicine"
    MINOCYCLINE = "minocycline", "Minocycline"
    LOW_DOSE_WARFARIN = "low_dose_warfarin", "Low-dose warfarin"
    IVIG = "ivig", "Intravenous immunoglobulin"
    RITUXIMAB = "rituximab", "Rituximab"
    SURGICAL_EXCISION = "surgical_excision", "Surgical excision"
    ESWL = "eswl", "Extracorporeal shock-wave lithotripsy"
    OTHER = "other", "Other"


class TreatmentRoute(models.TextChoices):
    """Sodium thiosulfate routes (DOMAIN.md)."""

    TOPICAL = "topical", "Topical"
    INTRALESIONAL = "intralesional", "Intralesional"
    INTRAVENOUS = "intravenous", "Intravenous"


class DoseUnit(models.TextChoices):
    """The unit of a treatment's dose amount; each value is its UCUM code (https://ucum.org)."""

    MG = "mg", "mg"
    G = "g", "g"
    ML = "mL", "mL"
    MG_PER_KG = "mg/kg", "mg/kg body weight"
    G_PER_KG = "g/kg", "g/kg body weight"
    MG_PER_M2 = "mg/m2", "mg/m² body surface area"


class DoseFrequency(models.TextChoices):
    """How often the dose is given (per session: each dialysis, infusion or procedure)."""

    ONCE = "once", "Once"
    DAILY = "daily", "Once daily"
    TWICE_DAILY = "twice_daily", "Twice daily"
    THREE_TIMES_DAILY = "three_times_daily", "Three times daily"
    THREE_TIMES_WEEKLY = "three_times_weekly", "Three times weekly"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    PER_SESSION = "per_session", "Per session"
