"""Import a clinic's CSV into one center: every row is validated first; nothing is written unless
``--commit`` is given and no row fails (then all rows are written together).

    manage.py import_cohort patients.csv --center north            # dry run: the error report
    manage.py import_cohort patients.csv --center north --commit

The file is the export's long CSV (patients, visits, radiographs or lesions) or its import
variant with the clinic's ``local_id``; ``manage.py export_cohort`` writes its data dictionary.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Center
from exports.services import import_run
from registry.audit import Source, audit_context


class Command(BaseCommand):
    help = "Validate and import a CSV into a center (dry run unless --commit)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--center", required=True, metavar="CODE")
        parser.add_argument("--commit", action="store_true", help="Write (all or nothing).")

    def handle(self, *args, **options):
        center = Center.objects.filter(code=options["center"]).first()
        if center is None:
            raise CommandError(f"No center with code {options['center']!r}.")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        with audit_context(Source.CLI):
            try:
                report = import_run(
                    data=path.read_bytes(), center=center, commit=options["commit"]
                )
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        for error in report.errors:
            where = f"row {error.row}" if error.row else "file"
            column = f", column {error.column}" if error.column else ""
            self.stderr.write(f"{where}{column}: {error.message}")
        counts = ", ".join(
            f"{kind}: {name}" for kind, name in (
                ("created", dict(report.created)),
                ("updated", dict(report.updated)),
                ("unchanged", dict(report.unchanged)),
            )
        )
        if report.errors:
            raise CommandError(
                f"{len(report.errors)} error(s) in {report.rows} {report.level or ''} rows; "
                "nothing was written."
            )
        verb = "imported" if report.committed else "valid (dry run, nothing written)"
        self.stdout.write(f"{report.rows} {report.level} rows {verb}; {counts}")
