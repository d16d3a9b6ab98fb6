"""The data dictionary of an export, generated from its columns (themselves read from the models'
fields, choices and validators: :mod:`exports.columns`), never written by hand.

One row per variable: name, label, type, UCUM unit, allowed values, code system, description,
whether the import reads it (``yes``), ignores it (``no``: computed or provenance), or reads
it only in the import variant clinics send (``import only``: the local identifier), and whether
it holds a quasi-identifier (:mod:`exports.disclosure`: the manifest's k-anonymity is computed
over them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from exports import codes
from exports.columns import Column
from exports.disclosure import QUASI_IDENTIFIER_COLUMNS

HEADER = (
    "variable",
    "label",
    "type",
    "unit",
    "allowed_values",
    "code_system",
    "description",
    "import",
    "quasi_identifier",
)
IMPORT_ONLY = "import only"
# A multi-level package's dictionary: which file each variable is in, and what it joins.
PACKAGE_HEADER = ("file", *HEADER, "joins_to")


def unit_text(unit: str) -> str:
    """``mm`` or ``{score} (score)``: the UCUM code, with words when they differ."""
    words = codes.UNIT_DISPLAY.get(unit, "")
    return unit if not words or words == unit else f"{unit} ({words})"


def dictionary_row(
    column: Column, *, import_only: bool = False, importable: bool = True
) -> dict[str, str]:
    use = IMPORT_ONLY if import_only else ("yes" if column.imports_to and importable else "no")
    return {
        "variable": column.name,
        "label": column.label,
        "type": column.kind,
        "unit": unit_text(column.unit) if column.unit else "",
        "allowed_values": column.allowed,
        "code_system": column.code_system,
        "description": column.description,
        "import": use,
        "quasi_identifier": "yes" if column.name in QUASI_IDENTIFIER_COLUMNS else "no",
    }


def dictionary_rows(
    columns: Iterable[Column], *, import_only: Iterable[Column] = (), importable: bool = True
) -> list[dict[str, str]]:
    """``importable`` False: the file cannot be imported (progression, wide, Parquet, XLSX)."""
    rows = [dictionary_row(column, importable=importable) for column in columns]
    rows += [dictionary_row(column, import_only=True) for column in import_only]
    return rows


def dictionary_csv(rows: list[dict[str, str]], header: tuple[str, ...] = HEADER) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()
