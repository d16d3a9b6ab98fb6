"""SPSS (.sav) and Stata (.dta) files of one level, written by pyreadstat (ReadStat) with variable
labels (units included), value labels for every choice and dates as dates
(:mod:`~exports.formats.value_labels` says what the file holds; this module builds and writes it).

pyreadstat writes a whole data frame, so the level is held in memory, but columnar and compact:
record batches typed by :func:`exports.formats.parquet.arrow_schema` (from PostgreSQL's COPY
parsed by pyarrow, as for Parquet, or from cursor batches) are turned batch by batch into codes
and 0/1 (int8), 32-bit integers, days (date32), doubles and categorical text (one copy of each
pseudonym), then into a polars frame, without one Python object per value. 1,000,000 lesion
rows: benchmarks/README.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from exports.columns import BOOLEAN, CATEGORY, DATE, INTEGER, NUMBER, STRING, Column
from exports.formats.parquet import arrow_schema, csv_batches
from exports.formats.value_labels import (
    LIMITS,
    SPSS,
    STATA,
    coding,
    file_names,
    fit,
    value_labels,
    variable_label,
)

if TYPE_CHECKING:
    import polars as pl

FORMATS = (SPSS, STATA)
NOT_A_CHOICE = "{column}: {value!r} is not one of its choices ({choices})"
LABELLED_TOO_LARGE = (
    "SPSS and Stata files are built in memory: this export has {rows:,} rows or more in one "
    "file, the limit is {limit:,} (REGISTRY_EXPORT_LABELLED_MAX_ROWS). Choose CSV or Parquet, or "
    "narrow the filters."
)
STATA_LONG = (-2_147_483_647, 2_147_483_620)  # int32 less the values Stata keeps for missing
Progress = Callable[[int], None] | None


def memory_pool() -> pa.MemoryPool:
    """jemalloc where pyarrow has it, giving freed blocks back at once: every batch passes
    through it, and with the default pool (mimalloc here) the export of 1,000,000 lesion rows
    peaked ~30 MB higher (measured, 2026-12-07)."""
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:
        return pa.default_memory_pool()
    pa.jemalloc_set_decay_ms(0)
    return pool


TEXT = pa.dictionary(pa.int32(), pa.string())  # each distinct text once, an index per row


def source_schema(columns: list[Column]) -> pa.Schema:
    """:func:`~exports.formats.parquet.arrow_schema` with text read dictionary-encoded:
    pseudonyms and vocabulary values repeat, and a category is coded on its few distinct
    values instead of on every row."""
    return pa.schema([
        field.with_type(TEXT) if column.kind in (STRING, CATEGORY) else field
        for column, field in zip(columns, arrow_schema(columns), strict=True)
    ])


class _Converter:
    """Batches of the source types into polars parts of the values the file holds."""

    def __init__(self, columns: list[Column]) -> None:
        self.columns = columns
        self.pool = memory_pool()
        self.mappings: dict[tuple[str, tuple], pa.Array] = {}  # (column, texts) -> their codes

    def codes(self, column: Column, texts: pa.DictionaryArray) -> pa.Array:
        """A category's codes (int8, or int16 past 100 choices): empty or NULL is missing, and
        a value outside the choices stops the export rather than vanish."""
        distinct = tuple(texts.dictionary.to_pylist())
        mapping = self.mappings.get((column.name, distinct))
        if mapping is None:
            numbers = coding(column)
            unknown = [text for text in distinct if text not in numbers and text != ""]
            if unknown:
                raise ValueError(NOT_A_CHOICE.format(
                    column=column.name, value=unknown[0], choices=", ".join(numbers)))
            wanted = pa.int8() if len(numbers) <= 100 else pa.int16()
            mapping = pa.array([numbers.get(text) for text in distinct], type=wanted)
            self.mappings[(column.name, distinct)] = mapping
        return pc.take(mapping, texts.indices, memory_pool=self.pool)

    def values(self, column: Column, values: pa.Array) -> pa.Array:
        """One batch of a column as the file holds it."""
        if column.kind in (STRING, CATEGORY) and not pa.types.is_dictionary(values.type):
            values = pc.dictionary_encode(values, memory_pool=self.pool)  # from a cursor
        if column.kind == CATEGORY and column.choices:
            return self.codes(column, values)
        if column.kind == BOOLEAN:
            return values.cast(pa.int8(), memory_pool=self.pool)
        if column.kind == INTEGER:
            # Integers in the file (Stata long, SPSS F8.0), not doubles; a batch beyond Stata's
            # long stays 64-bit, and so does its column (a double in Stata).
            low, high = (bound.as_py() for bound in pc.min_max(values).values())
            if low is None or (STATA_LONG[0] <= low and high <= STATA_LONG[1]):
                return values.cast(pa.int32(), memory_pool=self.pool)
        return values

    def part(self, batch: pa.RecordBatch) -> pl.DataFrame:
        """One batch as polars columns (polars takes its own copy: the batch can go)."""
        import polars as pl

        arrays = [self.values(c, v) for c, v in zip(self.columns, batch.columns, strict=True)]
        return pl.from_arrow(pa.RecordBatch.from_arrays(arrays, names=batch.schema.names))


class LabelledTooLarge(ValueError):
    def __init__(self, rows: int, limit: int) -> None:
        super().__init__(LABELLED_TOO_LARGE.format(rows=rows, limit=limit))


def frame(batches: Iterable[pa.RecordBatch], columns: list[Column], on_rows: Progress, *,
          max_rows: int) -> pl.DataFrame:
    """The level as a polars frame of file values (names still the exported ones), each batch
    converted as it arrives: only one batch of the source types is held at a time. Batches
    typed by :func:`source_schema` or by :func:`~exports.formats.parquet.arrow_schema`; past
    ``max_rows`` (the data grew since the request was checked) LabelledTooLarge."""
    import polars as pl  # here, not at the top: other exports never load it (~40 MB)

    converter = _Converter(columns)
    empty = pa.RecordBatch.from_pylist([], schema=source_schema(columns))
    parts = [converter.part(empty)]  # typed columns even when nothing is selected
    rows = 0
    for batch in batches:
        rows += batch.num_rows
        if rows > max_rows:
            raise LabelledTooLarge(rows, max_rows)
        parts.append(converter.part(batch))
        if on_rows is not None:
            on_rows(rows)
    # "relaxed": a column of 32-bit batches and a 64-bit one is 64-bit.
    return pl.concat(parts, how="vertical_relaxed", rechunk=False)


def frame_from_csv(stream: IO[bytes], columns: list[Column], on_rows: Progress, *,
                   max_rows: int) -> pl.DataFrame:
    """:func:`frame` of PostgreSQL's COPY (CSV, no header)."""
    batches = csv_batches(stream, source_schema(columns), memory_pool())
    return frame(batches, columns, on_rows, max_rows=max_rows)


