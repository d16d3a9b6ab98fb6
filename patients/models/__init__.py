"""Patients, their SSc subtype assessments, visits and calcinosis treatments."""

from patients.models.patients import (
    CLASSIFICATION_FIELDS,
    Patient,
    SubtypeAssessment,
    new_registry_id,
)
from patients.models.treatments import TREATMENT_FIELDS, CalcinosisTreatment
from patients.models.visits import Visit

__all__ = [
    "CLASSIFICATION_FIELDS",
    "TREATMENT_FIELDS",
    "CalcinosisTreatment",
    "Patient",
    "SubtypeAssessment",
    "Visit",
    "new_registry_id",
]
