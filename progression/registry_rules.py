"""The registry's progression rules (settings) and the overrides a request or command gives."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.conf import settings

from progression.engine.rules import Rules

BAD_RULE_PAIR = "rules are given as key=value, not {pair!r}"


def registry_rules() -> Rules:
    """The thresholds in force (``REGISTRY_PROGRESSION_RULES``); every stored result says which
    rules it used, so a snapshot computed under other rules reads as stale."""
    return Rules.from_mapping(settings.REGISTRY_PROGRESSION_RULES)


def rules_with(overrides: Mapping[str, object] | Rules | None) -> Rules:
    """The registry rules overridden by ``overrides`` (query parameters or a job's rules).

    ValueError names the offending key (:data:`progression.engine.rules.UNKNOWN_RULE` and friends).
    """
    if isinstance(overrides, Rules):
        return overrides
    return Rules.from_mapping(overrides or {}, base=registry_rules())


def parse_rule_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """``["progression_fraction=0.3"]`` -> ``{"progression_fraction": "0.3"}`` (command line)."""
    parsed = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(BAD_RULE_PAIR.format(pair=pair))
        parsed[key.strip()] = value.strip()
    return parsed
