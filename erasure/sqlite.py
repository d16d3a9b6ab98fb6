"""SQLite keeps a deleted row's bytes in free pages until they are reused: an erased patient's
local id would still be in the database file. ``PRAGMA secure_delete=ON`` makes SQLite overwrite
deleted content with zeros as it deletes, on every connection of the embedded default
(``REGISTRY_SQLITE_SECURE_DELETE``, on by default; off sets it off, whatever SQLite was compiled
with; docs/governance.md has the cost, which is within noise). PostgreSQL
needs nothing here: a dump holds live rows only, and VACUUM reclaims the dead ones' pages.
"""

from __future__ import annotations

from django.conf import settings
from django.db.backends.signals import connection_created
from django.dispatch import receiver


@receiver(connection_created, dispatch_uid="erasure-sqlite-secure-delete")
def secure_delete(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        mode = "ON" if settings.REGISTRY_SQLITE_SECURE_DELETE else "OFF"
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA secure_delete = {mode}")
