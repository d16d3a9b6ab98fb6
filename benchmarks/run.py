#!/usr/bin/env python
"""Run the registry's benchmarks: `make bench` (all) or `make bench BENCH_ARGS="seed"`.

Benchmarks print figures and the comparison their issue names; they are not pass/fail tests.
They run against a scratch PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/registry_bench), dropped and re-created at the start.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ["seed", "api", "dicom", "progression", "exports", "lesion_writes"]


def scratch_database() -> str:
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/registry_bench")
    if not url.startswith("postgres"):
        sys.exit("Benchmarks run on PostgreSQL: set BENCH_DATABASE_URL to a postgres:// URL.")
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", default=BENCHMARKS, choices=[*BENCHMARKS, []])
    parser.add_argument("--patients", type=int, default=10_000)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = scratch_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings.local")
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")  # figures, not every task's log line
    sys.path.insert(0, str(ROOT))
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    import django

    django.setup()
    for name in args.names:
        importlib.import_module(f"benchmarks.{name}").run(patients=args.patients)


if __name__ == "__main__":
    main()
