"""The digit/segment picker drawn as a hand (SVG), for the radiograph viewer."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()

DIGIT_NAMES = {1: "thumb", 2: "index", 3: "middle", 4: "ring", 5: "little"}
FINGER_SEGMENTS = ["distal_phalanx", "middle_phalanx", "proximal_phalanx", "metacarpal"]
THUMB_SEGMENTS = ["distal_phalanx", "proximal_phalanx", "metacarpal"]
HEIGHTS = {"distal_phalanx": 26, "middle_phalanx": 30, "proximal_phalanx": 38, "metacarpal": 56}


def _segments(digit: int, x: float, bottom: float) -> list[tuple]:
    names = THUMB_SEGMENTS if digit == 1 else FINGER_SEGMENTS
    shapes, y = [], bottom
    for name in reversed(names):  # from the metacarpal up to the tip
        height = HEIGHTS[name]
        y -= height + 3
        label = f"Digit {digit} ({DIGIT_NAMES[digit]}), {name.replace('_', ' ')}"
        shapes.append((x, y, height, digit, name, label))
    return shapes


@register.simple_tag
def hand_picker(side: str):
    """Fingers as columns of segments; palm-down (PA) orientation: on a left hand the thumb is
    on the right of the picture, as on the radiograph."""
    order = [5, 4, 3, 2, 1] if side != "right" else [1, 2, 3, 4, 5]
    bottoms = {1: 232, 2: 200, 3: 195, 4: 200, 5: 210}
    shapes = []
    for column, digit in enumerate(order):
        shapes += _segments(digit, 20 + column * 44, bottoms[digit])
    rects = format_html_join(
        "",
        '<rect class="seg" x="{}" y="{}" width="34" height="{}" rx="9" tabindex="0" role="button" '
        'data-digit="{}" data-segment="{}" aria-label="{}"><title>{}</title></rect>',
        ((x, y, h, d, s, label, label) for x, y, h, d, s, label in shapes),
    )
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" class="digit-label" text-anchor="middle" aria-hidden="true">{}</text>',
        ((37 + column * 44, bottoms[digit] + 14, digit) for column, digit in enumerate(order)),
    )
    carpal = mark_safe(  # a constant: nothing interpolated
        '<rect class="seg" x="20" y="252" width="210" height="40" rx="14" tabindex="0" '
        'role="button" data-digit="" data-segment="carpal" aria-label="Carpal bones">'
        "<title>Carpal bones</title></rect>"
    )
    return format_html(
        '<svg class="hand" viewBox="0 0 250 300" role="group" '
        'aria-label="Site on the {} hand: choose a digit segment">{}{}{}</svg>',
        side,
        rects,
        labels,
        carpal,
    )
