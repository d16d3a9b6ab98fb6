"""How the files of a multi-level export join (issue #16): every file names the patient by the
same pseudonym (one patient map for the whole package), radiographs by their number within the
patient, and dates moved by the same per-patient offset, so equal dates stay equal across files.

Pure: the data dictionary (a ``joins_to`` column) and the manifest (``joins``) read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from exports.pseudonyms import RELATIVE

PATIENTS, VISITS, RADIOGRAPHS = "patients", "visits", "radiographs"
LESIONS, PROGRESSION = "lesions", "progression_timepoints"
TREATMENTS, FINDINGS = "treatments", "findings"
# A date column's name in the relative date mode (exports.levels: relative_name).
RELATIVE_NAMES = {
    "visit_date": "visit_day",
    "acquired_on": "acquired_day",
    "timepoint_date": "timepoint_day",
}


@dataclass(frozen=True)
class Join:
    """Rows of ``level`` whose ``columns`` equal ``target_columns`` of a row of ``target``."""

    level: str
    columns: tuple[str, ...]
    target: str
    target_columns: tuple[str, ...]
    note: str = ""


def _named(columns: tuple[str, ...], date_mode: str) -> tuple[str, ...]:
    if date_mode != RELATIVE:
        return columns
    return tuple(RELATIVE_NAMES.get(name, name) for name in columns)


def joins(date_mode: str) -> list[Join]:
    """Every join between the levels of a package, column names as ``date_mode`` writes them."""
    rules = [
        Join(VISITS, ("patient",), PATIENTS, ("patient",)),
        Join(RADIOGRAPHS, ("patient",), PATIENTS, ("patient",)),
        Join(LESIONS, ("patient", "radiograph_number"), RADIOGRAPHS,
             ("patient", "radiograph_number"), "each lesion's radiograph"),
        Join(PROGRESSION, ("patient",), PATIENTS, ("patient",)),
        Join(TREATMENTS, ("patient",), PATIENTS, ("patient",)),
        Join(TREATMENTS, ("patient", "visit_date", "visit_type"), VISITS,
             ("patient", "visit_date", "visit_type"),
             "the visit that recorded the treatment; empty when none did"),
        Join(FINDINGS, ("patient", "radiograph_number"), RADIOGRAPHS,
             ("patient", "radiograph_number"), "each finding's radiograph"),
        Join(RADIOGRAPHS, ("patient", "acquired_on"), VISITS, ("patient", "visit_date"),
             "radiographs taken on the day of a visit; a radiograph may have no visit"),
        Join(PROGRESSION, ("patient", "body_region", "laterality", "timepoint_date"),
             RADIOGRAPHS, ("patient", "body_region", "laterality", "acquired_on"),
             "the radiographs of a timepoint: laterality equal, or the radiograph's laterality "
             "is bilateral (it belongs to the left and the right series)"),
    ]
    return [
        Join(rule.level, _named(rule.columns, date_mode), rule.target,
             _named(rule.target_columns, date_mode), rule.note)
        for rule in rules
    ]


def join_text(join: Join, files: dict[str, str]) -> str:
    """``lesions.csv (patient, radiograph_number) = radiographs.csv (patient, ...)``."""
    text = (
        f"{files[join.level]} ({', '.join(join.columns)}) = "
        f"{files[join.target]} ({', '.join(join.target_columns)})"
    )
    return f"{text}: {join.note}" if join.note else text


def package_joins(files: dict[str, str], date_mode: str) -> list[str]:
    """The joins among ``files`` (level -> file name), in words, for the manifest."""
    return [
        join_text(join, files)
        for join in joins(date_mode)
        if join.level in files and join.target in files
    ]


def column_joins(level: str, column: str, files: dict[str, str], date_mode: str) -> str:
    """What ``column`` of ``level``'s file joins, for the dictionary's ``joins_to``."""
    if level == PATIENTS and column == "patient":
        others = [files[other] for other in files if other != PATIENTS]
        return "key: one row per patient" + (
            f"; the patient column of {', '.join(others)}" if others else ""
        )
    found = [
        f"{files[join.target]} ({', '.join(join.target_columns)})"
        for join in joins(date_mode)
        if join.level == level and column in join.columns and join.target in files
    ]
    return "; ".join(found)
