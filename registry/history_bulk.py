"""History rows for bulk-inserted records, written by the database in one statement per model.

simple-history's ``bulk_history_create`` builds every history row in Python, which made seeding
5x slower; ``INSERT ... SELECT`` copies the new rows server-side instead (PostgreSQL and SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models
from django.utils import timezone

_HISTORY_ONLY = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
    "history_source",
    "history_remote_addr",
}


def history_copy_created(
    model: type[models.Model], pks: Sequence[int], *, source: str, reason: str = ""
) -> None:
    """Record the rows ``pks`` of ``model`` as created ('+') now, from ``source``."""
    if not pks:
        return
    history_model = model.history.model
    columns = [f.column for f in history_model._meta.concrete_fields if f.name not in _HISTORY_ONLY]
    quote = connection.ops.quote_name
    column_sql = ", ".join(quote(c) for c in columns)
    extra = ["history_date", "history_change_reason", "history_type", "history_source"]
    sql = (
        f"INSERT INTO {quote(history_model._meta.db_table)} "
        f"({column_sql}, {', '.join(quote(c) for c in extra)}) "
        f"SELECT {column_sql}, %s, %s, '+', %s FROM {quote(model._meta.db_table)} "
        f"WHERE {quote(model._meta.pk.column)} IN ({', '.join(['%s'] * len(pks))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [timezone.now(), reason or None, source, *pks])
