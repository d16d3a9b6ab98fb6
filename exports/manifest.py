"""The manifest of an export: what was asked, under which rules and software, and what came out
(rows and SHA-256 of every file). The project key itself is never written, only whether one was
used; the manifest cannot list its own checksum (the job and the download carry the zip's).
"""

from __future__ import annotations

import json
import platform
import tomllib
from functools import lru_cache
from importlib import metadata
from typing import TYPE_CHECKING, Any

import django
import pyarrow
from django.conf import settings
from django.utils import timezone

from exports.formats.labelled import FORMATS as LABELLED_FORMATS
from exports.pseudonyms import PSEUDONYM_LENGTH, PSEUDONYM_PREFIX
from progression.registry_rules import rules_with
from registry.timestamps import utc_iso

if TYPE_CHECKING:
    from exports.runner import ExportResult, ExportSpec

MANIFEST_VERSION = 1
NEVER_EXPORTED = [
    "local identifiers (MRN), registry ids and database keys",
    "DICOM UIDs (ImagingStudy UIDs are generated per export)",
    "names and free text: notes, *_site, other_text, track labels, not_applicable_reason",
    "pixel end points of measurements",
]
DATE_RULES = {
    "keep": "Dates as recorded; the birth date as its year.",
    "shift": "Each patient's dates (birth included) moved by one random whole number of days "
    "in [-{days}, {days}], never 0; intervals within a patient are exact.",
    "relative": "Dates replaced by days since the first non-Raynaud manifestation (the midpoint "
    "of a partial date: 1 July for a year, the 15th for a month); empty when it is unknown.",
}


@lru_cache(maxsize=1)
def software_version() -> str:
    """The registry's version, from pyproject.toml (the project is not an installed package)."""
    with open(settings.BASE_DIR / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def manifest(spec: ExportSpec, result: ExportResult) -> dict[str, Any]:
    """``spec`` as requested; ``result`` says what came out (a generalized export's dates may
    have become relative: ``re_identification``, exports.disclosure)."""
    disclosure = result.disclosure
    date_mode = disclosure.date_mode if disclosure else spec.date_mode
    document = {
        "manifest_version": MANIFEST_VERSION,
        "created_at": utc_iso(timezone.now()),
        "software": {
            "name": "calcinosis-registry",
            "version": software_version(),
            "python": platform.python_version(),
            "django": django.get_version(),
            "pyarrow": pyarrow.__version__,
        },
        "request": {
            "level": spec.level,
            "format": spec.format,
            "date_mode": spec.date_mode,
            "generalize": spec.generalize,
            "filters": spec.filters,
            "scope": "every center" if spec.center_ids is None else "the requester's centers",
        },
        "pseudonymization": {
            "patient_pseudonym": f"{PSEUDONYM_PREFIX} + first {PSEUDONYM_LENGTH} base32 "
            "characters of HMAC-SHA256(export key, registry id)",
            "export_key": "derived from the project key" if spec.project_key
            else "random, used for this export only",
            "dates": DATE_RULES[date_mode].format(
                days=settings.REGISTRY_EXPORT_DATE_SHIFT_DAYS
            ),
            "never_exported": NEVER_EXPORTED,
        },
        "rules": {
            "progression": rules_with(spec.rules).as_dict(),
            "partial_dates": "midpoint of the period (DOMAIN.md)",
            "disease_duration": "years (days / 365.25) since the first non-Raynaud "
            "manifestation (EUSTAR)",
        },
        "patients": result.patients,
        # k-anonymity over the quasi-identifiers, and what generalizing changed (issue 17).
        "re_identification": disclosure.as_manifest() if disclosure else None,
        # Research exports: patients left out because their consent does not allow research
        # use, and patients whose radiographs (and measurements) were left out for lack of the
        # radiographs scope. Counts only, never who (docs/governance.md).
        "left_out_for_consent": result.left_out_for_consent,
        "rows_sorted": result.sorted_rows,
        "row_counts": result.row_counts,
        "progression_failures": result.progression_failures,
        "files": [member.as_dict() for member in result.members],
    }
    if spec.format in LABELLED_FORMATS:  # the library that wrote the .sav or .dta files
        document["software"]["pyreadstat"] = metadata.version("pyreadstat")
    if result.joins is not None:  # a multi-level package (issue #16)
        document["joins"] = result.joins
    return document


def manifest_json(spec: ExportSpec, result: ExportResult) -> str:
    return json.dumps(manifest(spec, result), indent=2, sort_keys=False, default=str) + "\n"
