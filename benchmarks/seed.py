"""Seeding N demo patients on PostgreSQL (issue: 10,000 in under 60 s on 2 cores)."""

from __future__ import annotations

import time
from io import StringIO

from django.core.management import call_command
from django.db import connection

TARGET_SECONDS = 60


def _rows() -> int:
    tables = [
        "patients_patient",
        "patients_visit",
        "patients_subtypeassessment",
        "patients_calcinosistreatment",
        "imaging_radiograph",
        "imaging_radiographicfinding",
        "imaging_lesiontrack",
        "imaging_calcinosislesion",
    ]
    with connection.cursor() as cursor:
        total = 0
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")
            total += cursor.fetchone()[0]
    return total


def run(*, patients: int) -> None:
    started = time.perf_counter()
    call_command(
        "seed_demo", "--patients", str(patients), "--no-users", stdout=StringIO(), stderr=StringIO()
    )
    elapsed = time.perf_counter() - started
    rows = _rows()
    history = rows  # one "created" history row per record, written alongside
    print(f"seed_demo --patients {patients} on PostgreSQL: {elapsed:.1f} s")
    print(
        f"  {rows:,} rows (+{history:,} history rows): {rows / elapsed:,.0f} rows/s, "
        f"{patients / elapsed:,.0f} patients/s"
    )
    verdict = "within" if elapsed < TARGET_SECONDS else "OVER"
    print(f"  target: {TARGET_SECONDS} s for 10,000 patients -> {verdict} target")
