"""Reading an import file: the export's long CSV (patients, visits, radiographs or lesions), or its
import variant that clinics send (``local_id`` instead of the ``patient`` pseudonym). No
database here: each row becomes typed values or errors naming row, column and reason.

Rows are numbered as a spreadsheet shows them (the header is row 1). Columns the export writes
but the import does not read (computed values, provenance) are ignored; any other unknown
column is an error, so a misspelt column never silently drops data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from exports import levels
from exports.clinical_columns import mrss_site_columns
from exports.columns import BOOLEAN, CATEGORY, DATE, INTEGER, NUMBER, Column
from exports.formats.spreadsheet_safety import restore
from exports.pseudonyms import KEEP, RELATIVE, SHIFT
from patients.mrss import MRSS_SITE_MAX
from patients.partial_dates import MONTH, YEAR

IMPORT_LEVELS = ("lesions", "radiographs", "visits", "patients")
LEVEL_MARKERS = {  # a column only that level has, checked in IMPORT_LEVELS order
    "lesions": "longest_diameter_mm",
    "radiographs": "pixel_spacing_source",
    "visits": "visit_type",
    "patients": "ssc_subtype",
}
# Levels the export writes and the import does not read (their dictionary says import "no").
EXPORT_ONLY_MARKERS = {"treatments": "treatment", "findings": "finding"}
LESION_NUMBER = Column(
    "lesion_number",
    INTEGER,
    "lesion number",
    allowed=">= 1",
    description="Import only: the lesion's key within its radiograph; by default its order "
    "among the radiograph's rows in the file.",
    imports_to="lesion_number",
)

UNKNOWN_LEVEL = (
    "The header matches no import level: a patients, visits, radiographs or lesions file of the "
    "long CSV export (see its data dictionary)."
)
NOT_IMPORTED = (
    "This is a {level} file of the export: the import reads patients, visits, radiographs and "
    "lesions files only. Record {level} in the clinic or through the API."
)
RELATIVE_DATES = (
    "This file has relative dates (days since onset, column {column}); only files with calendar "
    "dates can be imported."
)
UNKNOWN_COLUMN = "Unknown column; the {level} file has: {allowed}."
MISSING_COLUMN = "The {level} file needs this column."
NO_PATIENT_KEY = "The file needs a local_id column (or the patient column of an export)."
REQUIRED = "This value is required."
NOT_A_CHOICE = "Not an allowed value; allowed: {allowed}."
NOT_AN_INTEGER = "Not a whole number."
NOT_A_NUMBER = "Not a number."
NOT_A_BOOLEAN = "Write true or false."
NOT_A_DATE = "Not a date (YYYY-MM-DD)."
TOO_MANY_ROWS = "The file has more than {limit:,} rows; split it."
MRSS_COLUMN_MISSING = "The mRSS site columns come all {count} together; this one is missing."
MRSS_SITE_EMPTY = "Give all {count} mRSS site scores or none; this one is empty."
MRSS_SITE_RANGE = "An mRSS site score is a whole number from 0 to {high}."
NOT_UTF8 = "The file is not UTF-8 text."
MALFORMED = "The file is not readable CSV ({error})."

REQUIRED_COLUMNS = {
    "patients": ("sex", "ssc_subtype"),
    "visits": ("visit_date", "visit_type"),
    "radiographs": ("radiograph_number", "acquired_on", "body_region", "laterality", "view"),
    "lesions": (
        "radiograph_number", "acquired_on", "body_region", "radiograph_laterality", "view",
        "laterality", "longest_diameter_mm",
    ),
}
# The visits file's mRSS site columns and each one's key in ``Visit.mrss_sites``.
MRSS_SITE_COLUMNS = {column.name: column.json_key for column in mrss_site_columns()}
COLUMNS = {
    "patients": levels.patient_columns,
    "visits": levels.visit_columns,
    "radiographs": levels.radiograph_columns,
    "lesions": levels.lesion_columns,
}


@dataclass(frozen=True)
class RowError:
    row: int | None
    column: str | None
    message: str
    code: str = "invalid"

    def as_dict(self) -> dict[str, Any]:
        """The API's error item (field, code, message) with the row; field is the column."""
        return {"row": self.row, "column": self.column, "field": self.column,
                "code": self.code, "message": self.message}


