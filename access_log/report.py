"""The access log as CSV for an audit: one line per entry, the patient ids the reader may see."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from access_log.models import AccessLogEntry
from access_log.visibility import shown_patient_ids
from exports.formats.spreadsheet_safety import neutralise
from registry.timestamps import utc_iso

CSV_COLUMNS = [
    "at",
    "user_id",
    "username",
    "kind",
    "route",
    "object_id",
    "address",
    "patient_ids",
    "patient_count",
    "checksum",
]


def _line(values: list) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([neutralise(value) for value in values])
    return buffer.getvalue()


def access_log_csv(entries: Iterable[AccessLogEntry]) -> Iterator[str]:
    """CSV lines (header first) of entries from :func:`access_log.visibility.visible_entries`;
    ``patient_ids`` are space-separated, ``patient_count`` is an export's count."""
    yield _line(CSV_COLUMNS)
    for entry in entries:
        yield _line(
            [
                utc_iso(entry.at),
                entry.user_id if entry.user_id is not None else "",
                entry.username,
                entry.kind,
                entry.route,
                entry.object_id if entry.object_id is not None else "",
                entry.address or "",
                " ".join(str(pid) for pid in shown_patient_ids(entry)),
                entry.patient_count if entry.patient_count is not None else "",
                entry.checksum,
            ]
        )
