"""Importing a clinic's CSV (the export's long format or its import variant) into one center.

Every row is parsed first (:mod:`exports.imports.rows`); then all rows are written through the
registry's services (``patient_save``, ``visit_save``, ``radiograph_save``, ``track_save``,
``lesion_save``) inside one transaction, collecting each row's validation errors. The
transaction is rolled back unless the caller asked to commit and no row failed: a dry run sees
exactly the errors a commit would meet, and a commit is all or nothing.

Natural keys make a re-import update instead of duplicating: patients by center and local id,
visits by patient, date and type, radiographs, lesions and tracks by the keys the file gave them
(:class:`exports.models.ImportedRecord`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Center
from exports.imports.rows import ParsedFile, RowError, import_columns, parse_file
from exports.imports.writers import RowWriter

ANOTHER_CENTER = "This row belongs to center {center}; import it into that center."
NOTHING_TO_IMPORT = "The file has no data rows."


@dataclass
class ImportReport:
    """What an import did or would do (``committed`` False: nothing was written)."""

    level: str
    rows: int
    dry_run: bool
    committed: bool = False
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "rows": self.rows,
            "dry_run": self.dry_run,
            "committed": self.committed,
            "valid": self.valid,
            "created": dict(self.created),
            "updated": dict(self.updated),
            "unchanged": dict(self.unchanged),
            "errors": [error.as_dict() for error in self.errors],
        }


def errors_of(error: ValidationError, row: int, columns: dict[str, str]) -> list[RowError]:
    """A model's ValidationError as row errors, each naming the file's column."""
    if not hasattr(error, "error_dict"):
        return [RowError(row, None, message) for message in error.messages]
    found = []
    for name, errors in error.error_dict.items():
        column = columns.get(name, name if name != "__all__" else None)
        for item in errors:
            found.extend(RowError(row, column, message) for message in item.messages)
    return found


def import_cohort(*, data: bytes, center: Center, commit: bool, max_rows: int) -> ImportReport:
    """Validate ``data`` and, with ``commit`` and no error, write it into ``center``."""
    parsed: ParsedFile = parse_file(data, max_rows=max_rows)
    report = ImportReport(level=parsed.level, rows=len(parsed.rows), dry_run=not commit)
    report.errors += parsed.errors
    if not parsed.level or any(error.row in (1, None) for error in parsed.errors):
        return report
    if not parsed.rows:
        report.errors.append(RowError(None, None, NOTHING_TO_IMPORT))
        return report
    failed_rows = {error.row for error in parsed.errors}
    columns = {
        column.imports_to: name
        for name, column in import_columns(parsed.level).items()
        if column.imports_to
    }
    writer = RowWriter(center=center, level=parsed.level, report=report)
    with transaction.atomic():
        for number, values in parsed.rows:
            if number in failed_rows:
                continue
            if values.get("center") not in (None, center.code):
                report.errors.append(
                    RowError(number, "center", ANOTHER_CENTER.format(center=values["center"]))
                )
                continue
            try:
                writer.write(values)
            except ValidationError as error:
                report.errors.extend(errors_of(error, number, columns))
        report.errors.sort(key=lambda e: (e.row or 0, e.column or ""))
        if commit and not report.errors:
            report.committed = True
        else:
            transaction.set_rollback(True)
    return report

