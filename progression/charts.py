"""SVG charts of progression, as plain strings (no plotting dependency).

- :func:`progression_chart_svg`: a patient's calcinosis burden (sum of longest diameters) over
  time, one panel per region series, every point labelled with its status and lesion count, so
  the chart reads without a legend.
- :func:`kaplan_meier_chart_svg`: the cohort's progression-free proportion, a step curve with
  the numbers at risk printed under the axis.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from html import escape
from typing import Any

from registry.formatting import date_text, mm_text, month_text, number_text

WIDTH = 720
MARGIN_LEFT, MARGIN_RIGHT = 70, 60  # room for the labels centred on the last point
PANEL_HEIGHT = 210
PLOT_TOP, PLOT_HEIGHT = 40, 130  # inside a panel
FONT = 'font-family="Helvetica, Arial, sans-serif"'

# status -> (colour, marker shape, label); colours readable by most colour-blind readers, and
# every point also carries its status as text.
STATUS_STYLE = {
    "baseline": ("#1f77b4", "square", "baseline"),
    "stable": ("#555555", "circle", "stable"),
    "progression": ("#d62728", "up", "progression"),
    "regression": ("#2ca02c", "down", "regression"),
    "complete_resolution": ("#2ca02c", "ring", "resolved"),
}
SIDE_LABEL = {"left": "Left", "right": "Right"}


def _text(
    x: float, y: float, content: str, *, size: int = 11, anchor: str = "middle", **extra
) -> str:
    attributes = "".join(f' {key.replace("_", "-")}="{value}"' for key, value in extra.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" {FONT}'
        f"{attributes}>{escape(content)}</text>"
    )


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str = "#333", **extra) -> str:
    attributes = "".join(f' {key.replace("_", "-")}="{value}"' for key, value in extra.items())
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}"'
        f"{attributes}/>"
    )


def _marker(x: float, y: float, status: str) -> str:
    colour, shape, _ = STATUS_STYLE.get(status, ("#000000", "circle", status))
    if shape == "square":
        return f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{colour}"/>'
    if shape in ("up", "down"):
        tip = -7 if shape == "up" else 7
        points = (
            f"{x:.1f},{y + tip:.1f} {x - 6:.1f},{y - tip / 2:.1f} {x + 6:.1f},{y - tip / 2:.1f}"
        )
        return f'<polygon points="{points}" fill="{colour}"/>'
    fill = "white" if shape == "ring" else colour
    return (
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{fill}" stroke="{colour}" '
        'stroke-width="2"/>'
    )


def _nice_ceiling(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^n)."""
    if value <= 0:
        return 1.0
    scale = 10.0 ** math.floor(math.log10(value))
    return next(
        step * scale for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if step * scale >= value
    )


def _svg(height: float, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
        f'<rect width="100%" height="100%" fill="white"/>' + "".join(body) + "</svg>"
    )


def progression_chart_svg(detail: Mapping[str, Any]) -> str:
    """SLD over time per region series of a progression result (the API's JSON shape)."""
    series = list(detail.get("series", []))
    title = f"Calcinosis burden over time — patient status: {detail.get('status') or 'none'}"
    if not series:
        return _svg(80, title, [_text(WIDTH / 2, 45, "No radiograph: nothing to chart.", size=14)])
    days = [date.fromisoformat(tp["date"]) for one in series for tp in one["timepoints"]]
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT

    def x_of(day: date) -> float:
        if first == last:
            return MARGIN_LEFT + plot_width / 2
        return MARGIN_LEFT + (day - first).days / span * plot_width

    body = [_text(WIDTH / 2, 22, title, size=15, font_weight="bold")]
    for index, one in enumerate(series):
        body += _series_panel(one, 30 + index * PANEL_HEIGHT, x_of)
    return _svg(40 + len(series) * PANEL_HEIGHT, title, body)


