"""The patient list's sortable columns: ``?sort=age`` or ``?sort=-age``, from an allow-list.

An unknown or malformed key sorts by the default (most recently updated first), never a 500.
Every column sorts in the database, so paging stays correct and the query count constant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Case, DateTimeField, F, IntegerField, QuerySet, Value, When
from django.db.models.expressions import ExpressionWrapper, OrderBy

from patients.partial_dates import MONTH, YEAR
from progression.models import SnapshotStatus

ONSET = "first_non_raynaud_onset"
# patients.partial_dates: a year is taken at 1 July (start + 181 days, 182 in a leap year; half
# a day more keeps the order against day-precision onsets in both), a month at the 15th.
_MIDPOINT_OFFSETS = {YEAR: timedelta(days=181, hours=12), MONTH: timedelta(days=14)}
# The most severe status first, as the status filter lists them.
_STATUS_RANK = {status: rank for rank, status in enumerate(SnapshotStatus.values)}


def _onset_midpoint():
    as_moment = DateTimeField()
    return Case(
        *(
            When(
                **{f"{ONSET}_precision": precision},
                then=ExpressionWrapper(F(ONSET) + offset, output_field=as_moment),
            )
            for precision, offset in _MIDPOINT_OFFSETS.items()
        ),
        default=ExpressionWrapper(F(ONSET) + timedelta(0), output_field=as_moment),
        output_field=as_moment,
    )


def _status_rank():
    return Case(
        *(
            When(progression_snapshot__status=status, then=Value(rank))
            for status, rank in _STATUS_RANK.items()
        ),
        default=Value(None),
        output_field=IntegerField(),
    )


@dataclass(frozen=True)
class Column:
    """A sortable column: its key, its header, and what ascending means in the database."""

    key: str
    label: str
    expression: object  # an F() or expression, ascending as people expect the column to read
    reverse: bool = False  # the expression ascends when the column descends (age: birth date)

    def order(self, descending: bool) -> OrderBy:
        expression = self.expression() if callable(self.expression) else self.expression
        if descending != self.reverse:
            return expression.desc(nulls_last=True)
        return expression.asc(nulls_last=True)


COLUMNS = {
    column.key: column
    for column in (
        Column("registry_id", "Registry id", F("registry_id")),
        Column("local_id", "Local id", F("local_id")),
        # Youngest first: the latest birth date.
        Column("age", "Age", F("birth_date"), reverse=True),
        # Shortest first: the latest onset (at the middle of its period, as computed).
        Column("duration", "Disease duration", _onset_midpoint, reverse=True),
        Column("status", "Progression", _status_rank),
        Column("last_visit", "Last visit", F("last_visit")),
        Column("updated", "Updated", F("updated_at")),
    )
}
DEFAULT_SORT = "-updated"


@dataclass(frozen=True)
class Sort:
    key: str
    descending: bool

    @property
    def param(self) -> str:
        return f"-{self.key}" if self.descending else self.key

    @property
    def is_default(self) -> bool:
        return self.param == DEFAULT_SORT


def parse_sort(text: str | None) -> Sort:
    """``"age"`` / ``"-age"`` among :data:`COLUMNS`; anything else is the default."""
    text = (text or "").strip()
    descending = text.startswith("-")
    key = text[1:] if descending else text
    if key not in COLUMNS:
        return parse_sort(DEFAULT_SORT)
    return Sort(key, descending)


def sorted_patients(patients: QuerySet, sort: Sort) -> QuerySet:
    """``patients`` in the column's order; the id breaks ties so that pages never overlap."""
    tie = "-id" if sort.descending else "id"
    return patients.order_by(COLUMNS[sort.key].order(sort.descending), tie)


def header(key: str, sort: Sort) -> dict:
    """A column header: its label, the ``sort`` a click asks for, and its ``aria-sort``."""
    active = sort.key == key
    return {
        "key": key,
        "label": COLUMNS[key].label,
        # A click on the sorted column reverses it; on another, sorts it ascending.
        "param": (key if sort.descending else f"-{key}") if active else key,
        "aria_sort": ("descending" if sort.descending else "ascending") if active else None,
    }
