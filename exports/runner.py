"""Writing one export to a zip: select the patients, build the temporary maps, stream the level
(or, for ``all``, every level as its own file over the same maps: one pseudonym and one date
offset per patient across the package) in the requested format, then add the data dictionary
and the manifest.

The Celery task (through :func:`exports.services.export_run`) and ``export_cohort`` both call
:func:`export_to_zip`; it knows nothing of jobs, only of a spec, a path and a progress callback.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from accounts.access import RADIOGRAPHS, RESEARCH, consent_sql
from exports import dictionary, joins, levels, sql, treatment_finding_levels
from exports.columns import Column, for_requester, with_birth_band
from exports.disclosure import Disclosure
from exports.formats import value_labels, wide
from exports.formats.fhir.dictionary import fhir_dictionary_rows
from exports.formats.fhir.ndjson import write_fhir
from exports.formats.labelled import FORMATS as LABELLED
from exports.formats.labelled import frame, frame_from_csv, write_labelled
from exports.formats.parquet import (
    arrow_schema,
    record_batch,
    write_parquet,
    write_parquet_from_csv,
)
from exports.formats.tabular import write_csv, write_xlsx
from exports.imports.rows import IMPORT_LEVELS
from exports.manifest import manifest_json
from exports.models import Format, Level, levels_of
from exports.package import BackgroundWriter, ExportPackage, Member
from exports.patient_map import patient_map
from exports.progression_rows import progression_batches
from exports.pseudonyms import export_key
from exports.selection import selected_patients
from exports.streaming import ExportSession
from progression.cohort_summary import cell_suppressed
from progression.engine.grading import REGION_ORDER
from progression.registry_rules import rules_with
from registry.keys import configured_or_derived_key

LEVEL_COLUMNS: dict[str, Callable[[str], list[Column]]] = {
    Level.PATIENTS: levels.patient_columns,
    Level.VISITS: levels.visit_columns,
    Level.TREATMENTS: treatment_finding_levels.treatment_columns,
    Level.RADIOGRAPHS: levels.radiograph_columns,
    Level.FINDINGS: treatment_finding_levels.finding_columns,
    Level.LESIONS: levels.lesion_columns,
    Level.PROGRESSION: levels.progression_columns,
}
# Sorting a million lesion rows would double the time of the COPY-fed formats; their rows
# come in storage order (the manifest says so), every other level is sorted.
UNSORTED = {
    (Level.LESIONS, Format.CSV),
    (Level.LESIONS, Format.PARQUET),
    (Level.LESIONS, Format.SPSS),
    (Level.LESIONS, Format.STATA),
}
_SECRET_LABEL = b"calcinosis-registry/export-key/v1"
TOO_FEW_WRITTEN = (
    "This export would hold {count} patients once consent and the re-identification rules are "
    "applied, fewer than {limit} (REGISTRY_MIN_CELL_SIZE): request a larger cohort."
)
FETCH_ROWS = 10_000  # rows per fetch of a cursor (the Python objects of one fetch in memory)
Progress = Callable[[int, int], None] | None


@dataclass(frozen=True)
class ExportSpec:
    """What to export. ``center_ids`` None: every center (researchers, operators).
    ``research``: for a researcher, so only patients whose consent allows it (the access rule,
    applied when the export runs: a withdrawal counts for every export written after it)."""

    level: str
    format: str
    date_mode: str
    filters: dict[str, Any] = field(default_factory=dict)
    center_ids: list[int] | None = None
    project_key: str = ""
    rules: dict[str, Any] = field(default_factory=dict)
    research: bool = False
    generalize: bool = False  # exports.disclosure: coarsen and suppress until k >= K


@dataclass
class ExportResult:
    members: list[Member]
    row_counts: dict[str, int]
    patients: int
    sorted_rows: bool
    progression_failures: int = 0
    left_out_for_consent: dict[str, int] | None = None
    joins: list[str] | None = None  # a multi-level package: how its files join
    disclosure: Disclosure | None = None  # the re-identification report (and plan)


def registry_secret() -> bytes:
    """The key project keys are derived with: REGISTRY_EXPORT_KEY, else from SECRET_KEY."""
    return configured_or_derived_key("REGISTRY_EXPORT_KEY", label=_SECRET_LABEL, purpose="export")


def data_file_name(spec: ExportSpec, level: str | None = None) -> str:
    """The data file of ``level`` (default: the spec's own level) in the spec's format."""
    level = level or spec.level
    suffix = {
        Format.PARQUET: "parquet", Format.XLSX: "xlsx", Format.SPSS: "sav", Format.STATA: "dta"
    }.get(spec.format, "csv")
    stem = f"{level}_wide" if spec.format == Format.CSV_WIDE else level
    return f"{stem}.{suffix}"


def is_sorted(level: str, format: str) -> bool:
    return (level, format) not in UNSORTED


def _series(session: ExportSession) -> list[tuple[str, str]]:
    """Region series present among the selected radiographs (bilateral counts for both)."""
    found: set[tuple[str, str]] = set()
    query = f"SELECT DISTINCT body_region, laterality FROM {sql.RADIOGRAPH_MAP}"
    for batch in session.batches(query, 1000):
        for region, side in batch:
            found |= {(region, s) for s in ("left", "right")} if side == "bilateral" else {
                (region, side)
            }
    order = {region: index for index, region in enumerate(REGION_ORDER)}
    return sorted(found, key=lambda key: (order.get(key[0], len(order)), key[0], key[1]))


class _Writer:
    """One export in progress (the session, the package and the spec)."""

    def __init__(self, spec: ExportSpec, session: ExportSession, package: ExportPackage,
                 workdir: Path, on_progress: Progress) -> None:
        self.spec, self.session, self.package, self.workdir = spec, session, package, workdir
        self.on_progress = on_progress
        self.total = 0
        self.base = 0  # rows written in the package's earlier files
        self.progression_errors: dict[int, str] = {}

    def progress(self, done: int) -> None:
        if self.on_progress is not None:
            done += self.base
            self.on_progress(done, max(self.total, done))

    def map_batches(self) -> Iterator[list[tuple]]:
        """The patients whose progression is written (not those whose imaging is withheld)."""
        return self.session.batches(
            f"SELECT patient_id, pseudonym, offset_days, anchor FROM {sql.PATIENT_MAP} "
            f"WHERE imaging ORDER BY {self.session.dialect.text_order('pseudonym')}",
            200,
        )

    def progression(self) -> Iterator[list[tuple]]:
        return progression_batches(
            self.map_batches(),
            date_mode=self.spec.date_mode,
            rules=rules_with(self.spec.rules),
            errors=self.progression_errors,
        )

    def ordered(self, level: str) -> bool:
        return is_sorted(level, self.spec.format)

    def rows(self, level: str, columns: list[Column], *, text: bool) -> Iterator[list[tuple]]:
        if level == Level.PROGRESSION:
            return self.progression()
        query = sql.level_select(level, columns, self.session.dialect, self.spec.date_mode,
                                 text=text, ordered=self.ordered(level))
        return self.session.batches(query, FETCH_ROWS)

    def tabular(self, name: str, columns: list[Column], level: str) -> dict[str, int]:
        spec = self.spec
        if spec.format in (Format.CSV, Format.CSV_WIDE):
            writer = self.package.open(name)
            if self.session.dialect.postgres and level != Level.PROGRESSION:
                query = sql.level_select(
                    level, columns, self.session.dialect, spec.date_mode, text=True,
                    ordered=self.ordered(level),
                )
                with BackgroundWriter(writer.write) as write:
                    count = self.session.copy_csv(query, write, self.progress)
            else:
                count = write_csv(self.rows(level, columns, text=True), columns, writer,
                                  self.progress)
            writer.member.rows = count
            writer.finish()
            return {name: count}
        path = self.workdir / name
        if spec.format == Format.PARQUET:
            count = self.parquet(level, columns, path)
        elif spec.format in LABELLED:
            count = self.labelled(level, columns, path)
        else:
            count = write_xlsx(
                self.rows(level, columns, text=False), columns, path, self.progress,
                dictionary=dictionary.dictionary_rows(columns, importable=False),
                max_rows=settings.REGISTRY_EXPORT_XLSX_MAX_ROWS,
            )
        # Deflated: 1,000,000 lesion rows are 63 MB of .sav (bytecode) or 98 MB of .dta, 22 MB
        # either way in the zip (Parquet and XLSX come compressed).
        self.package.add_file(name, path, rows=count, compress=spec.format in LABELLED)
        path.unlink()
        return {name: count}

    def parquet(self, level: str, columns: list[Column], path: Path) -> int:
        row_group = settings.REGISTRY_EXPORT_PARQUET_ROW_GROUP
        if self.session.dialect.postgres and level != Level.PROGRESSION:
            query = sql.level_select(level, columns, self.session.dialect, self.spec.date_mode,
                                     text=False, ordered=self.ordered(level))
            # Progress is written through Django's connection: not while COPY holds it.
            during = self.progress if self.session.dedicated else None
            with self.session.copy_stream(query) as stream:
                count = write_parquet_from_csv(stream, columns, path, during,
                                               row_group=row_group)
            self.progress(count)
            return count
        return write_parquet(self.rows(level, columns, text=False), columns, path,
                             self.progress, row_group=row_group)

    def labelled(self, level: str, columns: list[Column], path: Path) -> int:
        """SPSS or Stata: pyreadstat writes a whole frame, built from typed columns (from COPY
        as for Parquet on PostgreSQL, else from cursor batches)."""
        schema = arrow_schema(columns)
        limit = settings.REGISTRY_EXPORT_LABELLED_MAX_ROWS
        if self.session.dialect.postgres and level != Level.PROGRESSION:
            query = sql.level_select(level, columns, self.session.dialect, self.spec.date_mode,
                                     text=False, ordered=self.ordered(level))
            # Progress is written through Django's connection: not while COPY holds it.
            during = self.progress if self.session.dedicated else None
            with self.session.copy_stream(query) as stream:
                data = frame_from_csv(stream, columns, during, max_rows=limit)
        else:
            batches = self.rows(level, columns, text=False)
            data = frame((record_batch(rows, columns, schema) for rows in batches), columns,
                         self.progress, max_rows=limit)
        count = write_labelled(data, columns, path, format=self.spec.format,
                               title=f"Calcinosis registry export: {level}")
        self.progress(count)
        return count

    def wide_progression(self, name: str) -> tuple[dict[str, int], list[Column]]:
        series = _series(self.session)
        columns = wide.wide_columns(levels.progression_columns(self.spec.date_mode), series)
        writer = self.package.open(name)
        count = write_csv(wide.pivot(self.progression(), series), columns, writer, self.progress)
        writer.member.rows = count
        writer.finish()
        return {name: count}, columns


def _prepare(
    session: ExportSession, spec: ExportSpec, key: bytes
) -> tuple[int, dict[str, int] | None, Disclosure]:
    """Build the maps; returns the patients mapped, for a research export how many patients
    consent left out and of how many the radiographs (counts only), and the re-identification
    report and plan (its date mode is the one the maps were built with)."""
    everyone = selected_patients(filters=spec.filters, center_ids=spec.center_ids)
    patients = (
        selected_patients(filters=spec.filters, center_ids=spec.center_ids, research=True)
        if spec.research
        else everyone
    )
    built = patient_map(patients, key=key, date_mode=spec.date_mode, generalize=spec.generalize,
                        calendar_dates=spec.format == Format.FHIR)
    disclosure = built.disclosure
    session.execute(
        sql.create_patient_map(session.dialect, disclosure.date_mode, banded=disclosure.banded)
    )
    count = session.load_patient_map(built.batches())
    limit = settings.REGISTRY_MIN_CELL_SIZE
    if spec.research and count < limit:  # checked at the request, but consent and suppression
        raise ValidationError(TOO_FEW_WRITTEN.format(count=count, limit=limit))  # act later
    left_out = None
    if spec.research:
        if settings.REGISTRY_CONSENT_REQUIRED_FOR_RESEARCH:
            imaging = consent_sql("patient_id", frozenset({RESEARCH, RADIOGRAPHS}))
            session.execute(sql.withhold_imaging(imaging))
        # Counts of a few people are themselves disclosive: null below REGISTRY_MIN_CELL_SIZE.
        left_out = {
            name: cell_suppressed(value, settings.REGISTRY_MIN_CELL_SIZE)
            for name, value in (
                ("patients", everyone.count() - built.selected),
                ("radiographs_of_patients", int(session.scalar(sql.WITHHELD_COUNT))),
            )
        }
    for statement in sql.create_radiograph_map(session.dialect, disclosure.date_mode):
        session.execute(statement)
    for statement in sql.create_track_map():
        session.execute(statement)
    return count, left_out, disclosure


def _level_columns(spec: ExportSpec, level: str, *, banded: bool) -> tuple[str, list[Column]]:
    """The query of ``level`` (the wide visits have their own) and its columns (``banded``: the
    birth as its 5-year band)."""
    if spec.format == Format.CSV_WIDE and level == Level.VISITS:
        query, columns = "visits_wide", levels.visit_wide_columns(spec.date_mode)
    else:
        query, columns = level, LEVEL_COLUMNS[level](spec.date_mode)
    columns = for_requester(columns, research=spec.research)
    return query, with_birth_band(columns) if banded else columns


def _tabular_levels(
    writer: _Writer, spec: ExportSpec, *, banded: bool
) -> tuple[dict[str, int], list[dict[str, str]], tuple[str, ...]]:
    """Every level the spec asks for, each as its own file over the same maps; the row counts,
    the dictionary rows and the dictionary's header (a package's names each row's file and
    what it joins)."""
    session = writer.session
    plan = [(level, *_level_columns(spec, level, banded=banded)) for level in levels_of(spec.level)]
    writer.total = sum(
        sql.count_value(session.scalar(sql.level_count(query, session.dialect)))
        for _level, query, _columns in plan
        if query in sql.COUNT_SOURCES
    )
    files = {level: data_file_name(spec, level) for level, _query, _columns in plan}
    counts: dict[str, int] = {}
    described: list[dict[str, str]] = []
    for level, query, columns in plan:
        name = files[level]
        counts |= writer.tabular(name, columns, query)
        writer.base += counts[name]
        importable = spec.format == Format.CSV and level in IMPORT_LEVELS
        rows = dictionary.dictionary_rows(
            columns, import_only=[levels.LOCAL_ID] if importable else [], importable=importable
        )
        if spec.format in LABELLED:  # each variable's name in the file, and its codes
            rows = value_labels.described(rows, columns, spec.format)
        if spec.level == Level.ALL:
            rows = [
                {"file": name, **row,
                 "joins_to": joins.column_joins(level, row["variable"], files, spec.date_mode)}
                for row in rows
            ]
        described += rows
    header = dictionary.PACKAGE_HEADER if spec.level == Level.ALL else dictionary.HEADER
    if spec.format in LABELLED:
        header = (*header, *value_labels.DICTIONARY_COLUMNS)
    return counts, described, header


def export_to_zip(spec: ExportSpec, path: Path, *, on_progress: Progress = None) -> ExportResult:
    """Write the export described by ``spec`` to the zip at ``path``."""
    key = export_key(project_key=spec.project_key, registry_secret=registry_secret())
    with (
        tempfile.TemporaryDirectory(dir=Path(path).parent) as workdir,
        ExportSession() as session,
        ExportPackage(Path(path)) as package,
    ):
        patients, left_out, disclosure = _prepare(session, spec, key)
        # Generalizing may have made the dates relative: the files follow the maps.
        requested, spec = spec, replace(spec, date_mode=disclosure.date_mode)
        writer = _Writer(spec, session, package, Path(workdir), on_progress)
        header = dictionary.HEADER
        if spec.format == Format.FHIR:  # every resource type, whatever the level
            counts = write_fhir(session, package, workdir=Path(workdir),
                                date_mode=spec.date_mode, key=key, banded=disclosure.banded,
                                progression_rows=writer.progression, on_rows=writer.progress)
            rows = fhir_dictionary_rows()
        elif spec.format == Format.CSV_WIDE and spec.level == Level.PROGRESSION:
            counts, columns = writer.wide_progression(data_file_name(spec))
            rows = dictionary.dictionary_rows(columns, importable=False)
        else:
            counts, rows, header = _tabular_levels(writer, spec, banded=disclosure.banded)
        package.add_bytes(
            "data_dictionary.csv", dictionary.dictionary_csv(rows, header), rows=len(rows)
        )
        written = levels_of(spec.level)
        package_files = {level: data_file_name(spec, level) for level in written}
        result = ExportResult(
            members=list(package.members),
            row_counts=counts,
            patients=patients,
            sorted_rows=all(is_sorted(level, spec.format) for level in written),
            progression_failures=len(writer.progression_errors),
            left_out_for_consent=left_out,
            joins=(
                joins.package_joins(package_files, spec.date_mode)
                if spec.level == Level.ALL and spec.format != Format.FHIR
                else None
            ),
            disclosure=disclosure,
        )
        package.add_bytes("manifest.json", manifest_json(requested, result).encode())
    return result
