"""Rows to CSV and XLSX files, batch by batch (never the whole dataset in memory).

The rows come from a server-side cursor (:meth:`exports.streaming.ExportSession.batches`) or
from Python (progression timepoints, wide tables); PostgreSQL's own CSV path (COPY) is in
:mod:`exports.streaming`, Parquet in :mod:`exports.formats.parquet`. Values: ``None`` is an empty
cell, booleans are ``true``/``false``, dates ISO 8601, and text that could start a formula is
neutralised (CSV and XLSX only).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import IO, Any

from exports.columns import BOOLEAN, DATE, Column
from exports.formats.spreadsheet_safety import neutralise

XLSX_SHEET_MAX_ROWS = 1_048_576  # Excel's limit, header included

Progress = Callable[[int], None] | None


def cell_text(value: Any) -> Any:
    """A value as a CSV cell, written as PostgreSQL's COPY writes it (so both databases give the
    same file): booleans in words, floats shortest (``8`` not ``8.0``), text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return neutralise(value)


def write_csv(
    batches: Iterable[list[tuple]], columns: list[Column], out: IO[bytes], on_rows: Progress
) -> int:
    """CSV with a header line, ``\\n`` line ends (as PostgreSQL's COPY writes them)."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow([column.name for column in columns])
    rows = 0
    for batch in batches:
        writer.writerows([cell_text(value) for value in row] for row in batch)
        rows += len(batch)
        if on_rows is not None:
            on_rows(rows)
    text.flush()
    text.detach()
    return rows


def _xlsx_cell(value: Any, kind: str) -> Any:
    if kind == DATE and isinstance(value, str):
        return date.fromisoformat(value)
    if kind == BOOLEAN and value is not None:
        return bool(value)
    return neutralise(value)


def write_xlsx(
    batches: Iterable[list[tuple]],
    columns: list[Column],
    path: Path,
    on_rows: Progress,
    *,
    dictionary: list[dict[str, str]],
    max_rows: int,
) -> int:
    """A "data" sheet and a "dictionary" sheet, written in openpyxl's streaming mode."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append([column.name for column in columns])
    rows = 0
    for batch in batches:
        rows += len(batch)
        if rows > min(max_rows, XLSX_SHEET_MAX_ROWS - 1):
            sheet.close()  # the streaming sheet holds an open temporary file
            raise XlsxTooLarge(rows, max_rows)
        for row in batch:
            sheet.append([_xlsx_cell(v, c.kind) for v, c in zip(row, columns, strict=True)])
        if on_rows is not None:
            on_rows(rows)
    described = book.create_sheet("dictionary")
    if dictionary:
        described.append(list(dictionary[0]))
        for entry in dictionary:
            described.append([neutralise(value) for value in entry.values()])
    book.save(path)
    return rows


XLSX_TOO_LARGE = (
    "XLSX is for small cohorts: this export has {rows:,} rows or more, the limit is "
    "{limit:,}. Choose CSV or Parquet, or narrow the filters."
)


class XlsxTooLarge(ValueError):
    def __init__(self, rows: int, limit: int) -> None:
        super().__init__(XLSX_TOO_LARGE.format(rows=rows, limit=limit))
