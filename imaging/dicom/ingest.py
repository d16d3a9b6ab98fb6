"""The one DICOM ingest pipeline behind the REST upload, ``import_dicom`` and ``dicom_scp``.

read within the limits of imaging.dicom.limits (compressed frames decoded only in
imaging.dicom.sandbox) -> metadata (Patient ID read before de-identification) -> duplicates
decided per center -> match the patient in the receiving center -> de-identify (PS3.15 Annex E,
imaging.dicom.deidentify) -> store the de-identified bytes, content-addressed (shared by centers
that receive the same image) -> a radiograph (matched) or an unmatched queue entry -> previews
enqueued after commit. The identifiable bytes live only in memory: nothing of them is written,
not even to a temporary file, and identifiers are never logged.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from pydicom.dataset import Dataset

from accounts.models import Center
from imaging.dicom.accessors import get_str
from imaging.dicom.deidentify import deidentify, map_uid
from imaging.dicom.fields import RadiographFields, radiograph_fields
from imaging.dicom.keys import source_patient_key, uid_key
from imaging.dicom.limits import MIB, DicomLimits
from imaging.dicom.metadata import DicomMetadata, extract_metadata
from imaging.dicom.previews import preview_enqueue
from imaging.dicom.read import DicomError, read_dicom
from imaging.dicom.sandbox import pixels_verify
from imaging.dicom.storage import sha256_of, store_content
from imaging.models import DicomInstance, Radiograph
from imaging.services import radiograph_save
from patients.models import Patient

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

logger = logging.getLogger(__name__)

IMPORTED, DUPLICATE, UNMATCHED, REJECTED = "imported", "duplicate", "unmatched", "rejected"
OUTCOMES = (IMPORTED, DUPLICATE, UNMATCHED, REJECTED)

ALREADY_RECEIVED = "already_received"
TOO_LARGE = "too_large"
MISSING_UID = "missing_uid"
PATIENT_NOT_IN_CENTER = "patient_not_in_center"

MESSAGES = {
    ALREADY_RECEIVED: (
        "This center received this image (same SOP Instance UID) before: nothing changed."
    ),
    TOO_LARGE: "The file is larger than REGISTRY_DICOM_MAX_FILE_MB ({limit} MB).",
    MISSING_UID: "The file has no SOP Instance UID (0008,0016) or Study Instance UID (0020,000D).",
    PATIENT_NOT_IN_CENTER: "The chosen patient does not belong to the receiving center.",
    **{choice.value: choice.label for choice in DicomInstance.UnmatchedReason if choice.value},
}


@dataclass(frozen=True)
class IngestResult:
    """What happened to one file. ``reason`` is a code of MESSAGES or of imaging.dicom."""

    outcome: str  # imported | duplicate | unmatched | rejected
    reason: str = ""
    detail: str = ""
    instance_id: int | None = None
    radiograph_id: int | None = None
    sop_instance_uid: str = ""  # de-identified
    size_bytes: int = 0


def max_file_bytes() -> int:
    return settings.REGISTRY_DICOM_MAX_FILE_MB * 1024 * 1024


def dicom_limits() -> DicomLimits:
    """The REGISTRY_DICOM_* limits of one file (imaging.dicom.limits, docs/security.md)."""
    return DicomLimits(
        max_pixel_data_bytes=settings.REGISTRY_DICOM_MAX_PIXEL_DATA_MB * MIB,
        max_inflated_bytes=settings.REGISTRY_DICOM_MAX_INFLATED_MB * MIB,
        max_elements=settings.REGISTRY_DICOM_MAX_ELEMENTS,
        max_depth=settings.REGISTRY_DICOM_MAX_DEPTH,
        decode_memory_bytes=settings.REGISTRY_DICOM_DECODE_MEMORY_MB * MIB,
        decode_seconds=settings.REGISTRY_DICOM_DECODE_TIMEOUT_S,
    )


def size_refused(size: int) -> IngestResult | None:
    """The rejection of a file of ``size`` bytes over REGISTRY_DICOM_MAX_FILE_MB, else None;
    callers check it before reading a file into memory."""
    if size <= max_file_bytes():
        return None
    limit = settings.REGISTRY_DICOM_MAX_FILE_MB
    return _rejected(TOO_LARGE, MESSAGES[TOO_LARGE].format(limit=limit), size)


def radiograph_ingest(
    data: bytes,
    *,
    center: Center,
    via: str,
    user: AbstractBaseUser | AnonymousUser | None = None,
    patient: Patient | None = None,
) -> IngestResult:
    """Ingest one Part 10 file received by ``center``; ``patient`` (of that center) wins over
    the file's Patient ID. Never raises for a bad file: it is rejected with a reason."""
    refused = size_refused(len(data))
    if refused is not None:
        return refused
    limits = dicom_limits()
    try:
        ds = read_dicom(data, limits=limits)
    except DicomError as exc:
        return _rejected(exc.reason, str(exc), len(data))
    metadata = extract_metadata(ds)
    if not metadata.sop_instance_uid or not metadata.study_instance_uid:
        return _rejected(MISSING_UID, MESSAGES[MISSING_UID], len(data))
    if patient is not None and patient.center_id != center.pk:
        return _rejected(PATIENT_NOT_IN_CENTER, MESSAGES[PATIENT_NOT_IN_CENTER], len(data))

    key = uid_key()
    sop_instance_uid = map_uid(metadata.sop_instance_uid, key)
    # Per center: what another center sent is neither revealed nor shared (only the bytes are).
    received = DicomInstance.objects.filter(center=center, sop_instance_uid=sop_instance_uid)
    existing = received.first()
    if existing is not None:
        return _duplicate(existing)
    try:
        pixels_verify(data, ds, limits=limits)
    except DicomError as exc:
        return _rejected(exc.reason, str(exc), len(data))

    match, reason = (patient, "") if patient else _match_patient(metadata, center)
    fields = radiograph_fields(metadata, default_region=settings.REGISTRY_DICOM_DEFAULT_BODY_REGION)
    clean = deidentify(ds, uid_key=key)
    del ds  # the identifiable dataset goes no further
    encoded = _encode(clean)
    sha256 = sha256_of(encoded)
    name = store_content(encoded, suffix=".dcm", sha256=sha256)
    instance = DicomInstance(
        center=center,
        received_via=via,
        received_by=user if user is not None and user.is_authenticated else None,
        source_patient_key=source_patient_key(
            center_id=center.pk,
            issuer=metadata.issuer_of_patient_id,
            patient_id=metadata.patient_id,
        ),
        source_id_key=source_patient_key(
            center_id=center.pk, issuer=None, patient_id=metadata.patient_id
        ),
        file=name,
        sha256=sha256,
        size_bytes=len(encoded),
        **_instance_fields(clean, metadata, fields),
    )
    try:
        with transaction.atomic():
            _place(instance, match, reason, fields)
    except IntegrityError:  # the same image arrived concurrently and won the unique UID
        existing = received.first()
        if existing is None:
            raise
        return _duplicate(existing)
    preview_enqueue(instance.pk)
    outcome = IMPORTED if instance.status == DicomInstance.Status.MATCHED else UNMATCHED
    logger.debug(
        "DICOM %s via %s for center %s: instance %s %s",
        outcome,
        via,
        center.code,
        instance.pk,
        instance.unmatched_reason,
    )
    return IngestResult(
        outcome=outcome,
        reason=instance.unmatched_reason,
        detail=MESSAGES.get(instance.unmatched_reason, ""),
        instance_id=instance.pk,
        radiograph_id=instance.radiograph_id,
        sop_instance_uid=instance.sop_instance_uid,
        size_bytes=len(data),
    )


