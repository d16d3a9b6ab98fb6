"""Import DICOM radiographs from folders, DICOMDIR media or files into one center."""

from __future__ import annotations

import csv
import time
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Center
from imaging.dicom import ingest
from imaging.dicom.files import dicom_paths
from imaging.dicom.previews import preview_batch
from imaging.models import DicomInstance
from registry.audit import Source, audit_context

NOT_FOUND = "not_found"
REPORT_COLUMNS = [
    "path",
    "outcome",
    "reason",
    "detail",
    "instance_id",
    "radiograph_id",
    "sop_instance_uid",
    "size_bytes",
]
# Files per preview batch: previews start while a long import is still running.
PREVIEW_BATCH = 50


class Command(BaseCommand):
    help = (
        "Import DICOM files (folders are walked, DICOMDIRs followed) into a center: de-identified, "
        "matched by Patient ID to the center's local ids, unmatched ones queued for a clinician."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, help="Files, folders or DICOMDIRs.")
        parser.add_argument("--center", required=True, help="Code of the receiving center.")
        parser.add_argument("--report", type=Path, help="Write one CSV row per file here.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **options):
        center = Center.objects.filter(code=options["center"]).first()
        if center is None:
            raise CommandError(f"No center with code {options['center']!r}.")
        missing = [str(p) for p in options["paths"] if not p.exists()]
        if missing:
            raise CommandError(f"Not found: {', '.join(missing)}")
        paths = list(dicom_paths(options["paths"]))
        started = time.perf_counter()
        outcomes: Counter[str] = Counter()
        reasons: dict[str, Counter[str]] = {outcome: Counter() for outcome in ingest.OUTCOMES}
        total_bytes = 0
        report = self._open_report(options["report"])
        with audit_context(Source.CLI):
            for start in range(0, len(paths), PREVIEW_BATCH):
                with preview_batch():
                    for index, path in enumerate(paths[start : start + PREVIEW_BATCH], start):
                        result = self._ingest(path, center)
                        total_bytes += result.size_bytes
                        outcomes[result.outcome] += 1
                        if result.reason:
                            reasons[result.outcome][result.reason] += 1
                        if report:
                            report[1].writerow(self._row(path, result))
                        if not options["no_progress"]:
                            self._progress(index + 1, len(paths), started)
        if report:
            report[0].close()
        self._summary(outcomes, reasons, len(paths), total_bytes, time.perf_counter() - started)

    def _ingest(self, path: Path, center: Center) -> ingest.IngestResult:
        try:
            refused = ingest.size_refused(path.stat().st_size)
            if refused is not None:
                return refused
            data = path.read_bytes()
        except OSError as exc:
            return ingest.IngestResult(
                outcome=ingest.REJECTED, reason=NOT_FOUND, detail=exc.strerror or str(exc)
            )
        return ingest.radiograph_ingest(data, center=center, via=DicomInstance.Via.CLI)

    def _open_report(self, path: Path | None):
        if path is None:
            return None
        handle = path.open("w", newline="", encoding="utf-8")
        writer = csv.DictWriter(handle, fieldnames=REPORT_COLUMNS)
        writer.writeheader()
        return handle, writer

    @staticmethod
    def _row(path: Path, result: ingest.IngestResult) -> dict:
        return {
            "path": str(path),
            "outcome": result.outcome,
            "reason": result.reason,
            "detail": result.detail,
            "instance_id": result.instance_id or "",
            "radiograph_id": result.radiograph_id or "",
            "sop_instance_uid": result.sop_instance_uid,
            "size_bytes": result.size_bytes,
        }

    def _progress(self, done: int, total: int, started: float) -> None:
        width = 30
        filled = width * done // total
        rate = done / max(time.perf_counter() - started, 1e-9)
        bar = "#" * filled + "-" * (width - filled)
        self.stderr.write(f"\r[{bar}] {done}/{total} files, {rate:.0f} files/s", ending="")
        if done == total:
            self.stderr.write("")

    def _summary(self, outcomes, reasons, files: int, total_bytes: int, elapsed: float) -> None:
        labels = {
            ingest.IMPORTED: "Imported",
            ingest.DUPLICATE: "Duplicates",
            ingest.UNMATCHED: "Unmatched",
            ingest.REJECTED: "Rejected",
        }
        for outcome in ingest.OUTCOMES:
            detail = ", ".join(f"{reason}: {n}" for reason, n in sorted(reasons[outcome].items()))
            suffix = f" ({detail})" if detail and outcome != ingest.DUPLICATE else ""
            self.stdout.write(f"{labels[outcome]}: {outcomes[outcome]}{suffix}")
        seconds = max(elapsed, 1e-9)
        self.stdout.write(
            f"{files} files, {total_bytes / 1e6:.1f} MB in {elapsed:.1f} s "
            f"({files / seconds:.1f} files/s, {total_bytes / 1e6 / seconds:.1f} MB/s)"
        )
