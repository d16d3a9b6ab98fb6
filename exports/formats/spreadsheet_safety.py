"""Spreadsheet formula injection: a text cell beginning with ``=``, ``+``, ``-`` or ``@`` (or a
tab or carriage return, OWASP "CSV Injection") is run as a formula by Excel and LibreOffice.
Such cells get a leading single quote in CSV and XLSX; numbers are never text, so a negative
number is never touched. The import removes the quote again (:func:`restore`).
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise(value: Any) -> Any:
    """``value`` with a leading quote if it is text starting like a formula; else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return QUOTE + value
    return value


def restore(text: str) -> str:
    """The cell as it was before :func:`neutralise` (the quote removed only where it added one)."""
    if text.startswith(QUOTE) and text[1:2] and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def neutralise_sql(expression: str, vendor: str) -> str:
    """The same rule as a SQL expression, so ``COPY`` writes neutralised cells itself."""
    control = "chr(9), chr(13)" if vendor == "postgresql" else "char(9), char(13)"
    starts = "'=', '+', '-', '@', " + control
    return (
        f"CASE WHEN substr({expression}, 1, 1) IN ({starts}) "
        f"THEN '''' || {expression} ELSE {expression} END"
    )