def _match_patient(metadata: DicomMetadata, center: Center) -> tuple[Patient | None, str]:
    """(0010,0020) Patient ID = the patient's local id in the center; when the center lists
    accepted (0010,0021) Issuers of Patient ID, a file from another issuer is not matched."""
    Reason = DicomInstance.UnmatchedReason
    if not metadata.patient_id:
        return None, Reason.NO_PATIENT_ID
    issuers = settings.REGISTRY_DICOM_ISSUERS.get(center.code) or []
    if metadata.issuer_of_patient_id and issuers and metadata.issuer_of_patient_id not in issuers:
        return None, Reason.ISSUER
    found = Patient.objects.filter(center=center, local_id=metadata.patient_id).first()
    return (found, "") if found else (None, Reason.NO_PATIENT)


def _place(
    instance: DicomInstance, patient: Patient | None, reason: str, fields: RadiographFields
) -> None:
    """Create the radiograph when the patient and the header say enough, else queue."""
    instance.patient = patient
    if patient is not None and not reason:
        reason = fields.missing[0] if fields.missing else ""
    if patient is not None and not reason:
        try:
            instance.radiograph = radiograph_save(
                radiograph=radiograph_for(instance, patient, fields)
            )
        except ValidationError:
            reason = DicomInstance.UnmatchedReason.INVALID
    instance.status = DicomInstance.Status.UNMATCHED if reason else DicomInstance.Status.MATCHED
    instance.unmatched_reason = reason
    instance.save(force_insert=True)


