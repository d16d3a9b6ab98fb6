"""What an exported column is: its name, type, unit, label and allowed values, read from the model
field it comes from (verbose name, choices, validators) so the data dictionary is generated,
never written by hand. :mod:`exports.levels` lists the columns of each level.

Kinds: ``string``, ``category`` (a registry vocabulary), ``integer``, ``number``, ``boolean``,
``date`` (ISO 8601). In the ``relative`` date mode a date column becomes an ``integer`` of days.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, replace

from django.core import validators
from django.db import models

from exports import codes
from exports.pseudonyms import KEEP, RELATIVE

STRING = "string"
CATEGORY = "category"
INTEGER = "integer"
NUMBER = "number"
BOOLEAN = "boolean"
DATE = "date"
KINDS = (STRING, CATEGORY, INTEGER, NUMBER, BOOLEAN, DATE)

# How a value reaches the file (rendered by exports.sql).
PLAIN = "plain"  # the SQL expression as it is
DATE_VALUE = "date"  # a date of the patient: kept, shifted or made relative
MAPPED = "mapped"  # computed in Python per patient, read from the temporary patient map
MAPPED_DATE = "mapped_date"  # a date computed in Python per patient (already transformed)
YEARS_SINCE_ANCHOR = "years"  # years from the anchor (first non-Raynaud onset) to a date
JSON_INTEGER = "json_integer"  # the integer under ``json_key`` of the JSON column ``sql``

_INTEGER_FIELDS = (models.IntegerField, models.SmallIntegerField, models.BigIntegerField)
_POSITIVE_FIELDS = (
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
)
# Modules whose TextChoices / IntegerChoices classes are the registry's vocabularies.
VOCABULARY_MODULES = ("patients.choices", "imaging.choices")


@dataclass(frozen=True)
class Column:
    """One exported variable. ``sql`` is its expression over the level's query; ``imports_to``
    is the model field the import writes it to ("" when the import ignores it)."""

    name: str
    kind: str
    label: str
    sql: str = ""
    how: str = PLAIN
    unit: str = ""
    allowed: str = ""
    code_system: str = ""
    description: str = ""
    imports_to: str = ""
    choices: tuple[str, ...] = ()
    relative_name: str = ""
    # The label of each of ``choices`` (same order); empty: the values are their own labels.
    choice_labels: tuple[str, ...] = ()
    json_key: str = ""  # JSON_INTEGER: the key read (fixed names, never user input)
    # False: left out of researchers' exports and dictionaries (data the access rule does not
    # show them, e.g. consent records: docs/governance.md).
    for_researchers: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}")

    def for_mode(self, date_mode: str) -> Column:
        """The column as it is in an export with ``date_mode`` (relative dates are days)."""
        if self.how not in (DATE_VALUE, MAPPED_DATE) or date_mode != RELATIVE:
            return self
        return replace(
            self,
            name=self.relative_name or f"{self.name}_day",
            kind=INTEGER,
            unit=codes.DAYS,
            description=(
                f"{self.description} Days since the first non-Raynaud manifestation (the "
                "midpoint of a partial date); empty when that onset is unknown."
            ).strip(),
        )


def _kind_of(model_field: models.Field) -> str:
    if model_field.choices and not isinstance(model_field, models.IntegerField):
        return CATEGORY
    if isinstance(model_field, models.BooleanField):
        return BOOLEAN
    if isinstance(model_field, models.DateField):
        return DATE
    if isinstance(model_field, _INTEGER_FIELDS):
        return INTEGER
    if isinstance(model_field, models.FloatField | models.DecimalField):
        return NUMBER
    return STRING


def _range_of(model_field: models.Field) -> str:
    """``0-10`` from the field's validators (and ``>= 0`` for positive integer fields)."""
    low = high = None
    for validator in model_field.validators:
        if isinstance(validator, validators.MinValueValidator):
            low = validator.limit_value
        if isinstance(validator, validators.MaxValueValidator):
            high = validator.limit_value
    if low is None and isinstance(model_field, _POSITIVE_FIELDS):
        low = 0
    if low is not None and high is not None:
        return f"{low}-{high}"
    if low is not None:
        return f">= {low}"
    return f"<= {high}" if high is not None else ""


