"""Re-identification risk of an export (issue 17): k-anonymity over the quasi-identifiers, and
the generalization that reaches k >= K (pure: plain values in, dataclasses out).

The unit is the patient. Every row of a patient carries the patient's quasi-identifiers, and the
files of one export (or of one project key) join on the pseudonym, so the quasi-identifiers are
always the patient's full set, whatever the level: sex; birth (the year when dates are kept, the
year of the shifted birth date when shifted (the offset hides the day), the relative mode's
``birth_day`` as written when relative (days from the first non-Raynaud manifestation: someone
who knows both dates computes it), the 5-year band once generalized); the center's code; the SSc
subtype; the years of Raynaud onset, of the first non-Raynaud manifestation (midpoints of partial
dates) and of the first visit, shifted with the patient's offset in shift mode. Relative dates
drop those three years: days since the patient's own onset cannot be matched with the calendar
dates someone knows. An unknown value is a value of its own.

``k`` is the size of the smallest group of patients sharing every quasi-identifier. Generalizing
applies, in order and cumulatively, until k >= K: birth years as 5-year bands; centers with fewer
than ``small_center`` patients in the export as "(other)"; dates as days since the first
non-Raynaud manifestation (not for FHIR, which needs calendar dates); then the patients still in
groups smaller than K are suppressed (they leave every file of the export).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, NamedTuple

from exports.pseudonyms import KEEP, RELATIVE, SHIFT

# Not a valid center code (codes are slugs): "other" is, and could be a real center's.
OTHER_CENTER = "(other)"
BAND_YEARS = 5

BIRTH_BAND = "birth_year_band"
SMALL_CENTERS = "small_centers_other"
RELATIVE_DATES = "relative_dates"
SUPPRESSION = "suppression"
STEPS = (BIRTH_BAND, SMALL_CENTERS, RELATIVE_DATES, SUPPRESSION)

NO_SMALL_CENTER = "No center has fewer than {limit} patients in the export."
ALREADY_RELATIVE = "The dates are already relative."
FHIR_KEEPS_DATES = "FHIR resources need calendar dates."

# Exported columns that hold a quasi-identifier (the data dictionary's quasi_identifier): the
# relative days of onsets and visits are not (see the module docstring), the birth in days is
# (an age).
QUASI_IDENTIFIER_COLUMNS = frozenset({
    "center",
    "sex",
    "birth_year",
    "birth_date",
    "birth_day",
    BIRTH_BAND,
    "ssc_subtype",
    "raynaud_onset",
    "first_non_raynaud_onset",
    "visit_date",
})


class Subject(NamedTuple):
    """One patient's quasi-identifiers as recorded, and the shift offset of the export."""

    patient_id: int
    sex: str
    birth: date | None
    center: str
    subtype: str
    raynaud_onset: date | None  # midpoint of the partial date
    first_onset: date | None  # midpoint of the partial date
    first_visit: date | None
    offset_days: int = 0  # the patient's offset in shift mode, else 0


def birth_band(year: int | None) -> str | None:
    """``1940-1944``: the five calendar years starting at a multiple of five."""
    if year is None:
        return None
    start = year - year % BAND_YEARS
    return f"{start}-{start + BAND_YEARS - 1}"


def birth_day(birth: date | None, onset: date | None) -> int | None:
    """The relative mode's ``birth_day``: days from the first non-Raynaud manifestation (the
    midpoint of a partial date) to birth, negative; None when either date is unknown."""
    if birth is None or onset is None:
        return None
    return (birth - onset).days


def _year(value: date | None, offset_days: int) -> int | None:
    if value is None:
        return None
    return (value + timedelta(days=offset_days)).year if offset_days else value.year


@dataclass(frozen=True)
class Generalization:
    """How the quasi-identifiers leave: the date mode, birth as a band, the centers as "(other)"."""

    date_mode: str
    banded: bool = False
    other_centers: frozenset[str] = frozenset()

    def names(self) -> list[str]:
        if self.banded:
            birth = BIRTH_BAND
        else:
            birth = {KEEP: "birth_year", SHIFT: "birth_year (shifted)",
                     RELATIVE: "birth_day"}[self.date_mode]
        names = ["sex", birth, "center", "ssc_subtype"]
        if self.date_mode == RELATIVE:
            return names
        years = ["raynaud_onset_year", "first_non_raynaud_onset_year", "first_visit_year"]
        return names + [f"{name} (shifted)" if self.date_mode == SHIFT else name
                        for name in years]

    def values(self, subject: Subject) -> tuple:
        """The patient's quasi-identifiers as the export writes them."""
        offset = subject.offset_days if self.date_mode == SHIFT else 0
        if self.banded:
            birth: Hashable = birth_band(subject.birth.year if subject.birth else None)
        elif self.date_mode == RELATIVE:
            birth = birth_day(subject.birth, subject.first_onset)
        else:
            birth = _year(subject.birth, offset)
        center = OTHER_CENTER if subject.center in self.other_centers else subject.center
        values = (subject.sex, birth, center, subject.subtype)
        if self.date_mode == RELATIVE:
            return values
        return (*values, _year(subject.raynaud_onset, offset),
                _year(subject.first_onset, offset), _year(subject.first_visit, offset))


@dataclass(frozen=True)
class Report:
    """``k``: the smallest group (None for an empty export); the patients in groups smaller
    than K; the number of groups."""

    k: int | None
    below_k: int
    groups: int

    def safe(self, k_threshold: int) -> bool:
        return self.k is None or self.k >= k_threshold

    def as_dict(self) -> dict[str, Any]:
        return {"k": self.k, "patients_below_k": self.below_k, "groups": self.groups}


