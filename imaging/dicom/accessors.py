"""Tiny accessors of a pydicom dataset: the value of a keyword, or None when it is absent,
empty or unreadable (as OpenREM's). The only reading of header values the pipeline does."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence as DicomSequence


def get_value(ds: Dataset, keyword: str) -> Any | None:
    """The value of `keyword`, or None when it is absent, empty or unreadable."""
    try:
        value = ds.get(keyword)
    except Exception:  # a malformed value fails on conversion, not on read
        return None
    empty = isinstance(value, str | bytes | list | MultiValue | DicomSequence) and not value
    return None if value is None or empty else value


def get_str(ds: Dataset, keyword: str) -> str | None:
    value = get_value(ds, keyword)
    if value is None:
        return None
    text = "\\".join(str(v) for v in value) if isinstance(value, MultiValue) else str(value)
    return text.strip() or None


def get_float(ds: Dataset, keyword: str) -> float | None:
    values = get_floats(ds, keyword)
    return values[0] if values else None


def get_floats(ds: Dataset, keyword: str) -> list[float] | None:
    value = get_value(ds, keyword)
    if value is None:
        return None
    items = value if isinstance(value, MultiValue | list) else [value]
    try:
        return [float(v) for v in items]
    except (TypeError, ValueError):
        return None


def get_int(ds: Dataset, keyword: str) -> int | None:
    value = get_float(ds, keyword)
    return int(value) if value is not None and math.isfinite(value) else None


def get_date(ds: Dataset, keyword: str) -> date | None:
    """A DA (YYYYMMDD; also the ACR-NEMA YYYY.MM.DD) or the date part of a DT."""
    text = get_str(ds, keyword)
    if text is None:
        return None
    digits = text.replace(".", "")[:8]
    try:
        return datetime.strptime(digits, "%Y%m%d").date()
    except ValueError:
        return None
