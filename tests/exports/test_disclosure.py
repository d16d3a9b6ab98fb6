"""k-anonymity and the generalization plan as pure functions, on groups worked out by hand."""

from datetime import date

import pytest

from exports.disclosure import (
    ALREADY_RELATIVE,
    BIRTH_BAND,
    FHIR_KEEPS_DATES,
    NO_SMALL_CENTER,
    OTHER_CENTER,
    RELATIVE_DATES,
    SMALL_CENTERS,
    SUPPRESSION,
    Generalization,
    Report,
    Subject,
    birth_band,
    birth_day,
    plan,
    report,
)

ANNE = Subject(
    patient_id=1, sex="female", birth=date(1960, 11, 2), center="north",
    subtype="limited_cutaneous", raynaud_onset=date(2009, 7, 1), first_onset=date(2013, 3, 15),
    first_visit=date(2014, 1, 10), offset_days=-200,
)


def subject(patient_id: int, **changes) -> Subject:
    return ANNE._replace(patient_id=patient_id, **changes)


@pytest.mark.parametrize(("year", "band"), [
    (1940, "1940-1944"), (1944, "1940-1944"), (1945, "1945-1949"), (2001, "2000-2004"),
    (None, None),
])
def test_birth_years_fall_in_five_year_bands(year, band):
    assert birth_band(year) == band


def test_the_relative_birth_is_counted_in_days_as_written():
    """Born 2 November 1960, onset 15 March 2013: 52 years (18,993 days: 13 leap days from 1964
    to 2012) to 2 November 2012, then 133 days (28 + 31 + 31 + 28 + 15) to 15 March 2013, so
    birth_day = -19,126; the file writes that exact number (security review of issue 17)."""
    assert birth_day(date(1960, 11, 2), date(2013, 3, 15)) == -19126
    assert birth_day(None, date(2013, 11, 2)) is None
    assert birth_day(date(1960, 11, 2), None) is None


def test_quasi_identifiers_as_each_date_mode_writes_them():
    """Shift by -200 days: birth 1960-04-16, Raynaud 2008-12-13, onset 2012-08-27, visit
    2013-06-24 (each year read off the shifted date); relative keeps no calendar year."""
    assert Generalization("keep").values(ANNE) == (
        "female", 1960, "north", "limited_cutaneous", 2009, 2013, 2014
    )
    assert Generalization("shift").values(ANNE) == (
        "female", 1960, "north", "limited_cutaneous", 2008, 2012, 2013
    )
    assert Generalization("relative").values(ANNE) == (
        "female", -19126, "north", "limited_cutaneous"
    )
    assert Generalization("relative", banded=True, other_centers=frozenset({"north"})).values(
        ANNE
    ) == ("female", "1960-1964", OTHER_CENTER, "limited_cutaneous")
    assert Generalization("keep").names() == [
        "sex", "birth_year", "center", "ssc_subtype", "raynaud_onset_year",
        "first_non_raynaud_onset_year", "first_visit_year",
    ]
    assert Generalization("relative", banded=True).names() == [
        "sex", "birth_year_band", "center", "ssc_subtype",
    ]


def test_the_shift_offset_counts_only_in_shift_mode():
    """The offset is the shift mode's: with keep the years are the recorded ones."""
    assert Generalization("keep").values(ANNE._replace(offset_days=-4000))[4:] == (
        2009, 2013, 2014
    )


def test_report_counts_the_smallest_group_and_the_patients_below_k():
    """Groups a:3, b:2, c:1 with K = 3: k = 1, b and c hold 3 patients below K."""
    assert report(["a", "a", "a", "b", "b", "c"], 3) == Report(k=1, below_k=3, groups=3)
    assert report(["a", "a", "a"], 3) == Report(k=3, below_k=0, groups=1)
    assert report([], 5) == Report(k=None, below_k=0, groups=0)


def test_an_unknown_value_is_a_value_of_its_own():
    """Two patients without a first visit group together, apart from the one with a visit."""
    rows = [Generalization("keep").values(subject(n, first_visit=None)) for n in (1, 2)]
    rows.append(Generalization("keep").values(subject(3)))
    assert report(rows, 2) == Report(k=1, below_k=1, groups=2)


def test_without_generalizing_the_report_is_all():
    cohort = [subject(1), subject(2, sex="male")]
    result = plan(cohort, k_threshold=5, date_mode="keep", generalize=False, small_center=20)
    assert result.before == result.after == Report(k=1, below_k=2, groups=2)
    assert result.steps == () and result.suppressed == frozenset()
    assert (result.date_mode, result.banded) == ("keep", False)


def test_birth_bands_alone_reach_k():
    """Born 1950 to 1954, otherwise alike: five groups of one, then one band of five."""
    cohort = [subject(n, birth=date(1950 + n, 3, 11)) for n in range(5)]
    result = plan(cohort, k_threshold=5, date_mode="keep", generalize=True, small_center=20)
    assert result.before == Report(k=1, below_k=5, groups=5)
    assert [(s.name, s.after) for s in result.steps] == [(BIRTH_BAND, Report(5, 0, 1))]
    assert result.skipped == () and result.suppressed == frozenset()
    assert result.generalization == Generalization("keep", banded=True)