def report(rows: Iterable[Hashable], k_threshold: int) -> Report:
    """k-anonymity of ``rows`` (one tuple of quasi-identifiers per patient)."""
    sizes = Counter(rows)
    if not sizes:
        return Report(None, 0, 0)
    below = sum(size for size in sizes.values() if size < k_threshold)
    return Report(min(sizes.values()), below, len(sizes))


@dataclass(frozen=True)
class Step:
    name: str
    after: Report
    centers: tuple[str, ...] = ()  # small_centers_other: the codes now "(other)"
    suppressed: int = 0  # suppression: the patients left out

    def as_dict(self) -> dict[str, Any]:
        described: dict[str, Any] = {"step": self.name, **self.after.as_dict()}
        if self.name == SMALL_CENTERS:
            described["centers"] = list(self.centers)
        if self.name == SUPPRESSION:
            described["suppressed_patients"] = self.suppressed
        return described


@dataclass(frozen=True)
class Disclosure:
    """The report before, the steps applied (each with k after it), those skipped and why, and
    the result: how the export writes the quasi-identifiers and whom it leaves out."""

    k_threshold: int
    generalize: bool
    requested: Generalization
    before: Report
    generalization: Generalization
    after: Report
    steps: tuple[Step, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    suppressed: frozenset[int] = field(default_factory=frozenset)
    # Relative dates count from the first non-Raynaud manifestation: a patient without one has
    # every date empty (the anchor is unknown). How many of the exported patients that is.
    undated: int = 0

    @property
    def date_mode(self) -> str:
        return self.generalization.date_mode

    @property
    def banded(self) -> bool:
        return self.generalization.banded

    def as_manifest(self) -> dict[str, Any]:
        return {
            "k_threshold": self.k_threshold,
            "unit": "patient",
            "quasi_identifiers": self.requested.names(),
            "before": self.before.as_dict(),
            "generalized": self.generalize,
            "steps": [step.as_dict() for step in self.steps],
            "skipped_steps": [{"step": name, "reason": why} for name, why in self.skipped],
            "birth": "5-year bands" if self.banded else "as the date mode writes it",
            "centers_as_other": sorted(self.generalization.other_centers),
            "date_mode": self.date_mode,
            "suppressed_patients": len(self.suppressed),
            "patients_without_dates": self.undated,
            "quasi_identifiers_after": self.generalization.names(),
            "after": self.after.as_dict(),
        }


def _small_centers(subjects: Sequence[Subject], small_center: int) -> frozenset[str]:
    sizes = Counter(subject.center for subject in subjects)
    return frozenset(center for center, size in sizes.items() if size < small_center)


def _next(
    name: str, state: Generalization, subjects: Sequence[Subject], *, small_center: int,
    calendar_dates: bool,
) -> Generalization | str:
    """The generalization after step ``name``, or why it does not apply."""
    if name == BIRTH_BAND:
        return replace(state, banded=True)
    if name == SMALL_CENTERS:
        small = _small_centers(subjects, small_center)
        if not small:
            return NO_SMALL_CENTER.format(limit=small_center)
        return replace(state, other_centers=small)
    if calendar_dates:
        return FHIR_KEEPS_DATES
    if state.date_mode == RELATIVE:
        return ALREADY_RELATIVE
    return replace(state, date_mode=RELATIVE)


def plan(
    subjects: Sequence[Subject],
    *,
    k_threshold: int,
    date_mode: str,
    generalize: bool,
    small_center: int,
    calendar_dates: bool = False,
) -> Disclosure:
    """The report of ``subjects`` exported with ``date_mode``; with ``generalize``, the steps
    (module docstring) applied until k >= ``k_threshold``. ``calendar_dates``: the format needs
    calendar dates (FHIR), so dates are never made relative."""
    requested = state = Generalization(date_mode)

    def measure(generalization: Generalization, of: Iterable[Subject]) -> Report:
        return report(map(generalization.values, of), k_threshold)

    before = current = measure(state, subjects)
    steps: list[Step] = []
    skipped: list[tuple[str, str]] = []
    suppressed: frozenset[int] = frozenset()
    if generalize:
        for name in STEPS[:-1]:
            if current.safe(k_threshold):
                break
            moved = _next(name, state, subjects, small_center=small_center,
                          calendar_dates=calendar_dates)
            if isinstance(moved, str):
                skipped.append((name, moved))
                continue
            state, current = moved, measure(moved, subjects)
            steps.append(Step(name, current, centers=tuple(sorted(moved.other_centers))
                              if name == SMALL_CENTERS else ()))
        if not current.safe(k_threshold):
            suppressed = _below(subjects, state.values, k_threshold)
            current = measure(state, (s for s in subjects if s.patient_id not in suppressed))
            steps.append(Step(SUPPRESSION, current, suppressed=len(suppressed)))
    undated = 0
    if state.date_mode == RELATIVE:
        undated = sum(1 for s in subjects
                      if s.first_onset is None and s.patient_id not in suppressed)
    return Disclosure(
        k_threshold=k_threshold,
        generalize=generalize,
        requested=requested,
        before=before,
        generalization=state,
        after=current,
        steps=tuple(steps),
        skipped=tuple(skipped),
        suppressed=suppressed,
        undated=undated,
    )


def _below(
    subjects: Sequence[Subject], values: Callable[[Subject], tuple], k_threshold: int
) -> frozenset[int]:
    """The patients whose group is smaller than ``k_threshold``."""
    rows = [values(subject) for subject in subjects]
    sizes = Counter(rows)
    return frozenset(
        subject.patient_id
        for subject, row in zip(subjects, rows, strict=True)
        if sizes[row] < k_threshold
    )
