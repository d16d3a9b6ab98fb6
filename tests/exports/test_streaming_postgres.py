"""The streaming path on PostgreSQL: COPY and the server-side cursor keep memory bounded whatever
the number of rows (PostgreSQL only: skipped locally, a failure in CI)."""

from __future__ import annotations

import csv
import io
import resource
import tracemalloc
import zipfile

import pyarrow.parquet as pq
import pytest
from django.db import connection

from benchmarks.export_data import generate
from exports.runner import ExportSpec, export_to_zip
from exports.streaming import ExportSession
from tests.conftest import missing_service

MB = 1024 * 1024


@pytest.fixture
def lesions(transactional_db):
    if connection.vendor != "postgresql":
        missing_service("PostgreSQL (set DATABASE_URL)")
    return generate(lesions=200_000, patients=2_000)


def _export(tmp_path, fmt: str, **spec) -> tuple[int, list[int], zipfile.ZipFile]:
    """Peak Python memory (tracemalloc) of one export, its progress calls and the zip."""
    calls: list[int] = []
    path = tmp_path / f"{fmt}-{len(list(tmp_path.iterdir()))}.zip"
    tracemalloc.start()
    try:
        export_to_zip(
            ExportSpec(level="lesions", format=fmt, date_mode="shift", **spec),
            path,
            on_progress=lambda done, total: calls.append(done),
        )
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, calls, zipfile.ZipFile(path)


def test_csv_copy_streams_200k_lesions_in_bounded_memory(lesions, tmp_path):
    """COPY writes the CSV: Python holds one 1 MB buffer, never the rows; a cohort four times
    larger needs no more memory; progress is reported while COPY runs."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    small, _calls, _archive = _export(tmp_path, "csv", filters={"center": ["bench-a"]})
    peak, calls, archive = _export(tmp_path, "csv")
    rss_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    text = archive.read("lesions.csv").decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == lesions["lesions"]
    assert rows[0]["patient"].startswith("P-") and "BENCH-" not in text
    assert peak < 16 * MB, f"peak {peak / MB:.1f} MB"
    assert peak < small * 2 + 4 * MB  # four times the rows, not four times the memory
    assert len(calls) > 5 and calls[-1] == lesions["lesions"]
    assert rss_growth_mb < 100


def test_parquet_streams_from_a_server_side_cursor(lesions, tmp_path, settings):
    settings.REGISTRY_EXPORT_PARQUET_ROW_GROUP = 20_000  # 200,000 rows: 10 row groups
    peak, calls, archive = _export(tmp_path, "parquet")
    table = pq.ParquetFile(io.BytesIO(archive.read("lesions.parquet")))
    assert table.metadata.num_rows == lesions["lesions"]
    assert table.metadata.num_row_groups == lesions["lesions"] // 20_000
    assert peak < 64 * MB, f"peak {peak / MB:.1f} MB"
    assert calls[-1] == lesions["lesions"]


def test_export_uses_its_own_connection_outside_a_transaction(lesions):
    with ExportSession() as session:
        assert session.dedicated
        assert session.raw is not connection.connection
