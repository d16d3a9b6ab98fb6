"""The FHIR R4 Bulk Data output: one NDJSON file per resource type (Patient, Condition,
Observation, ImagingStudy, MedicationStatement, Procedure), streamed from the level queries
through the pure mappings of :mod:`exports.formats.fhir.resources` and
:mod:`exports.formats.fhir.treatments`. FHIR needs calendar dates, so it takes the "keep" or "shift"
date mode, never "relative".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from exports import levels, sql, treatment_finding_levels
from exports.clinical_columns import mrss_site_columns
from exports.columns import with_birth_band
from exports.formats.fhir.resources import (
    calcinosis_condition,
    finding_observation,
    imaging_study,
    lesion_observation,
    patient_resource,
    sld_observation,
    ssc_condition,
    visit_observations,
)
from exports.formats.fhir.treatments import treatment_resource
from exports.package import ExportPackage
from exports.pseudonyms import KEEP, uid
from exports.streaming import ExportSession
from imaging.choices import Finding, Joint, View
from patients.choices import DoseFrequency, SscSubtype, Treatment, TreatmentRoute
from patients.models import Visit

RESOURCE_TYPES = (
    "Patient", "Condition", "Observation", "ImagingStudy", "MedicationStatement", "Procedure"
)
FETCH = 5000


class NdjsonFiles:
    """One ``<Type>.ndjson`` file per resource type, written side by side in ``workdir`` (a zip
    takes one member at a time), then added to the package."""

    def __init__(self, package: ExportPackage, workdir: Path) -> None:
        self.package = package
        self.paths = {kind: workdir / f"{kind}.ndjson" for kind in RESOURCE_TYPES}
        self.files: dict[str, IO[bytes]] = {
            kind: open(path, "wb") for kind, path in self.paths.items()  # noqa: SIM115
        }
        self.counts = dict.fromkeys(RESOURCE_TYPES, 0)

    def emit(self, resource: dict) -> None:
        kind = resource["resourceType"]
        line = json.dumps(resource, separators=(",", ":"), ensure_ascii=False)
        self.files[kind].write(line.encode() + b"\n")
        self.counts[kind] += 1

    def finish(self) -> dict[str, int]:
        for kind, handle in self.files.items():
            handle.close()
            self.package.add_file(
                f"{kind}.ndjson", self.paths[kind], rows=self.counts[kind], compress=True
            )
            self.paths[kind].unlink()
        return {f"{kind}.ndjson": count for kind, count in self.counts.items()}

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()


def _dicts(session: ExportSession, level: str, columns, date_mode: str) -> Iterator[dict]:
    query = sql.level_select(level, columns, session.dialect, date_mode, text=False)
    names = [column.name for column in columns]
    for batch in session.batches(query, FETCH):
        for row in batch:
            yield dict(zip(names, row, strict=True))


def write_fhir(
    session: ExportSession,
    package: ExportPackage,
    *,
    workdir: Path,
    date_mode: str,
    key: bytes,
    progression_rows: Callable[[], Iterable[list[tuple]]],
    on_rows: Callable[[int], None] | None,
    banded: bool = False,
) -> dict[str, int]:
    """Write the NDJSON files (one per resource type); returns resources per file. ``banded``:
    the patient map holds 5-year birth bands (exports.disclosure), which Patient.birthDate
    cannot hold."""
    files = NdjsonFiles(package, workdir)
    try:
        return _write(session, files, date_mode=date_mode, key=key, banded=banded,
                      progression_rows=progression_rows, on_rows=on_rows)
    finally:
        files.close()


def _write(
    session: ExportSession,
    files: NdjsonFiles,
    *,
    date_mode: str,
    key: bytes,
    banded: bool,
    progression_rows: Callable[[], Iterable[list[tuple]]],
    on_rows: Callable[[int], None] | None,
) -> dict[str, int]:
    done = 0

    def progress() -> None:
        if on_rows is not None and done % FETCH == 0:
            on_rows(done)

    exact = date_mode == KEEP
    subtypes = dict(SscSubtype.choices)
    patients = levels.patient_columns(date_mode)
    for row in _dicts(session, "patients", with_birth_band(patients) if banded else patients,
                      date_mode):
        files.emit(patient_resource(row))
        files.emit(ssc_condition(row, subtypes[row["ssc_subtype"]], exact_dates=exact))
        if row["has_calcinosis"]:
            files.emit(calcinosis_condition(row))
        done += 1
        progress()

    labels = {field.name: str(field.verbose_name) for field in Visit._meta.get_fields()
              if hasattr(field, "verbose_name")}
    sites = {column.name: column.label for column in mrss_site_columns()}
    patient, number = None, 0
    for row in _dicts(session, "visits", levels.visit_columns(date_mode), date_mode):
        number = number + 1 if row["patient"] == patient else 1
        patient = row["patient"]
        for resource in visit_observations(row, number, labels, sites):
            files.emit(resource)
        done += 1
        progress()

    choices = {"treatment": dict(Treatment.choices), "route": dict(TreatmentRoute.choices),
               "dose_frequency": dict(DoseFrequency.choices)}
    patient, number = None, 0
    treatments = treatment_finding_levels.treatment_columns(date_mode)
    for row in _dicts(session, "treatments", treatments, date_mode):
        number = number + 1 if row["patient"] == patient else 1
        patient = row["patient"]
        resource = treatment_resource(row, number, choices)
        if resource is not None:
            files.emit(resource)
        done += 1
        progress()

    views = dict(View.choices)
    for row in _dicts(session, "radiographs", levels.radiograph_columns(date_mode), date_mode):
        ordinal = f"{row['patient']}-{row['radiograph_number']}"
        files.emit(
            imaging_study(
                row,
                study_uid=uid(key, "study", ordinal),
                series_uid=uid(key, "series", ordinal),
                view_label=views.get(row["view"], row["view"]),
            )
        )
        done += 1
        progress()

    radiograph, number = None, 0
    for row in _dicts(session, "lesions", levels.lesion_columns(date_mode), date_mode):
        current = (row["patient"], row["radiograph_number"])
        number = number + 1 if current == radiograph else 1
        radiograph = current
        files.emit(lesion_observation(row, number))
        done += 1
        progress()

    findings, joints = dict(Finding.choices), dict(Joint.choices)
    radiograph, number = None, 0
    findings_columns = treatment_finding_levels.finding_columns(date_mode)
    for row in _dicts(session, "findings", findings_columns, date_mode):
        current = (row["patient"], row["radiograph_number"])
        number = number + 1 if current == radiograph else 1
        radiograph = current
        files.emit(finding_observation(row, number, finding_label=findings[row["finding"]],
                                       joint_label=joints.get(row["joint"], "")))
        done += 1
        progress()

    names = [column.name for column in levels.progression_columns(date_mode)]
    for batch in progression_rows():
        for values in batch:
            files.emit(sld_observation(dict(zip(names, values, strict=True))))
            done += 1
            progress()
    if on_rows is not None:
        on_rows(done)
    return files.finish()
