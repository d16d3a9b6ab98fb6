"""``UPDATE ... FROM (VALUES ...)``: many rows, each with its own values, in one statement.

Django's ``bulk_update`` builds a ``CASE WHEN pk = ... THEN ...`` per field and row; for a batch
of 200 patients (4,800 lesions) compiling it took longer than everything else in a cohort
recomputation together (80 s of 81 s for 2,000 patients, measured). This writes the same thing
as one join against a VALUES list, on PostgreSQL and SQLite (3.33+) alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models

BATCH_ROWS = 1000


def update_from_values(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    where: str = "",
    where_params: Sequence[Any] = (),
) -> int:
    """Set ``fields`` of the rows of ``model`` whose primary key is each row's first value to
    the row's other values; ``where`` narrows it further (SQL naming the table ``{table}`` and the
    new values ``v``, e.g. ``{table}.version <= v.version``).
    Values are Python values, prepared as Django would for the field. Returns rows updated."""
    if not rows:
        return 0
    opts = model._meta
    quote = connection.ops.quote_name
    columns = [opts.pk, *(opts.get_field(name) for name in fields)]
    names = [quote(column.column) for column in columns]
    table = quote(opts.db_table)
    if connection.vendor == "postgresql":  # VALUES has no column types: say them
        slots = [f"CAST(%s AS {column.db_type(connection)})" for column in columns]
    else:
        slots = ["%s"] * len(columns)
    row_sql = "(" + ", ".join(slots) + ")"
    assignments = ", ".join(f"{name} = v.{name}" for name in names[1:])
    condition = f" AND ({where.format(table=table)})" if where else ""
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH_ROWS):
            chunk = rows[start : start + BATCH_ROWS]
            params = [
                column.get_db_prep_value(value, connection, prepared=False)
                for row in chunk
                for column, value in zip(columns, row, strict=True)
            ]
            cursor.execute(
                f"WITH v({', '.join(names)}) AS (VALUES {', '.join([row_sql] * len(chunk))}) "
                f"UPDATE {table} SET {assignments} FROM v "
                f"WHERE {table}.{names[0]} = v.{names[0]}{condition}",
                [*params, *where_params],
            )
            updated += cursor.rowcount
    return updated
