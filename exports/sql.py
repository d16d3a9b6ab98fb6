"""The SQL of the exports: temporary maps and one SELECT per level that already pseudonymizes and
transforms dates, so PostgreSQL's ``COPY (SELECT ...) TO STDOUT`` writes the CSV itself and no
Python loop touches a row (shared/RECIPES.md: COPY ~825,000 rows/s, ORM + csv ~46,000).

HMAC is not available in SQL without pgcrypto, so pseudonyms, date offsets and the relative
anchor are computed in Python once per patient (:mod:`exports.pseudonyms`) and loaded into a
temporary table (``export_patient_map``) that every level joins. The same text runs on SQLite
(the embedded default); only date arithmetic differs (:class:`Dialect`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from exports.clinical_columns import CONSENT_DATES, consent_dates_source
from exports.columns import (
    BOOLEAN,
    DATE_VALUE,
    JSON_INTEGER,
    MAPPED,
    NUMBER,
    STRING,
    YEARS_SINCE_ANCHOR,
    Column,
)
from exports.formats.spreadsheet_safety import neutralise_sql
from exports.pseudonyms import KEEP, RELATIVE, SHIFT

PATIENT_MAP = "export_patient_map"
RADIOGRAPH_MAP = "export_radiograph_map"
TRACK_MAP = "export_track_map"
TEMPORARY_TABLES = (PATIENT_MAP, RADIOGRAPH_MAP, TRACK_MAP)
PATIENT_MAP_COLUMNS = (
    "patient_id",
    "pseudonym",
    "offset_days",
    "anchor",
    "birth",
    "raynaud_onset",
    "first_onset",
    "center",
)

DAYS_PER_YEAR = 365.25  # patients.duration.DAYS_PER_YEAR
YEARS_DECIMALS = 3  # as the progression engine rounds years


@dataclass(frozen=True)
class Dialect:
    """Date arithmetic of PostgreSQL and SQLite (dates are ``date`` there, ISO text here)."""

    vendor: str

    @property
    def postgres(self) -> bool:
        return self.vendor == "postgresql"

    def shifted(self, expression: str) -> str:
        if self.postgres:
            return f"({expression} + m.offset_days)"
        return f"date({expression}, printf('%+d days', m.offset_days))"

    def days_since_anchor(self, expression: str) -> str:
        if self.postgres:
            return f"({expression} - m.anchor)"
        return f"CAST(julianday({expression}) - julianday(m.anchor) AS INTEGER)"

    def years_since_anchor(self, expression: str) -> str:
        days = self.days_since_anchor(expression)
        if self.postgres:
            return f"CAST(round({days} / {DAYS_PER_YEAR}, {YEARS_DECIMALS}) AS double precision)"
        return f"round({days} / {DAYS_PER_YEAR}, {YEARS_DECIMALS})"

    def json_integer(self, expression: str, key: str) -> str:
        """The integer under ``key`` of the JSON object ``expression`` (jsonb here, JSON text on
        SQLite); NULL when the object or the key is absent."""
        if self.postgres:
            return f"CAST({expression} ->> '{key}' AS integer)"
        return f"CAST(json_extract({expression}, '$.{key}') AS INTEGER)"

    def as_float(self, expression: str) -> str:
        kind = "double precision" if self.postgres else "REAL"
        return f"CAST({expression} AS {kind})"

    def date_type(self, date_mode: str) -> str:
        return "integer" if date_mode == RELATIVE else "date"

    def birth_type(self, date_mode: str) -> str:
        return "date" if date_mode == SHIFT else "integer"

    def text_order(self, expression: str) -> str:
        """Byte order on both databases (PostgreSQL would otherwise use the locale's)."""
        return f'{expression} COLLATE "C"' if self.postgres else expression

    def transform_date(self, expression: str, date_mode: str) -> str:
        if date_mode == KEEP:
            return expression
        if date_mode == SHIFT:
            return self.shifted(expression)
        return self.days_since_anchor(expression)


def render(column: Column, dialect: Dialect, date_mode: str, *, text: bool) -> str:
    """``column``'s SQL expression. ``text``: for a spreadsheet-safe CSV (booleans as
    true/false, free-form text neutralised); otherwise typed values (Parquet, XLSX, FHIR)."""
    expression = column.sql
    if column.how == DATE_VALUE:
        expression = dialect.transform_date(expression, date_mode)
    elif column.how == YEARS_SINCE_ANCHOR:
        expression = dialect.years_since_anchor(expression)
    elif column.how == JSON_INTEGER:
        expression = dialect.json_integer(expression, column.json_key)
    elif column.kind == NUMBER:
        expression = dialect.as_float(expression)
    if text and column.kind == BOOLEAN:
        expression = (
            f"CASE WHEN {expression} THEN 'true' WHEN NOT {expression} THEN 'false' END"
        )
    if text and column.kind == STRING and column.how != MAPPED:  # pseudonyms start with "P-"
        expression = neutralise_sql(expression, dialect.vendor)
    return f'{expression} AS "{column.name}"'


def select(columns: list[Column], source: str, order: str, dialect: Dialect, date_mode: str,
           *, text: bool) -> str:
    listed = ",\n       ".join(render(c, dialect, date_mode, text=text) for c in columns)
    ordering = f"\nORDER BY {order}" if order else ""
    return f"SELECT {listed}\nFROM {source}{ordering}"


def create_patient_map(dialect: Dialect, date_mode: str, *, banded: bool = False) -> str:
    """``banded``: the birth is a 5-year band (text, exports.disclosure); ``center`` is the
    center's code as the export writes it ("(other)" for a small center once generalized)."""
    dates = dialect.date_type(date_mode)
    birth = "varchar(9)" if banded else dialect.birth_type(date_mode)
    return (
        f"CREATE TEMPORARY TABLE {PATIENT_MAP} (patient_id bigint PRIMARY KEY, "
        f"pseudonym varchar(32) NOT NULL, offset_days integer NOT NULL, anchor date, "
        f"birth {birth}, raynaud_onset {dates}, first_onset {dates}, "
        f"center varchar(20) NOT NULL, imaging boolean NOT NULL DEFAULT TRUE)"
    )


def withhold_imaging(condition: str) -> str:
    """Mark the mapped patients failing ``condition`` (on ``patient_id``: a research export's
    radiographs consent): their radiographs, lesions, tracks and progression stay out."""
    return f"UPDATE {PATIENT_MAP} SET imaging = FALSE WHERE NOT {condition}"


WITHHELD_COUNT = f"SELECT count(*) FROM {PATIENT_MAP} WHERE NOT imaging"


def create_radiograph_map(dialect: Dialect, date_mode: str) -> list[str]:
    """Each selected radiograph's ordinal per patient (by date) and its transformed date, so the
    lesion query joins one small table instead of computing a window over every lesion. No
    index: every query reads it whole (a hash join), and building one would cost more. Only
    the radiographs of patients whose imaging is not withheld (:func:`withhold_imaging`)."""
    acquired = dialect.transform_date("r.acquired_on", date_mode)
    return [
        f"CREATE TEMPORARY TABLE {RADIOGRAPH_MAP} (radiograph_id bigint NOT NULL, "
        f"patient_id bigint NOT NULL, n integer NOT NULL, pseudonym varchar(32) NOT NULL, "
        f"acquired {dialect.date_type(date_mode)}, body_region varchar(10) NOT NULL, "
        f"laterality varchar(10) NOT NULL, view varchar(10) NOT NULL)",
        f"INSERT INTO {RADIOGRAPH_MAP} SELECT r.id, r.patient_id, row_number() OVER "
        f"(PARTITION BY r.patient_id ORDER BY r.acquired_on, r.id), m.pseudonym, {acquired}, "
        f"r.body_region, r.laterality, r.view FROM imaging_radiograph r "
        f"JOIN {PATIENT_MAP} m ON m.patient_id = r.patient_id WHERE m.imaging",
        f"ANALYZE {RADIOGRAPH_MAP}",  # without statistics the planner hashes the lesions
    ]


def create_track_map() -> list[str]:
    return [
        f"CREATE TEMPORARY TABLE {TRACK_MAP} (track_id bigint NOT NULL, n integer NOT NULL)",
        f"INSERT INTO {TRACK_MAP} SELECT t.id, row_number() OVER "
        f"(PARTITION BY t.patient_id ORDER BY t.id) FROM imaging_lesiontrack t "
        f"JOIN {PATIENT_MAP} m ON m.patient_id = t.patient_id WHERE m.imaging",
        f"ANALYZE {TRACK_MAP}",
    ]


# FROM clause and ORDER BY of each level's query (aliases: see exports.levels).
SOURCES = {
    "patients": (
        f"{PATIENT_MAP} m JOIN patients_patient p ON p.id = m.patient_id "
        f"LEFT JOIN {consent_dates_source(PATIENT_MAP)} {CONSENT_DATES} "
        f"ON {CONSENT_DATES}.patient_id = m.patient_id",
        "{pseudonym}",
    ),
    "visits": (
        f"patients_visit v JOIN {PATIENT_MAP} m ON m.patient_id = v.patient_id",
        "{pseudonym}, v.date, v.visit_type",
    ),
    "visits_wide": (
        f"patients_visit v JOIN {PATIENT_MAP} m ON m.patient_id = v.patient_id "
        "JOIN patients_patient p ON p.id = v.patient_id",
        "{pseudonym}, v.date, v.visit_type",
    ),
    "treatments": (
        f"patients_calcinosistreatment t JOIN {PATIENT_MAP} m ON m.patient_id = t.patient_id "
        "LEFT JOIN patients_visit v ON v.id = t.visit_id",
        "{pseudonym}, t.started_on, t.id",
    ),
    "radiographs": (
        f"{RADIOGRAPH_MAP} rm JOIN imaging_radiograph r ON r.id = rm.radiograph_id "
        f"JOIN {PATIENT_MAP} m ON m.patient_id = rm.patient_id",
        "{pseudonym}, rm.n",
    ),
    "lesions": (
        f"imaging_calcinosislesion l JOIN {RADIOGRAPH_MAP} rm ON rm.radiograph_id = "
        f"l.radiograph_id LEFT JOIN {TRACK_MAP} tm ON tm.track_id = l.track_id",
        "{radiograph_pseudonym}, rm.n, l.id",
    ),
    # Through the radiograph map: no findings of a patient whose imaging is withheld.
    "findings": (
        f"imaging_radiographicfinding f JOIN {RADIOGRAPH_MAP} rm "
        "ON rm.radiograph_id = f.radiograph_id",
        "{radiograph_pseudonym}, rm.n, f.id",
    ),
}
COUNT_SOURCES = {
    "patients": PATIENT_MAP,
    "visits": f"patients_visit v JOIN {PATIENT_MAP} m ON m.patient_id = v.patient_id",
    "treatments": f"patients_calcinosistreatment t JOIN {PATIENT_MAP} m "
    "ON m.patient_id = t.patient_id",
    "radiographs": RADIOGRAPH_MAP,
    "lesions": f"imaging_calcinosislesion l JOIN {RADIOGRAPH_MAP} rm "
    "ON rm.radiograph_id = l.radiograph_id",
    "findings": SOURCES["findings"][0],
}
COUNT_SOURCES["visits_wide"] = COUNT_SOURCES["visits"]


def level_select(level: str, columns: list[Column], dialect: Dialect, date_mode: str, *,
                 text: bool, ordered: bool = True) -> str:
    source, order = SOURCES[level]
    order = order.format(
        pseudonym=dialect.text_order("m.pseudonym"),
        radiograph_pseudonym=dialect.text_order("rm.pseudonym"),
    )
    return select(columns, source, order if ordered else "", dialect, date_mode, text=text)


def level_count(level: str, dialect: Dialect) -> str:
    """The level's row count: exact on SQLite, the planner's estimate on PostgreSQL (counting a
    million lesions costs a fifth of exporting them; progress only needs the order of
    magnitude, and the finished job records the exact rows)."""
    if dialect.postgres:
        return f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {COUNT_SOURCES[level]}"
    return f"SELECT count(*) FROM {COUNT_SOURCES[level]}"


def count_value(value) -> int:
    """The result of :func:`level_count`: a count, or EXPLAIN's JSON plan."""
    if isinstance(value, int):
        return value
    plan = value if isinstance(value, list) else json.loads(value)
    return int(plan[0]["Plan"]["Plan Rows"])
