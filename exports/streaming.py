"""The database session of one export: temporary maps, then rows streamed out in bounded memory.

On PostgreSQL the export gets its own connection (when the caller holds no transaction), so the
job's progress, written through Django's connection, is visible while a ``COPY`` is running on
this one. Rows leave by ``COPY (SELECT ...) TO STDOUT`` (CSV and Parquet) or a server-side
cursor (XLSX, FHIR); on SQLite, by a cursor read in batches (SQLite steps through results
lazily).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from django.db import DEFAULT_DB_ALIAS, connection, connections

from exports.sql import PATIENT_MAP, PATIENT_MAP_COLUMNS, TEMPORARY_TABLES, Dialect

# PostgreSQL session settings of an export: sorts and hashes of the temporary maps in memory,
# no JIT (compiling the plan of a one-off query costs more than it saves), ISO dates in COPY.
POSTGRES_SETTINGS = ("SET work_mem = '64MB'", "SET jit = off", "SET datestyle = 'ISO, YMD'")
CURSOR_NAME = "export_rows"
COPY_BUFFER = 1 << 20  # bytes gathered from COPY before one write into the zip


class CopyReader(io.RawIOBase):
    """COPY's output (one message per row) as a raw stream that fills large reads at once."""

    def __init__(self, copy: Iterable[Any]) -> None:
        super().__init__()
        self._chunks = iter(copy)
        self._rest = b""
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        wanted = len(buffer)
        parts, size = [self._rest], len(self._rest)
        while size < wanted and not self._ended:
            try:
                chunk = next(self._chunks)
            except StopIteration:
                self._ended = True
                break
            parts.append(chunk)
            size += len(chunk)
        data = b"".join(parts)
        count = min(wanted, len(data))
        buffer[:count] = data[:count]
        self._rest = data[count:]
        return count


class ExportSession:
    """``with ExportSession() as session:`` ... temporary tables are dropped on exit."""

    def __init__(self) -> None:
        self.dialect = Dialect(connection.vendor)
        self.dedicated = False
        self._wrapper = None
        self._transaction = None
        self._cursors: list[Any] = []
        self.raw: Any = None

    def __enter__(self) -> ExportSession:
        if self.dialect.postgres and not connection.in_atomic_block:
            self._wrapper = connections.create_connection(DEFAULT_DB_ALIAS)
            self._wrapper.ensure_connection()
            self.raw = self._wrapper.connection
            self._transaction = self.raw.transaction()
            self._transaction.__enter__()
            self.dedicated = True
        else:
            connection.ensure_connection()
            self.raw = connection.connection
        for table in TEMPORARY_TABLES:
            self.execute(f"DROP TABLE IF EXISTS {table}")
        if self.dialect.postgres:
            for statement in POSTGRES_SETTINGS:
                self.execute(statement.replace("SET ", "SET LOCAL ", 1))
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            for cursor in self._cursors:  # a batch reader abandoned by an error
                with contextlib.suppress(Exception):
                    cursor.close()
            if self.dedicated:
                self._transaction.__exit__(exc_type, exc, tb)  # temporary tables go with it
            else:
                self._drop_temporary_tables()
        finally:
            if self._wrapper is not None:
                self._wrapper.close()

    def _drop_temporary_tables(self) -> None:
        """On the caller's connection, inside a savepoint on PostgreSQL: a failure here must not
        abort the caller's transaction."""
        savepoint = self.dialect.postgres and connection.in_atomic_block
        with contextlib.suppress(Exception):
            if savepoint:
                self.execute("SAVEPOINT export_cleanup")
            try:
                for table in TEMPORARY_TABLES:
                    self.execute(f"DROP TABLE IF EXISTS {table}")
            except Exception:
                if savepoint:
                    self.execute("ROLLBACK TO SAVEPOINT export_cleanup")
                raise
            if savepoint:
                self.execute("RELEASE SAVEPOINT export_cleanup")

    # --- statements -----------------------------------------------------------------------
    def execute(self, sql: str) -> None:
        cursor = self.raw.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()

    def scalar(self, sql: str) -> Any:
        cursor = self.raw.cursor()
        try:
            cursor.execute(sql)
            return cursor.fetchone()[0]
        finally:
            cursor.close()

    def load_patient_map(self, batches: Iterable[list[tuple]]) -> int:
        """Fill the patient map, one ``COPY ... FROM STDIN`` (PostgreSQL) or one multi-row
        insert per batch; returns the rows. Batches are read before each statement: on a
        shared connection nothing else may run while a COPY is open."""
        count = 0
        columns = ", ".join(PATIENT_MAP_COLUMNS)
        marks = ", ".join("?" for _ in PATIENT_MAP_COLUMNS)
        for batch in batches:
            cursor = self.raw.cursor()
            try:
                if self.dialect.postgres:
                    with cursor.copy(f"COPY {PATIENT_MAP} ({columns}) FROM STDIN") as copy:
                        for row in batch:
                            copy.write_row(row)
                else:
                    cursor.executemany(
                        f"INSERT INTO {PATIENT_MAP} ({columns}) VALUES ({marks})", batch
                    )
            finally:
                cursor.close()
            count += len(batch)
        self.execute(f"ANALYZE {PATIENT_MAP}")
        return count

    # --- rows out -------------------------------------------------------------------------
    def copy_csv(
        self, sql: str, write: Callable[[bytes], Any], on_rows: Callable[[int], None] | None
    ) -> int:
        """PostgreSQL only: ``COPY (sql) TO STDOUT`` as CSV with a header, chunk by chunk into
        ``write``; returns the data rows. ``on_rows`` (rows so far) runs between chunks only on
        a dedicated connection: on a shared one the connection is busy until COPY ends."""
        lines = 0
        buffer = bytearray()

        def flush(*, copying: bool) -> None:
            nonlocal lines
            write(bytes(buffer))
            lines += buffer.count(b"\n")
            buffer.clear()
            if on_rows is not None and (self.dedicated or not copying):
                on_rows(max(lines - 1, 0))

        cursor = self.raw.cursor()
        try:
            with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)") as copy:
                # PostgreSQL sends one message per row: gather them into large writes.
                for chunk in copy:
                    buffer += chunk
                    if len(buffer) >= COPY_BUFFER:
                        flush(copying=True)
            flush(copying=False)
        finally:
            cursor.close()
        return max(lines - 1, 0)

    @contextlib.contextmanager
    def copy_stream(self, sql: str) -> Iterator[IO[bytes]]:
        """PostgreSQL only: ``COPY (sql) TO STDOUT`` as CSV without a header, as a readable
        binary stream (for pyarrow's CSV reader)."""
        cursor = self.raw.cursor()
        try:
            with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
                yield io.BufferedReader(CopyReader(copy), COPY_BUFFER)
        finally:
            cursor.close()

    def batches(self, sql: str, size: int) -> Iterator[list[tuple]]:
        """The rows of ``sql`` in lists of at most ``size``, from a server-side cursor on
        PostgreSQL (the client never holds more than one batch)."""
        if self.dialect.postgres:
            cursor = self.raw.cursor(name=CURSOR_NAME)
            cursor.itersize = size
        else:
            cursor = self.raw.cursor()
        self._cursors.append(cursor)
        try:
            cursor.execute(sql)
            while True:
                rows = cursor.fetchmany(size)
                if not rows:
                    return
                yield rows
        finally:
            cursor.close()
            self._cursors.remove(cursor)
