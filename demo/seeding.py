"""Writes demo records (demo.cohort) in bulk: thousands of patients per second.

Bulk writes skip ``full_clean``; the generator only produces valid values, and the database
constraints and triggers still check every row. Each row gets its "created" history row, marked
as coming from the command line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction

from accounts.models import Center
from demo.cohort import PatientRecord
from imaging.models import CalcinosisLesion, LesionTrack, Radiograph, RadiographicFinding
from patients.classification import acr_eular_2013_score
from patients.models import CalcinosisTreatment, Patient, SubtypeAssessment, Visit
from registry.audit import Source
from registry.history_bulk import history_copy_created


@dataclass
class SeedCounts:
    patients: int = 0
    visits: int = 0
    radiographs: int = 0
    lesions: int = 0
    patient_ids: list[int] = field(default_factory=list)

    def add(self, other: SeedCounts) -> None:
        for name in ("patients", "visits", "radiographs", "lesions"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.patient_ids += other.patient_ids


def _create(model, objs: list, batch_size: int) -> list:
    """Bulk insert with one history row per record."""
    created = model.objects.bulk_create(objs, batch_size=batch_size) if objs else []
    for start in range(0, len(created), batch_size):
        pks = [obj.pk for obj in created[start : start + batch_size]]
        history_copy_created(model, pks, source=Source.CLI, reason="seed_demo")
    return created


@transaction.atomic
def cohort_write(records: Iterable[PatientRecord], *, batch_size: int = 1000) -> SeedCounts:
    """Insert the records whose (center, local id) is not in the database yet (idempotent)."""
    records = list(records)
    centers = {c.code: c for c in Center.objects.filter(code__in={r.center_code for r in records})}
    existing = set(
        Patient.objects.filter(local_id__in=[r.values["local_id"] for r in records]).values_list(
            "center__code", "local_id"
        )
    )
    records = [r for r in records if (r.center_code, r.values["local_id"]) not in existing]
    patients = []
    for record in records:
        patient = Patient(center=centers[record.center_code], **record.values)
        patient.acr_eular_2013_score = acr_eular_2013_score(patient.classification_items())
        patients.append(patient)
    patients = _create(Patient, patients, batch_size)

    assessments, visits, tracks, treatments = [], [], [], []
    for patient, record in zip(patients, records, strict=True):
        assessments += [
            SubtypeAssessment(patient=patient, assessed_on=day, subtype=subtype)
            for day, subtype in record.assessments
        ]
        visits += [
            Visit(patient=patient, date=v.date, visit_type=v.visit_type, **v.values)
            for v in record.visits
        ]
        tracks += [
            LesionTrack(patient=patient, label=key, **site) for key, site in record.tracks.items()
        ]
        treatments += [CalcinosisTreatment(patient=patient, **t) for t in record.treatments]
    _create(SubtypeAssessment, assessments, batch_size)
    _create(CalcinosisTreatment, treatments, batch_size)
    visits = iter(_create(Visit, visits, batch_size))
    tracks = iter(_create(LesionTrack, tracks, batch_size))

    radiographs, pending = [], []
    for patient, record in zip(patients, records, strict=True):
        track_ids = {key: next(tracks) for key in record.tracks}
        for visit_record in record.visits:
            visit = next(visits)
            for r in visit_record.radiographs:
                spacing = r.pixel_spacing_mm
                radiographs.append(
                    Radiograph(
                        patient=patient,
                        visit=visit,
                        acquired_on=r.acquired_on,
                        body_region=r.body_region,
                        laterality=r.laterality,
                        view=r.view,
                        pixel_spacing_row_mm=spacing,
                        pixel_spacing_column_mm=spacing,
                        pixel_spacing_source="projection" if spacing else "",
                    )
                )
                pending.append((r, track_ids))
    radiographs = _create(Radiograph, radiographs, batch_size)

    lesions, findings = [], []
    for radiograph, (record, track_ids) in zip(radiographs, pending, strict=True):
        for lesion in record.lesions:
            track = track_ids[lesion.track]
            lesions.append(
                CalcinosisLesion(
                    radiograph=radiograph,
                    track=track,
                    track_assignment="user",
                    laterality=track.laterality,
                    digit=track.digit,
                    segment=track.segment,
                    tissue=track.tissue,
                    longest_diameter_mm=lesion.longest_diameter_mm,
                    perpendicular_diameter_mm=lesion.perpendicular_diameter_mm,
                    morphology=lesion.morphology,
                    density=lesion.density,
                )
            )
        findings += [RadiographicFinding(radiograph=radiograph, **f) for f in record.findings]
    _create(CalcinosisLesion, lesions, batch_size)
    _create(RadiographicFinding, findings, batch_size)
    return SeedCounts(
        len(patients),
        sum(len(r.visits) for r in records),
        len(radiographs),
        len(lesions),
        [patient.pk for patient in patients],
    )