@dataclass
class ParsedFile:
    level: str = ""
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)


def import_columns(level: str) -> dict[str, Column]:
    """Every column an import of ``level`` knows (both birth variants, both patient keys)."""
    known: dict[str, Column] = {}
    for mode in (KEEP, SHIFT):
        for column in COLUMNS[level](mode):
            known.setdefault(column.name, column)
    known[levels.LOCAL_ID.name] = levels.LOCAL_ID
    if level == "lesions":
        known[LESION_NUMBER.name] = LESION_NUMBER
    return known


def relative_names() -> set[str]:
    """Columns that exist only in the relative date mode (days since onset)."""
    names: set[str] = set()
    for columns in COLUMNS.values():
        calendar = {c.name for mode in (KEEP, SHIFT) for c in columns(mode)}
        names |= {c.name for c in columns(RELATIVE)} - calendar
    return names


def detect_level(header: Iterable[str]) -> str | None:
    names = set(header)
    return next((level for level in IMPORT_LEVELS if LEVEL_MARKERS[level] in names), None)


def header_of(data: bytes) -> list[str]:
    """The column names of a file's first line (undecodable bytes replaced)."""
    first = data.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    try:
        return [name.strip() for name in next(csv.reader([first]), [])]
    except csv.Error:  # parse_file reports it
        return []


def export_only_level(header: Iterable[str]) -> str | None:
    """The level of an exported file the import does not read (treatments, findings), by a
    column only that level has (a treatments file also has a visit_type); None otherwise."""
    names = set(header)
    return next((level for level, marker in EXPORT_ONLY_MARKERS.items() if marker in names),
                None)


def parse_value(text: str, column: Column) -> Any:
    """The typed value of a cell (None when empty); ValueError with the reason."""
    text = restore(text.strip())
    if text == "":
        return None
    kind = column.kind
    if kind == CATEGORY:
        if column.choices and text not in column.choices:
            raise ValueError(NOT_A_CHOICE.format(allowed=", ".join(column.choices)))
        return text
    if kind == INTEGER:
        try:
            number = float(text)
        except ValueError:
            raise ValueError(NOT_AN_INTEGER) from None
        if not number.is_integer():
            raise ValueError(NOT_AN_INTEGER)
        if column.choices and str(int(number)) not in column.choices:
            raise ValueError(NOT_A_CHOICE.format(allowed=", ".join(column.choices)))
        return int(number)
    if kind == NUMBER:
        try:
            return float(text)
        except ValueError:
            raise ValueError(NOT_A_NUMBER) from None
    if kind == BOOLEAN:
        if text.lower() not in ("true", "false"):
            raise ValueError(NOT_A_BOOLEAN)
        return text.lower() == "true"
    if kind == DATE:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(NOT_A_DATE) from None
    return text


def _header_errors(level: str, header: list[str], known: dict[str, Column]) -> list[RowError]:
    errors = []
    allowed = ", ".join(known)
    for name in header:
        if name not in known:
            errors.append(RowError(1, name, UNKNOWN_COLUMN.format(level=level, allowed=allowed)))
    for name in REQUIRED_COLUMNS[level]:
        if name not in header:
            errors.append(RowError(1, name, MISSING_COLUMN.format(level=level)))
    if "local_id" not in header and "patient" not in header:
        errors.append(RowError(1, "local_id", NO_PATIENT_KEY))
    if level == "visits" and any(name in header for name in MRSS_SITE_COLUMNS):
        message = MRSS_COLUMN_MISSING.format(count=len(MRSS_SITE_COLUMNS))
        errors += [RowError(1, name, message) for name in MRSS_SITE_COLUMNS if name not in header]
    return errors