def _measure(column: Column) -> str:
    """SPSS measurement level: codes and text are nominal, quantities and dates scale."""
    if column.kind in (CATEGORY, BOOLEAN) or (column.kind == INTEGER and column.choices):
        return "nominal"
    return "scale" if column.kind in (INTEGER, NUMBER, DATE) else "nominal"


def write_labelled(data: pl.DataFrame, columns: list[Column], path: Path, *, format: str,
                   title: str) -> int:
    """Write ``data`` (:func:`frame` of ``columns``) as a ``format`` (sav or dta) file; the
    rows written."""
    import pyreadstat  # here, not at the top: other exports never load it

    names = file_names([column.name for column in columns], format)
    data = data.rename({old: new for old, new in names.items() if old != new})
    labels = {names[c.name]: variable_label(c, format) for c in columns}
    values = {names[c.name]: value_labels(c, format) for c in columns}
    values = {name: labels_ for name, labels_ in values.items() if labels_}
    title = fit(title, LIMITS[format].variable_label)
    if format == SPSS:
        pyreadstat.write_sav(
            data, path, file_label=title, column_labels=labels, variable_value_labels=values,
            variable_measure={names[c.name]: _measure(c) for c in columns},
            row_compress=True,  # SPSS's own bytecode compression: a standard .sav
        )
    elif format == STATA:
        pyreadstat.write_dta(
            data, path, file_label=title, column_labels=labels, variable_value_labels=values
        )
    else:
        raise ValueError(f"not a labelled format: {format!r}")
    return data.height
