"""Writing one parsed import row through the registry's services (patients.services,
imaging.services), matched on natural keys so a re-import updates rather than duplicates.

A row only changes the columns the file has; an unchanged record is not saved again (no audit
entry, no progression recomputation). Lesions the file does not assign to a track by the user
keep whatever track the progression engine gave them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models

from accounts.models import Center
from exports.imports.rows import birth_from, period_start
from exports.models import ImportedRecord
from imaging.choices import TrackAssignment
from imaging.models import CalcinosisLesion, LesionTrack, Radiograph
from imaging.services import lesion_save, radiograph_save, track_save
from patients.choices import AUTOANTIBODIES
from patients.models import CLASSIFICATION_FIELDS, Patient, Visit
from patients.services import patient_save, visit_save

if TYPE_CHECKING:
    from exports.imports.cohort import ImportReport

NO_SUCH_PATIENT = "No patient with this local identifier in center {center}; import the patients "
NO_SUCH_PATIENT += "file first."
NO_LOCAL_ID = "This value is required."

PATIENT_FIELDS = (
    "sex",
    "ssc_subtype",
    "diagnosis_date",
    *(model_field for model_field, _label in AUTOANTIBODIES.values()),
    *(name for name in CLASSIFICATION_FIELDS if name != "not_applicable_reason"),
)
VISIT_FIELDS = (
    "mrss_total",
    "mrss_sites",  # the 17 site columns, folded by exports.imports.rows.fold_mrss_sites
    "calcinosis_pain_nrs",
    "calcinosis_pain_vas_mm",
    "ulceration",
    "infection",
    "drainage",
    "chfs_total",
    "digital_ulcer_count",
    "raynaud_attacks_per_day",
)
RADIOGRAPH_FIELDS = (
    "acquired_on",
    "body_region",
    "laterality",
    "view",
    "pixel_spacing_row_mm",
    "pixel_spacing_column_mm",
    "pixel_spacing_source",
    "modality",
    "rows",
    "columns",
)
LESION_FIELDS = (
    "laterality",
    "digit",
    "segment",
    "tissue",
    "longest_diameter_mm",
    "perpendicular_diameter_mm",
    "density",
    "morphology",
)


def _stored(instance: models.Model, name: str, value: Any) -> Any:
    """``value`` as the field stores it: blank text fields hold "" rather than None."""
    model_field = instance._meta.get_field(name)
    if value is None and not model_field.null:
        return ""
    return value


def assign(instance: models.Model, values: dict[str, Any], names) -> bool:
    """Set the given fields that the row has; True if any value changed."""
    changed = False
    for name in names:
        if name not in values:
            continue
        value = _stored(instance, name, values[name])
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def renamed(error: ValidationError, names: dict[str, str]) -> ValidationError:
    """The error with its fields renamed (a radiograph's ``laterality`` in a lesion file is
    the ``radiograph_laterality`` column)."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError(
        {names.get(key, key): value for key, value in error.error_dict.items()}
    )


