"""Parquet files with typed columns (pyarrow), written in row groups of a fixed size.

On PostgreSQL the rows arrive as ``COPY ... TO STDOUT (FORMAT csv)`` and pyarrow's streaming
CSV reader turns them into typed record batches without one Python object per value (measured on
1,000,000 lesion rows: ~3x faster than converting server-side cursor rows, with a third of the
memory); on SQLite they come from a cursor in batches of tuples. Either way only one row group
(``REGISTRY_EXPORT_PARQUET_ROW_GROUP`` rows) and one read block are in memory at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from exports.columns import BOOLEAN, CATEGORY, DATE, INTEGER, NUMBER, STRING, Column

ARROW_TYPES = {
    STRING: pa.string(),
    CATEGORY: pa.string(),
    INTEGER: pa.int64(),
    NUMBER: pa.float64(),
    BOOLEAN: pa.bool_(),
    DATE: pa.date32(),
}
CSV_BLOCK_BYTES = 1 << 20  # pyarrow parses the COPY stream in blocks of this size

Progress = Callable[[int], None] | None


def arrow_schema(columns: list[Column]) -> pa.Schema:
    """Typed columns; each field carries its label and unit (Parquet key-value metadata)."""
    return pa.schema(
        [
            pa.field(
                column.name,
                ARROW_TYPES[column.kind],
                metadata={"label": column.label, "unit": column.unit},
            )
            for column in columns
        ]
    )


class RowGroupWriter:
    """Collects record batches and writes row groups of exactly ``size`` rows (the last one
    shorter), so the file's layout does not depend on how the rows were read."""

    def __init__(self, path: Path, schema: pa.Schema, size: int, on_rows: Progress) -> None:
        self.writer = pq.ParquetWriter(path, schema, compression="zstd")
        self.schema, self.size, self.on_rows = schema, size, on_rows
        self.pending: list[pa.RecordBatch] = []
        self.pending_rows = 0
        self.rows = 0

    def add(self, batch: pa.RecordBatch) -> None:
        self.pending.append(batch)
        self.pending_rows += batch.num_rows
        while self.pending_rows >= self.size:
            table = pa.Table.from_batches(self.pending, schema=self.schema)
            self._write(table.slice(0, self.size))
            rest = table.slice(self.size)
            self.pending, self.pending_rows = rest.to_batches(), rest.num_rows

    def _write(self, table: pa.Table) -> None:
        # An empty export still gets a file with its schema (one empty row group).
        self.writer.write_table(table, row_group_size=max(table.num_rows, 1))
        self.rows += table.num_rows
        if self.on_rows is not None:
            self.on_rows(self.rows)

    def close(self) -> int:
        if self.pending_rows or not self.rows:
            self._write(pa.Table.from_batches(self.pending, schema=self.schema))
        self.writer.close()
        return self.rows


def _typed(values: tuple, kind: str) -> list | tuple:
    """SQLite hands back dates as text and booleans as 0/1; PostgreSQL values pass unchanged."""
    if kind == DATE and any(isinstance(v, str) for v in values):
        return [date.fromisoformat(v) if isinstance(v, str) else v for v in values]
    if kind == BOOLEAN and any(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return [None if v is None else bool(v) for v in values]
    return values


def write_parquet(
    batches: Iterable[list[tuple]],
    columns: list[Column],
    path: Path,
    on_rows: Progress,
    *,
    row_group: int,
) -> int:
    """Parquet from batches of row tuples (a database cursor)."""
    schema = arrow_schema(columns)
    sink = RowGroupWriter(path, schema, row_group, on_rows)
    for batch in batches:
        sink.add(record_batch(batch, columns, schema))
    return sink.close()


def record_batch(rows: list[tuple], columns: list[Column], schema: pa.Schema) -> pa.RecordBatch:
    """One batch of row tuples as typed columns (``schema``: :func:`arrow_schema`)."""
    arrays = [
        pa.array(_typed(values, column.kind), type=ARROW_TYPES[column.kind])
        for column, values in zip(columns, zip(*rows, strict=True), strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def write_parquet_from_csv(
    stream: IO[bytes],
    columns: list[Column],
    path: Path,
    on_rows: Progress,
    *,
    row_group: int,
) -> int:
    """Parquet from PostgreSQL's CSV (no header): NULL is an unquoted empty field, an empty
    string a quoted one, booleans ``t``/``f``, dates ISO 8601."""
    schema = arrow_schema(columns)
    sink = RowGroupWriter(path, schema, row_group, on_rows)
    for batch in csv_batches(stream, schema):
        sink.add(batch)
    return sink.close()


def csv_batches(
    stream: IO[bytes], schema: pa.Schema, memory_pool: pa.MemoryPool | None = None
) -> Iterator[pa.RecordBatch]:
    """PostgreSQL's CSV (no header) as record batches typed by ``schema``, one read block at a
    time."""
    try:
        reader = _open_csv(stream, schema, memory_pool)
    except pa.ArrowInvalid as error:
        if "Empty CSV" not in str(error):
            raise
        return  # no row selected: pyarrow refuses an empty CSV stream
    yield from reader


def _open_csv(stream: IO[bytes], schema: pa.Schema, memory_pool: pa.MemoryPool | None = None):
    return pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(
            column_names=schema.names, block_size=CSV_BLOCK_BYTES, use_threads=False
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=schema,
            true_values=["t"],
            false_values=["f"],
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
        memory_pool=memory_pool,
    )
