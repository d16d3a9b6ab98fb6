"""The cohort page's charts, as SVG strings for inline use in the page (no plotting dependency).

- :func:`kaplan_meier_geometry` (pure): where the product-limit steps (Kaplan & Meier, J Am Stat
  Assoc 1958;53:457-481), the censoring marks and the yearly ticks fall. Under each tick the
  number at risk, as survival plots print it (Pocock, Clayton & Altman, Lancet 2002;359:1686-9):
  the patients still followed and free of progression just before that time.
- :func:`kaplan_meier_page_svg`: that geometry drawn, named for assistive technology (``<title>``
  and ``<desc>``, ``role="img"``); the page prints the same steps in a table beside it.
- :func:`bar_width`: the status counts' bars.

Everything is drawn with presentation attributes: no ``style`` attribute or element, nothing the
page's Content-Security-Policy (``style-src 'self'``) would refuse.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

WIDTH, HEIGHT = 720, 340
LEFT, RIGHT = 78, 28  # room for the "At risk" label and the last tick's number
TOP, PLOT_HEIGHT = 20, 220
BOTTOM = TOP + PLOT_HEIGHT
FONT = 'font-family="system-ui, Helvetica, Arial, sans-serif"'
CURVE = "#b3261e"
NO_FOLLOW_UP = "No patient has follow-up radiographs yet: no curve to draw."


@dataclass(frozen=True)
class Tick:
    """A whole year on the x axis and the number at risk printed under it."""

    year: int
    x: float
    at_risk: str


@dataclass(frozen=True)
class KaplanMeierGeometry:
    x_max_years: int
    path: str  # SVG path data of the step curve, from (0, 100 %)
    censored: list[tuple[float, float]]  # where patients left the risk set without an event
    ticks: list[Tick]
    end: tuple[float, float, float]  # x, y and proportion where the curve ends


def x_of(time_years: float, x_max_years: float) -> float:
    return LEFT + time_years / x_max_years * (WIDTH - LEFT - RIGHT)


def y_of(proportion: float) -> float:
    return BOTTOM - proportion * PLOT_HEIGHT


def kaplan_meier_geometry(
    km: Mapping[str, Any], *, hidden_at_risk: str | None = None
) -> KaplanMeierGeometry:
    """Geometry of ``kaplan_meier_json`` output (``steps`` and yearly ``at_risk`` rows).

    The axis ends at the whole year at or after the last step or at-risk row (at least 1). A
    year without an at-risk row has nobody left at risk ("0"), unless rows were suppressed for a
    researcher: then it shows ``hidden_at_risk`` (e.g. "<5"), since 0 and 4 look alike there.
    """
    steps: Sequence[Mapping[str, Any]] = km.get("steps", [])
    rows = {int(row["time_years"]): row["at_risk"] for row in km.get("at_risk", [])}
    last = max([1.0, *(step["time_years"] for step in steps), *rows])
    x_max = math.ceil(last)
    path = [f"M{x_of(0, x_max):.1f},{y_of(1):.1f}"]
    censored = []
    survival, x = 1.0, x_of(0, x_max)
    for step in steps:
        x = x_of(step["time_years"], x_max)
        survival = step["survival"]
        path += [f"H{x:.1f}", f"V{y_of(survival):.1f}"]
        if step["censored"]:
            censored.append((x, y_of(survival)))
    ticks = [
        Tick(year, x_of(year, x_max), str(rows[year]) if year in rows else hidden_at_risk or "0")
        for year in range(x_max + 1)
    ]
    end = (x, y_of(survival), survival)
    return KaplanMeierGeometry(x_max, " ".join(path), censored, ticks, end)


def kaplan_meier_page_svg(
    km: Mapping[str, Any],
    *,
    element_id: str = "km",
    axis_label: str = "Years since the first radiograph",
    hidden_at_risk: str | None = None,
) -> str:
    """The step curve with percent gridlines, censoring marks and the at-risk row."""
    title = "Kaplan-Meier estimate of the proportion of patients free of calcinosis progression"
    if not km.get("steps"):
        desc = NO_FOLLOW_UP
    else:
        geometry = kaplan_meier_geometry(km, hidden_at_risk=hidden_at_risk)
        desc = (
            f"Step curve over {geometry.x_max_years} years of follow-up, ending at "
            f"{geometry.end[2]:.0%} free of progression; numbers at risk at each year are "
            "printed under the axis and listed in the table beside the chart."
        )
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart km" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' width="{WIDTH}" height="{HEIGHT}" role="img" id="{element_id}"'
        f' aria-labelledby="{element_id}-title {element_id}-desc">'
        f'<title id="{element_id}-title">{escape(title)}</title>'
        f'<desc id="{element_id}-desc">{escape(desc)}</desc>'
    )
    if not km.get("steps"):
        return head + _text(WIDTH / 2, TOP + PLOT_HEIGHT / 2, NO_FOLLOW_UP, size=14) + "</svg>"
    return head + "".join(_plot(geometry, axis_label)) + "</svg>"


def _plot(geometry: KaplanMeierGeometry, axis_label: str) -> list[str]:
    right = WIDTH - RIGHT
    parts = []
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        y = y_of(fraction)
        parts.append(_line(LEFT, y, right, y, stroke="#e2e2e2" if fraction else "#333"))
        parts.append(_text(LEFT - 8, y + 4, f"{fraction:.0%}", anchor="end"))
    parts.append(_line(LEFT, TOP, LEFT, BOTTOM, stroke="#333"))
    middle = TOP + PLOT_HEIGHT / 2
    parts.append(_text(16, middle, "Free of progression", transform=f"rotate(-90 16 {middle:.1f})"))
    for tick in geometry.ticks:
        parts += [
            _line(tick.x, BOTTOM, tick.x, BOTTOM + 5, stroke="#333"),
            _text(tick.x, BOTTOM + 18, str(tick.year)),
            _text(tick.x, BOTTOM + 64, tick.at_risk, css_class="at-risk"),
        ]
    parts.append(_text(LEFT + (right - LEFT) / 2, BOTTOM + 38, axis_label))
    parts.append(_text(4, BOTTOM + 64, "At risk", anchor="start", font_weight="bold"))
    parts.append(f'<path d="{geometry.path}" fill="none" stroke="{CURVE}" stroke-width="2.5"/>')
    for x, y in geometry.censored:
        parts.append(_line(x, y - 5, x, y + 5, stroke=CURVE, stroke_width="1.5"))
    x, y, proportion = geometry.end
    parts.append(
        _text(min(x + 6, right - 24), y - 8, f"{proportion:.0%}", anchor="start", fill=CURVE)
    )
    return parts


def bar_width(count: int | None, largest: int | None, *, full: float = 160.0) -> float:
    """A count's bar length, the largest count filling ``full``; no bar for a hidden count."""
    if not count or not largest:
        return 0.0
    return round(count / largest * full, 1)


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: int = 12,
    anchor: str = "middle",
    css_class: str = "",
    **extra: str,
) -> str:
    attributes = "".join(f' {key.replace("_", "-")}="{value}"' for key, value in extra.items())
    if css_class:
        attributes += f' class="{css_class}"'
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" {FONT}'
        f"{attributes}>{escape(content)}</text>"
    )


def _line(x1: float, y1: float, x2: float, y2: float, *, stroke: str, **extra: str) -> str:
    attributes = "".join(f' {key.replace("_", "-")}="{value}"' for key, value in extra.items())
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}"'
        f"{attributes}/>"
    )
