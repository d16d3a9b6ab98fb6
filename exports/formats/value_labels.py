"""What an SPSS or Stata file says about its variables, derived from the export's columns (never
a hand-kept list): the variable's name in the file, its label with its unit, and the numeric
codes of its values with their labels. Pure; :mod:`exports.formats.labelled` writes the files.

Codes, defined once here: a category column's values are numbered 1, 2, ... in the order its
model field declares its choices; an integer field with choices (``digit``) keeps its own values;
booleans are 0 = false, 1 = true. An empty value (a blank choice, NULL) is missing.

Names: a name longer than the format allows keeps its last word and cuts the words before it
(``first_non_raynaud_onset_precision`` -> ``first_non_raynaud_o_precision`` in Stata); a name
that then collides, or is a reserved word, gets ``_2``, ``_3`` ... or ``_v``. Stata allows 32
characters, but pyreadstat names each value-label set after its variable plus a number of up to
three digits, and that name is limited to 32 too: Stata names are therefore cut at 29. SPSS
allows 64 bytes. The data dictionary of the export gives each variable's name in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from exports import codes
from exports.columns import BOOLEAN, CATEGORY, INTEGER, Column
from exports.models import Format

SPSS = Format.SPSS.value
STATA = Format.STATA.value
BOOLEAN_LABELS = {0: "No", 1: "Yes"}
BOOLEAN_VALUES = {0: "false", 1: "true"}  # as the CSV writes them
ELLIPSIS = "..."
_VALID_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class Limits:
    """What one file format accepts (UTF-8 bytes for labels; names are ASCII)."""

    name: int
    variable_label: int
    value_label: int
    reserved: frozenset[str]


# SPSS: IBM SPSS Statistics "Variable names" (64 bytes, these reserved keywords), variable
# labels 256 bytes, value labels 120 bytes. Stata 14+ (dta 118): names 32 characters (29 here,
# see above), variable labels 80 characters, value labels 32,000; its reserved names.
LIMITS = {
    SPSS: Limits(
        name=64, variable_label=256, value_label=120,
        reserved=frozenset(
            {"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"}
        ),
    ),
    STATA: Limits(
        name=29, variable_label=80, value_label=32_000,
        reserved=frozenset(
            {"_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int",
             "long", "_n", "_pi", "_pred", "_rc", "_skip", "strl", "using", "with"}
        ),
    ),
}


def fit(text: str, limit: int) -> str:
    """``text`` within ``limit`` UTF-8 bytes, cut on a character and ended by ``...``."""
    if len(text.encode()) <= limit:
        return text
    kept = text.encode()[: limit - len(ELLIPSIS)].decode(errors="ignore")
    return kept + ELLIPSIS


def _shortened(name: str, limit: int) -> str:
    """The last word kept whole, the words before it cut: the suffix (``_precision``, ``_day``,
    ``_mm``) is what tells related variables apart."""
    head, _, last = name.rpartition("_")
    room = limit - len(last) - 1
    if not head or room < len(last):  # no words, or a last word too long to keep whole
        return name[:limit].rstrip("_")
    return f"{head[:room].rstrip('_')}_{last}"


def _reserved(name: str, limits: Limits) -> bool:
    lowered = name.lower()
    return lowered in limits.reserved or bool(re.fullmatch(r"str\d+", lowered))


def file_names(names: list[str], format: str) -> dict[str, str]:
    """Each exported name and its name in a ``format`` file, in column order (deterministic)."""
    limits = LIMITS[format]
    taken = {name for name in names if len(name) <= limits.name}
    result: dict[str, str] = {}
    for name in names:
        if not _VALID_NAME.match(name):
            raise ValueError(f"{name!r} is not a variable name (a letter, then letters, digits, _)")
        candidate = name
        if len(name) > limits.name:
            candidate = _shortened(name, limits.name)
        if _reserved(candidate, limits):
            candidate = f"{candidate}_v"
        number = 2
        base = candidate
        while candidate in result.values() or (candidate != name and candidate in taken):
            suffix = f"_{number}"
            candidate = base[: limits.name - len(suffix)].rstrip("_") + suffix
            number += 1
        result[name] = candidate
    return result


def variable_label(column: Column, format: str) -> str:
    """The column's label with its unit: ``longest diameter (mm)``, ``sum of longest diameters
    (SLD, mm)``; a label whose parentheses already end with the unit is kept as it is."""
    label = column.label
    if column.unit:
        words = codes.UNIT_DISPLAY.get(column.unit, column.unit)
        for spelled in (column.unit, words):
            if label.endswith(f" {spelled}"):  # a verbose name made from "longest_diameter_mm"
                label = label[: -len(spelled) - 1]
                break
        if not (label.endswith(f"{column.unit})") or label.endswith(f"{words})")):
            label = f"{label[:-1]}, {words})" if label.endswith(")") else f"{label} ({words})"
    return fit(label, LIMITS[format].variable_label)


def coding(column: Column) -> dict[str, int]:
    """A category column's values and their codes (empty for every other column)."""
    if column.kind != CATEGORY:
        return {}
    return {str(value): number for number, value in enumerate(column.choices, start=1)}


def value_labels(column: Column, format: str) -> dict[int, str]:
    """The value labels of the column's codes (empty: a column without choices)."""
    limit = LIMITS[format].value_label
    if column.kind == BOOLEAN:
        return dict(BOOLEAN_LABELS)
    if column.kind not in (CATEGORY, INTEGER) or not column.choices:
        return {}
    labels = column.choice_labels or tuple(str(value) for value in column.choices)
    codes_ = (
        coding(column).values()
        if column.kind == CATEGORY
        else (int(value) for value in column.choices)
    )
    return {code: fit(label, limit) for code, label in zip(codes_, labels, strict=True)}


def codes_text(column: Column, format: str) -> str:
    """``1 = female (Female); 2 = male (Male)``: each code, the value the CSV writes, its label."""
    labels = value_labels(column, format)
    if column.kind == BOOLEAN:
        return "; ".join(f"{code} = {BOOLEAN_VALUES[code]} ({label})"
                         for code, label in labels.items())
    if column.kind == CATEGORY:
        values = {code: value for value, code in coding(column).items()}
        return "; ".join(f"{code} = {values[code]} ({label})" for code, label in labels.items())
    return "; ".join(f"{code} = {label}" for code, label in labels.items())


# Added to the data dictionary of an SPSS or Stata export.
DICTIONARY_COLUMNS = ("name_in_file", "codes")


def described(rows: list[dict[str, str]], columns: list[Column], format: str
              ) -> list[dict[str, str]]:
    """The dictionary rows of ``columns`` (same order) with each variable's name in the file and
    its codes."""
    names = file_names([column.name for column in columns], format)
    return [
        {**row, "name_in_file": names[column.name], "codes": codes_text(column, format)}
        for row, column in zip(rows, columns, strict=True)
    ]
