"""Pixel end points to mm (pure)."""

import re

import pytest

from imaging.measurement import INVALID_AXIS, ZERO_AXIS, axis_length_mm, parse_axis


def test_horizontal_axis_uses_column_spacing():
    """150 px along x at 0.1 mm per column = 15.0 mm (the row spacing does not matter)."""
    assert axis_length_mm(((100, 100), (250, 100)), (0.2, 0.1)) == pytest.approx(15.0)


def test_diagonal_axis_with_anisotropic_spacing():
    """dx 30 px * 0.1 = 3 mm, dy 20 px * 0.2 = 4 mm: hypotenuse 5 mm."""
    assert axis_length_mm(((0, 0), (30, 20)), (0.2, 0.1)) == pytest.approx(5.0)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "1,2",
        [[1, 2]],
        [[1, 2], [3]],
        [[1, 2], ["a", 3]],
        [[-1, 2], [3, 4]],
        [[True, 2], [3, 4]],
        [[float("nan"), 2], [3, 4]],
    ],
)
def test_malformed_axes_are_refused(value):
    with pytest.raises(ValueError, match=re.escape(INVALID_AXIS)):
        parse_axis(value)


def test_zero_length_axis_is_refused():
    with pytest.raises(ValueError, match=ZERO_AXIS):
        parse_axis([[5, 5], [5, 5]])
