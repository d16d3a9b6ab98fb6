"""The progression engine's rules (DOMAIN.md: every threshold is a setting a request may
override, and the values used are returned with every result): overrides change the grading,
and bad values are refused naming the key.

Pure: no database. Defaults: floor 2 mm, progression and regression fraction 0.25.
"""

from __future__ import annotations

import math

import pytest

from progression.engine.rules import (
    RULE_FLOOR_NEGATIVE,
    RULE_FRACTION_RANGE,
    RULE_NOT_A_NUMBER,
    UNKNOWN_RULE,
    Rules,
)
from tests.progression.engine.cases import (
    D1,
    D2,
    lesion,
    only_track,
    run,
    statuses,
    track_statuses,
    xr,
)

# --- Rules -------------------------------------------------------------------------------------


def test_rule_overrides_change_the_grading_and_are_returned():
    """Floor 1 mm and 10 %: 8 -> 9 (delta 1 >= 1 and >= 0.8) progresses; by default it is stable."""
    radiographs, lesions = [xr(1, D1), xr(2, D2)], [lesion(11, 1, 8.0), lesion(21, 2, 9.0)]
    assert statuses(run(radiographs, lesions)) == ["baseline", "stable"]  # 1 < 2 mm
    rules = Rules.from_mapping({"absolute_floor_mm": "1", "progression_fraction": 0.1})
    result = run(radiographs, lesions, rules=rules)
    assert track_statuses(only_track(result)) == ["baseline", "progressed"]
    assert statuses(result) == ["baseline", "progression"]
    assert result.rules.as_dict() == {
        "absolute_floor_mm": 1.0, "progression_fraction": 0.1, "regression_fraction": 0.25,
    }  # fmt: skip
    assert result.to_dict()["rules"] == result.rules.as_dict()


def test_regression_fraction_override():
    """Regression fraction 0.5: 8 -> 6 (fall 2 < 0.5 * 8 = 4; 6 > 4) is no longer regression."""
    rules = Rules(regression_fraction=0.5)
    result = run([xr(1, D1), xr(2, D2)], [lesion(11, 1, 8.0), lesion(21, 2, 6.0)], rules=rules)
    assert track_statuses(only_track(result)) == ["baseline", "stable"]
    assert statuses(result) == ["baseline", "stable"]


def test_rules_from_mapping_keeps_the_base_and_ignores_none():
    base = Rules(absolute_floor_mm=3.0)
    rules = Rules.from_mapping({"regression_fraction": 0.3, "progression_fraction": None}, base)
    assert rules == Rules(absolute_floor_mm=3.0, progression_fraction=0.25, regression_fraction=0.3)


@pytest.mark.parametrize(
    ("key", "value", "template", "shown"),
    [
        ("absolute_floor_mm", -0.5, RULE_FLOOR_NEGATIVE, -0.5),
        ("progression_fraction", 0, RULE_FRACTION_RANGE, 0.0),
        ("regression_fraction", 1, RULE_FRACTION_RANGE, 1.0),
        ("progression_fraction", "a", RULE_NOT_A_NUMBER, "a"),
        ("absolute_floor_mm", True, RULE_NOT_A_NUMBER, True),
        ("absolute_floor_mm", "nan", RULE_NOT_A_NUMBER, math.nan),
    ],
)
def test_rules_from_mapping_rejects_bad_values_naming_the_key(key, value, template, shown):
    with pytest.raises(ValueError) as error:
        Rules.from_mapping({key: value})
    assert str(error.value) == template.format(key=key, value=shown)


def test_rules_from_mapping_rejects_an_unknown_key():
    with pytest.raises(ValueError) as error:
        Rules.from_mapping({"floor": 2})
    assert str(error.value) == UNKNOWN_RULE.format(key="floor")


def test_rules_floor_zero_is_allowed():
    assert Rules.from_mapping({"absolute_floor_mm": 0}).absolute_floor_mm == 0.0