def choices_text(choices) -> str:
    """``value = Label; ...``, an empty value last as ``empty = Label``."""
    pairs = list(choices)
    text = "; ".join(f"{value} = {label}" for value, label in pairs if value != "")
    empty = [str(label) for value, label in pairs if value == ""]
    return f"{text}; empty = {empty[0]}" if empty else text


def vocabulary_of(model_field: models.Field) -> str:
    """Where the allowed values are defined: the registry's choices class with these values."""
    if not model_field.choices:
        return ""
    wanted = [(value, str(label)) for value, label in model_field.choices]
    for module_name in VOCABULARY_MODULES:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, models.Choices)
                and value.__module__ == module_name
                and [(v, str(label)) for v, label in value.choices] == wanted
            ):
                return f"registry vocabulary {module_name}.{name}"
    return "registry vocabulary"


def from_field(
    model: type[models.Model],
    field_name: str,
    *,
    sql: str,
    name: str | None = None,
    how: str = PLAIN,
    unit: str = "",
    codes_by_value: dict | None = None,
    description: str = "",
    imports: bool = True,
    relative_name: str = "",
    label: str | None = None,
) -> Column:
    """A column holding ``model.field_name``, described from the field itself."""
    model_field = model._meta.get_field(field_name)
    kind = _kind_of(model_field)
    allowed = ""
    values: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    if model_field.choices:
        allowed = choices_text(model_field.choices)
        values = tuple(str(value) for value, _label in model_field.choices if value != "")
        labels = tuple(str(label) for value, label in model_field.choices if value != "")
        if model_field.blank and "empty =" not in allowed:
            allowed += "; empty = not recorded"
    elif kind == BOOLEAN:
        allowed = "true; false" + ("; empty = not assessed" if model_field.null else "")
    elif kind in (INTEGER, NUMBER):
        allowed = _range_of(model_field)
    system = vocabulary_of(model_field)
    if codes_by_value:
        system = f"{system}; {codes.describe(codes_by_value)}".strip("; ")
    return Column(
        name=name or field_name,
        kind=kind,
        label=label or str(model_field.verbose_name),
        sql=sql,
        how=how,
        unit=unit,
        allowed=allowed,
        code_system=system,
        description=description or str(model_field.help_text or ""),
        imports_to=field_name if imports else "",
        choices=values,
        relative_name=relative_name,
        choice_labels=labels,
    )


def for_requester(columns: list[Column], *, research: bool) -> list[Column]:
    """``columns`` as a researcher's export holds them (or all of them for anyone else)."""
    return [column for column in columns if column.for_researchers or not research]


def for_mode(columns: list[Column], date_mode: str) -> list[Column]:
    return [column.for_mode(date_mode) for column in columns]


BIRTH_SQL = "m.birth"  # the patient map's birth, as the date mode (or the band) writes it
BIRTH_YEAR_BAND = Column(
    "birth_year_band",
    STRING,
    "year of birth (5-year band)",
    sql=BIRTH_SQL,
    how=MAPPED,
    allowed="YYYY-YYYY, five calendar years from a multiple of 5 (e.g. 1940-1944)",
    description="Generalized for re-identification risk (exports.disclosure; the manifest's "
    "re_identification): the birth year as its 5-year band, whatever the date mode.",
)


def with_birth_band(columns: list[Column]) -> list[Column]:
    """``columns`` with the birth (any date mode) as its 5-year band."""
    return [BIRTH_YEAR_BAND if column.sql == BIRTH_SQL else column for column in columns]


def birth_column(date_mode: str) -> Column:
    """The birth date as the date mode allows it (year, shifted date, or days)."""
    if date_mode == KEEP:
        return Column(
            "birth_year",
            INTEGER,
            "year of birth",
            sql=BIRTH_SQL,
            how=MAPPED,
            description="The birth date leaves the registry as its year only.",
            imports_to="birth_date",
        )
    if date_mode == RELATIVE:
        return Column(
            "birth_day",
            INTEGER,
            "birth",
            sql=BIRTH_SQL,
            how=MAPPED,
            unit=codes.DAYS,
            description="Days from the first non-Raynaud manifestation to birth (negative).",
        )
    return Column(
        "birth_date",
        DATE,
        "birth date (shifted)",
        sql=BIRTH_SQL,
        how=MAPPED,
        description="Shifted with the patient's other dates.",
        imports_to="birth_date",
    )
