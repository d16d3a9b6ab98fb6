"""Many rows, each with its own values, in one ``UPDATE`` statement.

Django's ``bulk_update`` builds a ``CASE WHEN pk = ... THEN ...`` per field and row; for a batch
of 200 patients (4,800 lesions) compiling it took longer than everything else in a cohort
recomputation together (80 s of 81 s for 2,000 patients, measured). This joins the table against
the new values instead:

- PostgreSQL: ``UPDATE ... FROM unnest(%b::type[], ...)``, one binary array per column, so a
  batch is one statement with a handful of parameters. (A ``VALUES`` list has a parameter per
  value, and psycopg's text arrays quote every JSON document character by character: updating
  2,000 snapshots took 2.0 s that way, 0.34 s with binary arrays, measured.)
- SQLite (3.33+): ``UPDATE ... FROM (VALUES ...)``, 1,000 rows a statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from django.db import connection, models

SQLITE_BATCH_ROWS = 1000


def update_from_values(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    match: Sequence[str] = (),
    where: str = "",
    where_params: Sequence[Any] = (),
) -> int:
    """Set ``fields`` of the rows of ``model`` whose primary key is each row's first value to
    the row's next values. ``match`` names further fields whose values follow and must equal the
    stored ones (e.g. a version); ``where`` narrows it further (SQL naming the table ``{table}``
    and the new values ``v``, e.g. ``{table}.version <= v.version``).
    Values are Python values, prepared as Django would for the field. Returns rows updated."""
    if not rows:
        return 0
    opts = model._meta
    quote = connection.ops.quote_name
    columns = [opts.pk, *(opts.get_field(name) for name in (*fields, *match))]
    names = [quote(column.column) for column in columns]
    table = quote(opts.db_table)
    assignments = ", ".join(f"{name} = v.{name}" for name in names[1 : 1 + len(fields)])
    conditions = [f"{table}.{name} = v.{name}" for name in (names[0], *names[1 + len(fields) :])]
    if where:
        conditions.append(f"({where.format(table=table)})")
    statement = f"UPDATE {table} SET {assignments} FROM {{source}} WHERE {' AND '.join(conditions)}"
    if connection.vendor == "postgresql":
        return _update_postgresql(statement, columns, names, rows, where_params)
    return _update_values(statement, columns, names, rows, where_params)


def _prepared(column: models.Field, value: Any) -> Any:
    return column.get_db_prep_value(value, connection, prepared=False)


def _update_postgresql(
    statement: str,
    columns: list[models.Field],
    names: list[str],
    rows: Sequence[Sequence[Any]],
    where_params: Sequence[Any],
) -> int:
    arrays = [
        [_prepared(column, row[index]) for row in rows] for index, column in enumerate(columns)
    ]
    slots = ", ".join(f"%b::{column.db_type(connection)}[]" for column in columns)
    source = f"unnest({slots}) AS v({', '.join(names)})"
    connection.ensure_connection()
    # Django's cursors bind client-side (values become SQL literals); binary parameters need
    # psycopg's server-side binding, on the same connection and so in the same transaction.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(statement.format(source=source), [*arrays, *where_params])
        return cursor.rowcount


def _update_values(
    statement: str,
    columns: list[models.Field],
    names: list[str],
    rows: Sequence[Sequence[Any]],
    where_params: Sequence[Any],
) -> int:
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), SQLITE_BATCH_ROWS):
            chunk = rows[start : start + SQLITE_BATCH_ROWS]
            params = [
                _prepared(column, value)
                for row in chunk
                for column, value in zip(columns, row, strict=True)
            ]
            values = f"WITH v({', '.join(names)}) AS (VALUES {', '.join([row_sql] * len(chunk))}) "
            cursor.execute(values + statement.format(source="v"), [*params, *where_params])
            updated += cursor.rowcount
    return updated
