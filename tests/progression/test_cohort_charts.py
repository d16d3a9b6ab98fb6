"""The cohort page's Kaplan-Meier chart: geometry worked by hand, accessible and CSP-clean SVG.

Pure: the curve comes from ``kaplan_meier_json`` of hand-made observations.
"""

from __future__ import annotations

from xml.etree import ElementTree

from progression.cohort_charts import (
    NO_FOLLOW_UP,
    bar_width,
    kaplan_meier_geometry,
    kaplan_meier_page_svg,
)
from progression.cohort_summary import kaplan_meier_json

SVG = "{http://www.w3.org/2000/svg}"
# Censored at 0 (baseline only), progression at 1.002, censored at 2.001, progression at 3.001.
OBSERVATIONS = [(0.0, False), (1.002, True), (2.001, False), (3.001, True)]


def test_steps_and_numbers_at_risk_by_hand():
    """Kaplan & Meier 1958, product limit: 4 at risk at 0 (1 censored, S = 1); 3 at risk at
    1.002, 1 event: S = 1 * (1 - 1/3) = 0.6667; 2 at 2.001 (censored, S stays); 1 at 3.001,
    1 event: S = 0. At risk just before each whole year (time >= year): 4, 3, 2, 1."""
    km = kaplan_meier_json(OBSERVATIONS)
    assert [(s["time_years"], s["survival"], s["at_risk"]) for s in km["steps"]] == [
        (0.0, 1.0, 4),
        (1.002, 0.6667, 3),
        (2.001, 0.6667, 2),
        (3.001, 0.0, 1),
    ]
    assert [row["at_risk"] for row in km["at_risk"]] == [4, 3, 2, 1]


def test_geometry_by_hand():
    """Axis to ceil(3.001) = 4 years over 720 - 78 - 28 = 614 px: 1.002 years at
    78 + 1.002 / 4 * 614 = 231.8; S = 0.6667 at 240 - 0.6667 * 220 = 93.3. Year 4 is past the
    last observation: nobody at risk."""
    geometry = kaplan_meier_geometry(kaplan_meier_json(OBSERVATIONS))
    assert geometry.x_max_years == 4
    assert "H231.8 V93.3" in geometry.path
    assert geometry.path.startswith("M78.0,20.0 H78.0 V20.0")
    assert [(t.year, t.at_risk) for t in geometry.ticks] == [
        (0, "4"),
        (1, "3"),
        (2, "2"),
        (3, "1"),
        (4, "0"),
    ]
    assert [round(t.x, 1) for t in geometry.ticks] == [78.0, 231.5, 385.0, 538.5, 692.0]
    assert geometry.censored == [(78.0, 20.0), (x := 78 + 2.001 / 4 * 614, 240 - 0.6667 * 220)]
    assert round(x, 1) == 385.2
    assert geometry.end[2] == 0.0


def test_suppressed_years_read_as_fewer_than():
    """A researcher's curve lost the rows with fewer than 3 at risk: the axis ends at year 3
    (the last step left is at 2.001) and year 3 shows "<3", not 0."""
    km = kaplan_meier_json(OBSERVATIONS)
    km = {**km, "steps": km["steps"][:3], "at_risk": km["at_risk"][:2]}
    geometry = kaplan_meier_geometry(km, hidden_at_risk="<3")
    assert [t.at_risk for t in geometry.ticks] == ["4", "3", "<3", "<3"]


def test_svg_is_named_and_draws_no_style():
    svg = kaplan_meier_page_svg(kaplan_meier_json(OBSERVATIONS))
    root = ElementTree.fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "km-title km-desc"
    assert root.find(f"{SVG}title").text.startswith("Kaplan-Meier estimate")
    assert "ending at 0% free of progression" in root.find(f"{SVG}desc").text
    assert "style" not in svg and "<script" not in svg
    at_risk = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "at-risk"]
    assert at_risk == ["4", "3", "2", "1", "0"]
    assert len(root.findall(f"{SVG}path")) == 1


def test_svg_without_follow_up_says_so():
    root = ElementTree.fromstring(kaplan_meier_page_svg(kaplan_meier_json([])))
    assert [t.text for t in root.iter(f"{SVG}text")] == [NO_FOLLOW_UP]


def test_bar_widths():
    assert bar_width(5, 10) == 80.0 and bar_width(10, 10) == 160.0
    assert bar_width(None, 10) == bar_width(0, 10) == bar_width(3, 0) == 0.0
