"""Patients, their SSc subtype assessments, visits and calcinosis treatments."""

from patients.models.patients import (
    CLASSIFICATION_FIELDS,
    Patient,
    SubtypeAssessment,
    new_registry_id,
)
from patients.models.treatments import CalcinosisTreatment
from patients.models.visits import Visit

__all__ = [
    "CLASSIFICATION_FIELDS",
    "CalcinosisTreatment",
    "Patient",
    "SubtypeAssessment",
    "Visit",
    "new_registry_id",
]
