"""The unmatched queue: received images waiting for a clinician to choose their patient.

An image waits when its Patient ID matched nobody in the receiving center, or when its header
lacks the date, side or view a radiograph needs. The clinician never sees the original
identifier: they choose the patient (and supply what the header lacked), and this creates the
radiograph through the same validation as every other writer.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from imaging.dicom.fields import (
    MISSING_DATE,
    MISSING_LATERALITY,
    MISSING_VIEW,
    RadiographFields,
    body_region_of,
)
from imaging.dicom.ingest import radiograph_for
from imaging.models import DicomInstance
from imaging.services import radiograph_save
from patients.models import Patient

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from imaging.models.dicom_instances import DicomInstanceQuerySet

ALREADY_ASSIGNED = "This image has been assigned to a patient already."
PATIENT_OTHER_CENTER = "Choose a patient of the center that received the image."
FIELD_REQUIRED = "The image's header does not say this: give it."


@transaction.atomic
def unmatched_assign(
    *,
    instance: DicomInstance,
    patient: Patient,
    user: AbstractBaseUser | AnonymousUser | None,
    acquired_on: date | None = None,
    laterality: str = "",
    view: str = "",
    body_region: str = "",
) -> DicomInstance:
    """Create the radiograph of a queued image for ``patient``; the keyword values override the
    header's (a header without side, view or date needs them). ValidationError when refused."""
    instance = DicomInstance.objects.select_for_update().get(pk=instance.pk)
    if instance.status != DicomInstance.Status.UNMATCHED:
        raise ValidationError({"patient": [ALREADY_ASSIGNED]})
    if patient.center_id != instance.center_id:
        raise ValidationError({"patient": [PATIENT_OTHER_CENTER]})
    fields = _fields(instance, acquired_on, laterality, view, body_region)
    required = {"acquired_on": MISSING_DATE, "laterality": MISSING_LATERALITY, "view": MISSING_VIEW}
    errors = {name: [FIELD_REQUIRED] for name, code in required.items() if code in fields.missing}
    if errors:
        raise ValidationError(errors)
    instance.radiograph = radiograph_save(radiograph=radiograph_for(instance, patient, fields))
    instance.patient = patient
    instance.status = DicomInstance.Status.MATCHED
    instance.unmatched_reason = ""
    instance.assigned_by = user if user is not None and user.is_authenticated else None
    instance.assigned_at = timezone.now()
    instance.save(
        update_fields=[
            "radiograph",
            "patient",
            "status",
            "unmatched_reason",
            "assigned_by",
            "assigned_at",
        ]
    )
    return instance


def same_source_unmatched(instance: DicomInstance) -> DicomInstanceQuerySet:
    """Other queued images of the same source patient (same keyed Patient ID and issuer)."""
    if not instance.source_patient_key:
        return DicomInstance.objects.none()
    return (
        DicomInstance.objects.unmatched()
        .filter(center_id=instance.center_id, source_patient_key=instance.source_patient_key)
        .exclude(pk=instance.pk)
    )


def _fields(
    instance: DicomInstance,
    acquired_on: date | None,
    laterality: str,
    view: str,
    body_region: str,
) -> RadiographFields:
    acquired_on = acquired_on or instance.acquired_on
    laterality = laterality or instance.laterality
    view = view or instance.view
    missing = [
        code
        for code, value in (
            (MISSING_DATE, acquired_on),
            (MISSING_LATERALITY, laterality),
            (MISSING_VIEW, view),
        )
        if not value
    ]
    default_region = settings.REGISTRY_DICOM_DEFAULT_BODY_REGION
    return RadiographFields(
        acquired_on=acquired_on,
        body_region=body_region
        or body_region_of(instance.body_part_examined, default=default_region),
        laterality=laterality,
        view=view,
        # ingest kept only a spacing a radiograph accepts (imaging.dicom.fields)
        pixel_spacing_row_mm=instance.pixel_spacing_row_mm,
        pixel_spacing_column_mm=instance.pixel_spacing_column_mm,
        pixel_spacing_source=instance.pixel_spacing_source,
        missing=tuple(missing),
    )