def radiograph_for(
    instance: DicomInstance, patient: Patient, fields: RadiographFields
) -> Radiograph:
    """The (unsaved) radiograph of an instance; its DICOM UIDs are the de-identified ones."""
    return Radiograph(
        patient=patient,
        acquired_on=fields.acquired_on,
        body_region=fields.body_region,
        laterality=fields.laterality,
        view=fields.view,
        pixel_spacing_row_mm=fields.pixel_spacing_row_mm,
        pixel_spacing_column_mm=fields.pixel_spacing_column_mm,
        pixel_spacing_source=fields.pixel_spacing_source,
        study_instance_uid=instance.study_instance_uid,
        series_instance_uid=instance.series_instance_uid,
        sop_instance_uid=instance.sop_instance_uid,
        modality=instance.modality,
        rows=instance.rows,
        columns=instance.columns,
    )


def _instance_fields(clean: Dataset, metadata: DicomMetadata, fields: RadiographFields) -> dict:
    """Header fields kept on the instance, UIDs taken from the de-identified dataset."""
    return {
        "sop_instance_uid": get_str(clean, "SOPInstanceUID") or "",
        "sop_class_uid": metadata.sop_class_uid or "",
        "study_instance_uid": get_str(clean, "StudyInstanceUID") or "",
        "series_instance_uid": get_str(clean, "SeriesInstanceUID") or "",
        "transfer_syntax_uid": metadata.transfer_syntax_uid or "",
        "modality": (metadata.modality or "")[:16],
        "photometric_interpretation": (metadata.photometric_interpretation or "")[:16],
        "rows": metadata.rows,
        "columns": metadata.columns,
        "study_date": metadata.study_date,
        "acquired_on": fields.acquired_on,
        "body_part_examined": (metadata.body_part_examined or "")[:16],
        "laterality": fields.laterality,
        "view_position": (metadata.view_position or "")[:16],
        "view": fields.view,
        "pixel_spacing_row_mm": fields.pixel_spacing_row_mm,
        "pixel_spacing_column_mm": fields.pixel_spacing_column_mm,
        "pixel_spacing_source": fields.pixel_spacing_source,
        "burned_in_annotation": metadata.burned_in_annotation,  # None: absent, needs a review
    }


def _encode(ds: Dataset) -> bytes:
    """The Part 10 file (preamble, DICM, file meta; PS3.10 7.1), in its transfer syntax."""
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _rejected(reason: str, detail: str, size: int) -> IngestResult:
    logger.debug("DICOM rejected: %s", reason)
    return IngestResult(outcome=REJECTED, reason=reason, detail=detail, size_bytes=size)


def _duplicate(existing: DicomInstance) -> IngestResult:
    """The same image again, from the center that holds ``existing``."""
    return IngestResult(
        outcome=DUPLICATE,
        reason=ALREADY_RECEIVED,
        detail=MESSAGES[ALREADY_RECEIVED],
        instance_id=existing.pk,
        radiograph_id=existing.radiograph_id,
        sop_instance_uid=existing.sop_instance_uid,
    )