def _series_panel(series: Mapping[str, Any], top: float, x_of) -> list[str]:
    timepoints = series["timepoints"]
    side = SIDE_LABEL.get(series["laterality"], series["laterality"])
    heading = f"{side} {series['body_region']}"
    rate = series.get("growth_rate_mm_per_year")
    if rate is not None:
        rate_text = mm_text(rate)
        heading += f" — growth {'' if rate_text.startswith('-') else '+'}{rate_text} mm/year"
    y_max = _nice_ceiling(max(tp["sum_longest_diameter_mm"] for tp in timepoints) * 1.1)
    plot_top, plot_bottom = top + PLOT_TOP, top + PLOT_TOP + PLOT_HEIGHT

    def y_of(value: float) -> float:
        return plot_bottom - value / y_max * PLOT_HEIGHT

    right, middle = WIDTH - MARGIN_RIGHT, (plot_top + plot_bottom) / 2
    parts = [
        _text(MARGIN_LEFT, top + 18, heading, size=13, anchor="start", font_weight="bold"),
        _line(MARGIN_LEFT, plot_bottom, right, plot_bottom),
        _line(MARGIN_LEFT, plot_top, MARGIN_LEFT, plot_bottom),
        _text(18, middle, "SLD (mm)", size=11, transform=f"rotate(-90 18 {middle:.1f})"),
    ]
    for fraction in (0, 0.5, 1):
        value = y_max * fraction
        y = y_of(value)
        parts.append(_text(MARGIN_LEFT - 6, y + 4, number_text(value), size=10, anchor="end"))
        if fraction:
            parts.append(_line(MARGIN_LEFT, y, right, y, stroke="#ddd", stroke_dasharray="3,3"))
    points = [
        (x_of(date.fromisoformat(tp["date"])), y_of(tp["sum_longest_diameter_mm"]), tp)
        for tp in timepoints
    ]
    labels = date_labels([date.fromisoformat(tp["date"]) for tp in timepoints])
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
    parts.append(f'<polyline points="{path}" fill="none" stroke="#888" stroke-width="2"/>')
    for (x, y, tp), when in zip(points, labels, strict=True):
        colour, _, label = STATUS_STYLE.get(tp["status"], ("#000", "circle", tp["status"]))
        count = tp["lesion_count"]
        parts += [
            _marker(x, y, tp["status"]),
            _text(x, y - 10, label, size=10, fill=colour, font_weight="bold"),
            _text(x, plot_bottom + 14, when, size=10),
            _text(
                x,
                plot_bottom + 27,
                f"{mm_text(tp['sum_longest_diameter_mm'])} mm, {count} lesion{'s' * (count != 1)}",
                size=10,
                fill="#444",
            ),
        ]
    return parts


def date_labels(days: Sequence[date]) -> list[str]:
    """Axis labels in the locale: the month ("Mar 2023"), or the full date where two points of
    a panel fall in the same month."""
    months = [(day.year, day.month) for day in days]
    return [
        date_text(day) if months.count(month) > 1 else month_text(day)
        for day, month in zip(days, months, strict=True)
    ]


def kaplan_meier_chart_svg(km: Mapping[str, Any], *, axis_label: str = "Years of follow-up") -> str:
    """A step curve of ``kaplan_meier_json`` output, numbers at risk under the axis."""
    title = f"Proportion free of calcinosis progression ({km.get('n', 0)} patients)"
    steps: Sequence[Mapping[str, Any]] = km.get("steps", [])
    at_risk: Sequence[Mapping[str, Any]] = km.get("at_risk", [])
    x_max = max([1.0] + [s["time_years"] for s in steps] + [r["time_years"] for r in at_risk])
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    top, height = 50, 220
    bottom = top + height

    def x_of(t: float) -> float:
        return MARGIN_LEFT + t / x_max * plot_width

    def y_of(s: float) -> float:
        return bottom - s * height

    body = [
        _text(WIDTH / 2, 24, title, size=15, font_weight="bold"),
        _line(MARGIN_LEFT, bottom, WIDTH - MARGIN_RIGHT, bottom),
        _line(MARGIN_LEFT, top, MARGIN_LEFT, bottom),
        _text(MARGIN_LEFT + plot_width / 2, bottom + 34, axis_label, size=11),
    ]
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        body.append(
            _text(MARGIN_LEFT - 6, y_of(fraction) + 4, f"{fraction:.0%}", size=10, anchor="end")
        )
    path, survival, x = [f"M{x_of(0):.1f},{y_of(1):.1f}"], 1.0, 0.0
    for step in steps:
        x = x_of(step["time_years"])
        path.append(f"H{x:.1f}")
        survival = step["survival"]
        path.append(f"V{y_of(survival):.1f}")
    body.append(f'<path d="{" ".join(path)}" fill="none" stroke="#d62728" stroke-width="2"/>')
    body.append(
        _text(
            min(x + 6, WIDTH - MARGIN_RIGHT),
            y_of(survival) - 6,
            f"{survival:.0%}",
            size=11,
            anchor="start",
        )
    )
    body.append(_text(8, bottom + 58, "At risk", size=10, anchor="start", font_weight="bold"))
    for row in at_risk:
        x = x_of(row["time_years"])
        body += [
            _text(x, bottom + 16, f"{row['time_years']:g}", size=10),
            _text(x, bottom + 58, str(row["at_risk"]), size=10),
        ]
    return _svg(bottom + 75, title, body)
