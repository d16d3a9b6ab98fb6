"""The progression engine's rules: DOMAIN.md, "Calcinosis progression: the registry's rules".

Pure Python (no Django). Every threshold is a setting (:class:`Rules`) that a request or a job
may override, and is returned with each result. The thresholds in force (the registry's
settings) are read by :mod:`progression.registry_rules`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

RULE_KEYS = ("absolute_floor_mm", "progression_fraction", "regression_fraction")
UNKNOWN_RULE = "unknown rule {key!r}: expected one of " + ", ".join(RULE_KEYS)
RULE_NOT_A_NUMBER = "{key} must be a finite number, not {value!r}"
RULE_FLOOR_NEGATIVE = "{key} must be >= 0 mm, not {value!r}"
RULE_FRACTION_RANGE = "{key} must be strictly between 0 and 1, not {value!r}"


@dataclass(frozen=True)
class Rules:
    """Thresholds of DOMAIN.md (defaults: 2 mm floor, +25 % progression, -25 % regression)."""

    absolute_floor_mm: float = 2.0
    progression_fraction: float = 0.25
    regression_fraction: float = 0.25

    def __post_init__(self) -> None:
        for key in RULE_KEYS:
            _check_rule(key, getattr(self, key))

    def as_dict(self) -> dict[str, float]:
        return {key: getattr(self, key) for key in RULE_KEYS}

    @classmethod
    def from_mapping(cls, data: Mapping[str, object], base: Rules | None = None) -> Rules:
        """``base`` (or the defaults) overridden by ``data``; None values are ignored.

        Numbers may be given as numeric strings (query parameters). ValueError names the key.
        """
        values: dict[str, Any] = (base or cls()).as_dict()
        for key, raw in data.items():
            if key not in values:
                raise ValueError(UNKNOWN_RULE.format(key=key))
            if raw is not None:
                values[key] = _to_number(key, raw)
        return cls(**values)


def _to_number(key: str, raw: object) -> float:
    if isinstance(raw, str):
        try:
            return float(raw)
        except ValueError:
            raise ValueError(RULE_NOT_A_NUMBER.format(key=key, value=raw)) from None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValueError(RULE_NOT_A_NUMBER.format(key=key, value=raw))
    return float(raw)


def _check_rule(key: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(RULE_NOT_A_NUMBER.format(key=key, value=value))
    if key == "absolute_floor_mm" and value < 0:
        raise ValueError(RULE_FLOOR_NEGATIVE.format(key=key, value=value))
    if key != "absolute_floor_mm" and not 0 < value < 1:
        raise ValueError(RULE_FRACTION_RANGE.format(key=key, value=value))
