"""Write a pseudonymized research export to a zip, with a progress bar (operators: all centers).

    manage.py export_cohort --level lesions --format csv --output lesions.zip
    manage.py export_cohort --level all --format csv --output cohort.zip   # every level, joined
    manage.py export_cohort --level all --format dta --output cohort-stata.zip   # labelled
    manage.py export_cohort --level patients --format parquet --date-mode relative \\
        --filter ssc_subtype=limited_cutaneous --filter aca=positive --output acaplus.zip
    manage.py export_cohort --level progression_timepoints --format csv_wide --center north \\
        --project-key CALC-2026 --rule progression_fraction=0.3 --output series.zip
    manage.py export_cohort --level all --format csv --generalize --output k5.zip  # k-anonymous

Filters are the patient list's (``--filter name=value``, repeat a name for several values).
``--generalize`` coarsens the quasi-identifiers, then suppresses, until k >= K
(exports.disclosure); without it the manifest only reports k.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from exports.models import FORMAT_HELP, DateMode, Format, Level
from exports.runner import ExportSpec, export_to_zip
from exports.services import export_check
from progression.registry_rules import parse_rule_pairs
from registry.progress_bar import ProgressBar


def parse_filters(pairs: list[str], centers: list[str]) -> dict[str, object]:
    filters: dict[str, object] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CommandError(f"filters are given as name=value, not {pair!r}")
        name = name.strip()
        if name in filters:
            previous = filters[name]
            filters[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            filters[name] = value
    if centers:
        filters["center"] = centers
    return filters


class Command(BaseCommand):
    help = "Write a pseudonymized export (zip with data, data dictionary and manifest)."

    def add_arguments(self, parser):
        parser.add_argument("--level", required=True, choices=Level.values)
        parser.add_argument("--format", required=True, choices=Format.values, help=FORMAT_HELP)
        parser.add_argument("--date-mode", default=DateMode.SHIFT, choices=DateMode.values)
        parser.add_argument("--filter", action="append", default=[], metavar="NAME=VALUE")
        parser.add_argument("--center", action="append", default=[], metavar="CODE")
        parser.add_argument("--project-key", default="")
        parser.add_argument("--rule", action="append", default=[], metavar="KEY=VALUE")
        parser.add_argument(
            "--generalize", action=argparse.BooleanOptionalAction, default=False,
            help="Generalize until every patient shares the quasi-identifiers with at least "
            "REGISTRY_EXPORT_K_ANONYMITY - 1 others, then suppress those still below.",
        )
        parser.add_argument("--output", required=True, type=Path)

    def handle(self, *args, **options):
        try:
            rules = parse_rule_pairs(options["rule"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        spec = ExportSpec(
            level=options["level"],
            format=options["format"],
            date_mode=options["date_mode"],
            filters=parse_filters(options["filter"], options["center"]),
            project_key=options["project_key"],
            rules=rules,
            generalize=options["generalize"],
        )
        try:
            export_check(spec)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        output: Path = options["output"]
        output.parent.mkdir(parents=True, exist_ok=True)
        bar = ProgressBar(self.stderr, "rows")
        result = export_to_zip(spec, output, on_progress=bar)
        bar.close()
        rows = ", ".join(f"{name}: {count:,}" for name, count in result.row_counts.items())
        self.stdout.write(f"{output} ({result.patients:,} patients; {rows})")
        risk = result.disclosure
        if risk is not None:
            self.stdout.write(
                f"k-anonymity (K = {risk.k_threshold}): k = {risk.before.k}, "
                f"{risk.before.below_k} patients below K"
                + (f"; generalized: k = {risk.after.k}, {len(risk.suppressed)} patients "
                   "suppressed" if risk.generalize else "")
            )
