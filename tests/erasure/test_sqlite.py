"""The embedded default (SQLite) overwrites deleted rows: ``PRAGMA secure_delete`` on every
connection, so an erased patient's bytes do not linger in free pages of the database file."""

from __future__ import annotations

import pytest
from django.db.utils import ConnectionHandler


def _connect(path) -> tuple[int, bytes]:
    handler = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}}
    )
    connection = handler["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete")
            mode = cursor.fetchone()[0]
            cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            cursor.executemany(
                "INSERT INTO t (v) VALUES (%s)", [(f"ROW-{i:05d}-{'x' * 80}",) for i in range(2000)]
            )
            cursor.execute("DELETE FROM t WHERE id BETWEEN 100 AND 1500")
    finally:
        connection.close()
    return mode, path.read_bytes()


@pytest.mark.parametrize("enabled", [True, False])
def test_every_sqlite_connection_gets_secure_delete(settings, tmp_path, django_db_blocker, enabled):
    """On (the default): a deleted row's value is gone from the file; off: SQLite keeps it
    in the free pages, which is why the setting exists."""
    settings.REGISTRY_SQLITE_SECURE_DELETE = enabled
    with django_db_blocker.unblock():  # a separate database file, not the test database
        mode, data = _connect(tmp_path / "db.sqlite3")
    assert mode == int(enabled)
    assert (b"ROW-00500" in data) is not enabled