def test_small_centers_become_other_after_the_bands():
    """K = 3: two patients at A and one at B (born 1950-1952). Bands: A 2, B 1 (k = 1, all 3
    below); both centers have fewer than 20 patients, so "other" holds all three: k = 3."""
    cohort = [subject(1, center="A", birth=date(1950, 1, 1)),
              subject(2, center="A", birth=date(1951, 1, 1)),
              subject(3, center="B", birth=date(1952, 1, 1))]
    result = plan(cohort, k_threshold=3, date_mode="keep", generalize=True, small_center=20)
    assert [step.as_dict() for step in result.steps] == [
        {"step": BIRTH_BAND, "k": 1, "patients_below_k": 3, "groups": 2},
        {"step": SMALL_CENTERS, "k": 3, "patients_below_k": 0, "groups": 1,
         "centers": ["A", "B"]},
    ]
    assert result.generalization.other_centers == {"A", "B"}


def test_relative_dates_drop_the_calendar_years():
    """K = 2: alike but for the year of the first visit (2014, 2019). No center is below 1
    patient, so no center becomes "other"; relative dates merge them: k = 2."""
    cohort = [subject(1), subject(2, first_visit=date(2019, 5, 2))]
    result = plan(cohort, k_threshold=2, date_mode="shift", generalize=True, small_center=1)
    assert [(s.name, s.after.k) for s in result.steps] == [(BIRTH_BAND, 1), (RELATIVE_DATES, 2)]
    assert result.skipped == ((SMALL_CENTERS, NO_SMALL_CENTER.format(limit=1)),)
    assert (result.date_mode, result.banded) == ("relative", True)


def test_relative_dates_count_the_patients_left_without_dates():
    """Three alike but for the first visit year; the third has no first non-Raynaud onset, so
    once the dates are relative (counted from it) all of hers are empty: the manifest says 1.
    In keep mode nobody loses a date: 0 (correctness review of issue 17)."""
    cohort = [subject(1), subject(2, first_visit=date(2019, 5, 2)),
              subject(3, first_onset=None, first_visit=date(2020, 1, 1))]
    result = plan(cohort, k_threshold=2, date_mode="keep", generalize=True, small_center=1)
    assert result.date_mode == "relative" and not result.suppressed
    assert (result.undated, result.as_manifest()["patients_without_dates"]) == (1, 1)
    kept = plan(cohort, k_threshold=2, date_mode="keep", generalize=False, small_center=1)
    assert kept.undated == 0


def test_fhir_keeps_calendar_dates_and_suppresses_instead():
    cohort = [subject(1), subject(2, first_visit=date(2019, 5, 2))]
    result = plan(cohort, k_threshold=2, date_mode="keep", generalize=True, small_center=1,
                  calendar_dates=True)
    assert [s.name for s in result.steps] == [BIRTH_BAND, SUPPRESSION]
    assert result.skipped == (
        (SMALL_CENTERS, NO_SMALL_CENTER.format(limit=1)), (RELATIVE_DATES, FHIR_KEEPS_DATES),
    )
    assert result.date_mode == "keep"
    assert result.suppressed == {1, 2}  # each alone in its group
    assert result.after == Report(k=None, below_k=0, groups=0)


def test_dates_already_relative_are_not_made_relative_again():
    cohort = [subject(1), subject(2, sex="male")]
    result = plan(cohort, k_threshold=2, date_mode="relative", generalize=True, small_center=1)
    assert (RELATIVE_DATES, ALREADY_RELATIVE) in result.skipped


def test_suppression_leaves_out_only_the_unique_patient():
    """K = 5: six women alike at a big center and one man; every step leaves him alone
    (k = 1, 1 below K); suppressing him leaves one group of six."""
    women = [subject(n, center="big") for n in range(1, 7)]
    him = subject(99, sex="male", birth=date(1940, 5, 20), center="small")
    result = plan([*women, him], k_threshold=5, date_mode="keep", generalize=True,
                  small_center=2)
    assert result.before == Report(k=1, below_k=1, groups=2)
    assert [step.as_dict() for step in result.steps] == [
        {"step": BIRTH_BAND, "k": 1, "patients_below_k": 1, "groups": 2},
        {"step": SMALL_CENTERS, "k": 1, "patients_below_k": 1, "groups": 2,
         "centers": ["small"]},
        {"step": RELATIVE_DATES, "k": 1, "patients_below_k": 1, "groups": 2},
        {"step": SUPPRESSION, "k": 6, "patients_below_k": 0, "groups": 1,
         "suppressed_patients": 1},
    ]
    assert result.suppressed == {99}
    manifest = result.as_manifest()
    assert manifest["before"] == {"k": 1, "patients_below_k": 1, "groups": 2}
    assert manifest["after"] == {"k": 6, "patients_below_k": 0, "groups": 1}
    assert (manifest["centers_as_other"], manifest["suppressed_patients"]) == (["small"], 1)
    assert (manifest["date_mode"], manifest["birth"]) == ("relative", "5-year bands")
    assert manifest["quasi_identifiers_after"] == [
        "sex", "birth_year_band", "center", "ssc_subtype"
    ]


def test_a_safe_export_is_left_as_it_is():
    cohort = [subject(n) for n in range(5)]
    result = plan(cohort, k_threshold=5, date_mode="keep", generalize=True, small_center=20)
    assert result.steps == () and result.after == Report(k=5, below_k=0, groups=1)
    assert result.generalization == Generalization("keep")


def test_an_empty_export_has_no_k():
    result = plan([], k_threshold=5, date_mode="keep", generalize=True, small_center=20)
    assert result.before == result.after == Report(k=None, below_k=0, groups=0)
    assert result.steps == ()