def fold_mrss_sites(number: int, values: dict[str, Any], unreadable: set[str]) -> list[RowError]:
    """Replace a visit row's 17 site columns (a short row's missing cells are empty) by
    ``mrss_sites`` ({site: score}; None when every one is empty): all or none, each 0-3. The
    errors name the site's column; a row with an unreadable site already has its error."""
    sites = MRSS_SITE_COLUMNS
    given = {name: values.pop(name, None) for name in sites}
    if unreadable & given.keys():
        return []
    high = MRSS_SITE_MAX
    errors = [
        RowError(number, name, MRSS_SITE_RANGE.format(high=high))
        for name, score in given.items()
        if score is not None and not 0 <= score <= high
    ]
    if all(score is None for score in given.values()):
        values["mrss_sites"] = None
        return errors
    empty = MRSS_SITE_EMPTY.format(count=len(sites))
    errors += [RowError(number, name, empty, "required") for name, s in given.items() if s is None]
    values["mrss_sites"] = {sites[name]: score for name, score in given.items()}
    return errors


def parse_file(data: bytes, *, max_rows: int) -> ParsedFile:
    """Parse a whole import file (all errors collected, nothing stops at the first)."""
    parsed = ParsedFile()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        parsed.errors.append(RowError(None, None, NOT_UTF8))
        return parsed
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        _read(reader, parsed, max_rows=max_rows)
    except csv.Error as error:  # e.g. a field over the csv module's limit (128 KB)
        parsed.errors.append(RowError(reader.line_num or 1, None, MALFORMED.format(error=error)))
    return parsed


def _read(reader, parsed: ParsedFile, *, max_rows: int) -> None:
    header = [name.strip() for name in next(reader, [])]
    relative = next((n for n in header if n in relative_names()), None)
    if relative:
        parsed.errors.append(RowError(1, relative, RELATIVE_DATES.format(column=relative)))
        return
    level = detect_level(header)
    if level is None:
        parsed.errors.append(RowError(1, None, UNKNOWN_LEVEL))
        return
    known = import_columns(level)
    parsed.level, parsed.columns = level, header
    parsed.errors += _header_errors(level, header, known)
    if parsed.errors:
        return
    sites_given = any(name in header for name in MRSS_SITE_COLUMNS)  # then all 17 are
    for number, cells in enumerate(reader, start=2):
        if number - 1 > max_rows:
            parsed.errors.append(RowError(number, None, TOO_MANY_ROWS.format(limit=max_rows)))
            break
        if not any(cell.strip() for cell in cells):
            continue
        values: dict[str, Any] = {}
        unreadable: set[str] = set()
        for name, cell in zip(header, cells, strict=False):
            try:
                values[name] = parse_value(cell, known[name])
            except ValueError as error:
                parsed.errors.append(RowError(number, name, str(error)))
                unreadable.add(name)
        if level == "visits" and sites_given:
            parsed.errors += fold_mrss_sites(number, values, unreadable)
        for name in REQUIRED_COLUMNS[level]:
            if values.get(name) is None and not any(
                e.row == number and e.column == name for e in parsed.errors
            ):
                parsed.errors.append(RowError(number, name, REQUIRED, "required"))
        parsed.rows.append((number, values))


def period_start(midpoint: date | None, precision: str | None) -> date | None:
    """The stored start of a partial date whose export gave its midpoint (1 July, the 15th)."""
    if midpoint is None:
        return None
    if precision == YEAR:
        return date(midpoint.year, 1, 1)
    if precision == MONTH:
        return date(midpoint.year, midpoint.month, 1)
    return midpoint


def birth_from(values: dict[str, Any]) -> date | None:
    """``birth_date``, or a year alone as 1 July (the midpoint rule of a year, DOMAIN.md)."""
    if values.get("birth_date") is not None:
        return values["birth_date"]
    year = values.get("birth_year")
    return None if year is None else date(year, 7, 1)