class RowWriter:
    def __init__(self, *, center: Center, level: str, report: ImportReport) -> None:
        self.center, self.level, self.report = center, level, report
        self._patients: dict[str, Patient] = {}
        self._radiographs: dict[tuple[int, int], Radiograph] = {}
        self._lesion_counts: dict[tuple[int, int], int] = {}

    def write(self, values: dict[str, Any]) -> None:
        getattr(self, f"write_{self.level}")(values)

    def _count(self, kind: str, created: bool, changed: bool) -> None:
        bucket = self.report.created if created else (
            self.report.updated if changed else self.report.unchanged
        )
        bucket[kind] += 1

    # --- keys -----------------------------------------------------------------------------
    @staticmethod
    def _key_column(values: dict[str, Any]) -> tuple[str, str | None]:
        if "local_id" in values:
            return "local_id", values["local_id"]
        return "patient", values.get("patient")

    def _patient(self, values: dict[str, Any]) -> Patient:
        column, local_id = self._key_column(values)
        if not local_id:
            raise ValidationError({column: [NO_LOCAL_ID]})
        if local_id not in self._patients:
            patient = Patient.objects.filter(center=self.center, local_id=local_id).first()
            if patient is None:
                raise ValidationError({column: [NO_SUCH_PATIENT.format(center=self.center.code)]})
            self._patients[local_id] = patient
        return self._patients[local_id]

    def _mapped(self, patient: Patient, kind: str, key: str, model: type[models.Model]):
        record = ImportedRecord.objects.filter(patient=patient, kind=kind, key=key).first()
        if record is None:
            return None
        return model.objects.filter(pk=record.object_id).first()

    @staticmethod
    def _remember(patient: Patient, kind: str, key: str, instance: models.Model) -> None:
        ImportedRecord.objects.update_or_create(
            patient=patient, kind=kind, key=key, defaults={"object_id": instance.pk}
        )

    # --- levels ---------------------------------------------------------------------------
    def write_patients(self, values: dict[str, Any]) -> None:
        column, local_id = self._key_column(values)
        if not local_id:
            raise ValidationError({column: [NO_LOCAL_ID]})
        patient = Patient.objects.filter(center=self.center, local_id=local_id).first()
        created = patient is None
        if created:
            patient = Patient(center=self.center, local_id=local_id)
        fields = dict(values)
        if "birth_date" in values or "birth_year" in values:
            fields["birth_date"] = birth_from(values)
        for onset, mapped in (("raynaud_onset", "raynaud_onset"),
                              ("first_non_raynaud_onset", "first_non_raynaud_onset")):
            if onset in values:
                precision = values.get(f"{mapped}_precision") or (
                    "day" if values[onset] else ""
                )
                fields[onset] = period_start(values[onset], precision)
                fields[f"{onset}_precision"] = precision if values[onset] else ""
        names = (*PATIENT_FIELDS, "birth_date", "raynaud_onset", "raynaud_onset_precision",
                 "first_non_raynaud_onset", "first_non_raynaud_onset_precision")
        changed = assign(patient, fields, names)
        if created or changed:
            patient_save(patient=patient)
        self._count("patients", created, changed)

    def write_visits(self, values: dict[str, Any]) -> None:
        patient = self._patient(values)
        visit = Visit.objects.filter(
            patient=patient, date=values["visit_date"], visit_type=values["visit_type"]
        ).first()
        created = visit is None
        if created:
            visit = Visit(patient=patient, date=values["visit_date"],
                          visit_type=values["visit_type"])
        changed = assign(visit, values, VISIT_FIELDS)
        if created or changed:
            visit_save(visit=visit)
        self._count("visits", created, changed)

    def _radiograph(self, patient: Patient, values: dict[str, Any], *, update: bool) -> Radiograph:
        number = values["radiograph_number"]
        cached = self._radiographs.get((patient.pk, number))
        if cached is not None and not update:
            return cached
        radiograph = self._mapped(patient, "radiograph", str(number), Radiograph)
        created = radiograph is None
        if created:
            radiograph = Radiograph(patient=patient)
        changed = assign(radiograph, values, RADIOGRAPH_FIELDS) if (created or update) else False
        if created or changed:
            radiograph_save(radiograph=radiograph)
            self._remember(patient, "radiograph", str(number), radiograph)
        self._count("radiographs", created, changed)
        self._radiographs[(patient.pk, number)] = radiograph
        return radiograph

    def write_radiographs(self, values: dict[str, Any]) -> None:
        self._radiograph(self._patient(values), values, update=True)

    def _track(self, patient: Patient, radiograph: Radiograph, values: dict[str, Any]):
        key = str(values["track_number"])
        track = self._mapped(patient, "track", key, LesionTrack)
        if track is None:
            track = track_save(track=LesionTrack(
                patient=patient,
                body_region=radiograph.body_region,
                laterality=values["laterality"],
                digit=values.get("digit"),
                segment=values.get("segment") or "",
                tissue=values.get("tissue") or "",
            ))
            self._remember(patient, "track", key, track)
            self.report.created["tracks"] += 1
        return track

    def write_lesions(self, values: dict[str, Any]) -> None:
        patient = self._patient(values)
        radiograph_values = {
            **values, "laterality": values.get("radiograph_laterality"),
        }
        try:
            radiograph = self._radiograph(patient, radiograph_values, update=False)
        except ValidationError as error:
            raise renamed(error, {"laterality": "radiograph_laterality"}) from error
        slot = (patient.pk, values["radiograph_number"])
        self._lesion_counts[slot] = self._lesion_counts.get(slot, 0) + 1
        number = values.get("lesion_number") or self._lesion_counts[slot]
        key = f"{values['radiograph_number']}.{number}"
        lesion = self._mapped(patient, "lesion", key, CalcinosisLesion)
        created = lesion is None
        if created:
            lesion = CalcinosisLesion(radiograph=radiograph)
        changed = assign(lesion, values, LESION_FIELDS)
        if values.get("track_assignment") == TrackAssignment.USER and values.get("track_number"):
            track = self._track(patient, radiograph, values)
            if lesion.track_id != track.pk or lesion.track_assignment != TrackAssignment.USER:
                lesion.track, lesion.track_assignment = track, TrackAssignment.USER
                changed = True
        if created or changed:
            lesion_save(lesion=lesion)
            self._remember(patient, "lesion", key, lesion)
        self._count("lesions", created, changed)
