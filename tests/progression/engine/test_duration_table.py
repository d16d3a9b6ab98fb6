"""The cohort page's burden table: fixed disease-duration bands, medians and IQRs.

Pure: no database. Every number is worked out by hand in a comment.
"""

from __future__ import annotations

import pytest

from progression.engine.cohort import DurationPoint
from progression.engine.duration_table import (
    BAD_EDGES,
    Quartiles,
    band_index,
    band_labels,
    duration_table,
    duration_table_suppressed,
    quartiles,
)


def point(years: float | None, sld: float, lesions: int = 1) -> DurationPoint:
    return DurationPoint(years, sld, lesions)


def test_labels_of_the_default_bands():
    assert band_labels() == ["<5", "5-10", "10-15", "15-20", "≥20"]


@pytest.mark.parametrize(
    ("years", "band"),
    [
        (0.0, 0),
        (4.999, 0),
        (5.0, 1),
        (9.999, 1),
        (10.0, 2),
        (15.0, 3),
        (19.999, 3),
        (20.0, 4),
        (61.5, 4),
    ],
)
def test_an_edge_belongs_to_the_band_it_starts(years, band):
    assert band_index(years) == band


@pytest.mark.parametrize("edges", [(), (0, 5), (5, 5), (10, 5), (5, float("nan")), (True, 5)])
def test_bad_edges_are_refused(edges):
    with pytest.raises(ValueError, match="band edges") as error:
        band_labels(edges)
    assert str(error.value) == BAD_EDGES.format(value=edges)


def test_quartiles_type_7():
    """[2, 4, 6, 8]: h = (n - 1) p + 1; Q1 at h = 1.75 -> 2 + 0.75 * 2 = 3.5; median 5;
    Q3 at h = 3.25 -> 6 + 0.25 * 2 = 6.5 (R's quantile() default gives the same)."""
    assert quartiles([8.0, 2.0, 6.0, 4.0]) == Quartiles(3.5, 5.0, 6.5)
    assert quartiles([3.0]) == Quartiles(3.0, 3.0, 3.0)
    assert quartiles([]) is None


def test_table_counts_points_and_patients_per_band():
    """Band 5-10: patient a at 5.0 (SLD 4, 1 lesion) and 9.9 (SLD 10, 3 lesions), patient b at
    7.2 (SLD 6, 2 lesions): 3 points, 2 patients; SLD [4, 6, 10]: Q1 at h = 1.5 -> 5, median 6,
    Q3 at h = 2.5 -> 8; lesions [1, 2, 3]: 1.5, 2, 2.5. Band <5: b at 4.99 (SLD 1). Band >=20:
    c at 20.0 (SLD 30). No point in 10-15 or 15-20. c's point without onset: "unknown"."""
    rows = duration_table(
        [
            ("a", point(5.0, 4.0, 1)),
            ("a", point(9.9, 10.0, 3)),
            ("b", point(7.2, 6.0, 2)),
            ("b", point(4.99, 1.0, 1)),
            ("c", point(20.0, 30.0, 4)),
            ("c", point(None, 2.0, 1)),
        ]
    )
    by_label = {row.label: row for row in rows}
    assert [row.label for row in rows] == ["<5", "5-10", "10-15", "15-20", "≥20", "unknown"]
    band = by_label["5-10"]
    assert (band.lower_years, band.upper_years, band.points, band.patients) == (5.0, 10.0, 3, 2)
    assert band.sld_mm == Quartiles(5.0, 6.0, 8.0)
    assert band.lesion_count == Quartiles(1.5, 2.0, 2.5)
    assert (by_label["<5"].lower_years, by_label["<5"].sld_mm) == (None, Quartiles(1, 1, 1))
    assert (by_label["≥20"].upper_years, by_label["≥20"].patients) == (None, 1)
    empty = by_label["10-15"]
    assert (empty.points, empty.patients, empty.sld_mm, empty.lesion_count) == (0, 0, None, None)
    assert by_label["unknown"].points == 1


def test_no_unknown_row_when_every_onset_is_known():
    assert [row.label for row in duration_table([("a", point(3.0, 1.0))])][-1] == "≥20"


def test_suppression_counts_patients_not_points():
    """Minimum cell 2: band 5-10 has 5 points of ONE patient: hidden; band <5 has two patients:
    shown; an empty band stays 0 (nothing to hide)."""
    rows = duration_table(
        [("a", point(6.0 + i / 10, 5.0)) for i in range(5)]
        + [("b", point(1.0, 2.0)), ("c", point(2.0, 3.0))]
    )
    shown = {row.label: row for row in duration_table_suppressed(rows, min_cell=2)}
    hidden = shown["5-10"]
    assert (hidden.points, hidden.patients, hidden.sld_mm, hidden.lesion_count) == (
        None,
        None,
        None,
        None,
    )
    assert (shown["<5"].patients, shown["<5"].sld_mm) == (2, Quartiles(2.25, 2.5, 2.75))
    assert shown["10-15"].patients == 0
