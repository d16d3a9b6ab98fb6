"""The patient chart's labels in the request's locale (progression.charts): pure, no database."""

from datetime import date
from xml.etree import ElementTree

from progression.charts import date_labels, progression_chart_svg
from registry.locale import using_format_language

SVG = "{http://www.w3.org/2000/svg}"


def timepoint(day: str, sld: float, status: str, count: int = 1) -> dict:
    return {"date": day, "sum_longest_diameter_mm": sld, "status": status, "lesion_count": count}


DETAIL = {
    "status": "progression",
    "series": [
        {
            "body_region": "hand",
            "laterality": "left",
            "growth_rate_mm_per_year": 1.25,
            "timepoints": [
                timepoint("2023-03-14", 12.25, "baseline"),
                timepoint("2024-09-20", 16.87, "progression", 2),
            ],
        }
    ],
}


def texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in ElementTree.fromstring(svg).iter(f"{SVG}text")]


def test_axis_dates_and_millimetres_in_english():
    labels = texts(progression_chart_svg(DETAIL))
    assert "Mar 2023" in labels and "Sep 2024" in labels
    # One decimal, half-up: 12.25 -> 12.3; 16.87 -> 16.9; 1.25 mm/year -> +1.3.
    assert "12.3 mm, 1 lesion" in labels and "16.9 mm, 2 lesions" in labels
    assert "Left hand — growth +1.3 mm/year" in labels
    assert "2023-03-14" not in labels


def test_axis_dates_and_millimetres_in_german():
    with using_format_language("de"):
        labels = texts(progression_chart_svg(DETAIL))
    assert "Mär 2023" in labels and "Sep 2024" in labels
    assert "12,3 mm, 1 lesion" in labels and "Left hand — growth +1,3 mm/year" in labels
    # The axis: 16.87 * 1.1 = 18.6 -> a round 20, ticks 0, 10, 20.
    assert {"0", "10", "20"} <= set(labels)


def test_two_points_in_one_month_get_their_day():
    days = [date(2023, 3, 1), date(2023, 3, 29), date(2023, 6, 2)]
    assert date_labels(days) == ["Mar 1, 2023", "Mar 29, 2023", "Jun 2023"]
    with using_format_language("en-gb"):
        assert date_labels(days) == ["1 Mar 2023", "29 Mar 2023", "Jun 2023"]


def test_small_axis_ticks_keep_their_decimals():
    detail = {
        **DETAIL,
        "series": [
            {
                **DETAIL["series"][0],
                "timepoints": [
                    timepoint("2023-03-14", 0.6, "baseline"),
                ],
            }
        ],
    }
    with using_format_language("fr"):
        labels = texts(progression_chart_svg(detail))
    # 0.6 * 1.1 = 0.66 -> a round 0.8 (8 x 10^-1), ticks 0, 0.4, 0.8 with a decimal comma.
    assert {"0", "0,4", "0,8"} <= set(labels)
