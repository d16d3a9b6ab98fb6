"""Pseudonyms and date modes as pure functions (no database), with hand-worked numbers."""

from datetime import date

import pytest

from exports.pseudonyms import (
    KEEP,
    RELATIVE,
    SHIFT,
    PatientDates,
    date_offset_days,
    export_key,
    pseudonym,
    transform_birth,
    transform_date,
    uid,
)
from exports.selection import map_row

SECRET = b"registry-secret"


def test_pseudonym_is_stable_for_one_key_and_differs_between_keys():
    """Same key, same pseudonym; another key (another export), another pseudonym."""
    key, other = b"k" * 32, b"o" * 32
    assert pseudonym(key, "SSC-AAAA0001") == pseudonym(key, "SSC-AAAA0001")
    assert pseudonym(key, "SSC-AAAA0001") != pseudonym(key, "SSC-AAAA0002")
    assert pseudonym(key, "SSC-AAAA0001") != pseudonym(other, "SSC-AAAA0001")


def test_pseudonym_shape():
    value = pseudonym(b"k" * 32, "SSC-AAAA0001")
    assert value.startswith("P-") and len(value) == 18
    assert "SSC" not in value and "AAAA0001" not in value


def test_exports_without_project_key_get_random_keys():
    assert export_key(registry_secret=SECRET) != export_key(registry_secret=SECRET)


def test_project_key_gives_the_same_key_and_needs_the_registry_secret():
    """The same project key reproduces pseudonyms; another registry secret does not."""
    first = export_key(project_key="CALC-2026", registry_secret=SECRET)
    assert first == export_key(project_key="CALC-2026", registry_secret=SECRET)
    assert first != export_key(project_key="CALC-2027", registry_secret=SECRET)
    assert first != export_key(project_key="CALC-2026", registry_secret=b"another registry")


@pytest.mark.parametrize("max_days", [1, 7, 365])
def test_offsets_are_never_zero_and_within_bounds(max_days):
    offsets = {date_offset_days(b"k" * 32, f"SSC-{n:08d}", max_days) for n in range(400)}
    assert 0 not in offsets
    assert min(offsets) >= -max_days and max(offsets) <= max_days
    if max_days == 1:
        assert offsets == {-1, 1}


def test_offsets_differ_between_patients():
    offsets = {date_offset_days(b"k" * 32, f"SSC-{n:08d}", 365) for n in range(50)}
    assert len(offsets) > 40


def test_keep_mode_keeps_dates_and_gives_the_birth_year():
    dates = PatientDates(KEEP)
    assert transform_date(date(2014, 1, 10), dates) == date(2014, 1, 10)
    assert transform_birth(date(1960, 11, 2), dates) == 1960


def test_shift_mode_keeps_intervals_exact():
    """Offset +40 days: 2014-01-10 -> 2014-02-19, 2015-01-12 -> 2015-02-21; still 367 days
    apart; birth 1960-11-02 -> 1960-12-12."""
    dates = PatientDates(SHIFT, offset_days=40)
    first = transform_date(date(2014, 1, 10), dates)
    second = transform_date(date(2015, 1, 12), dates)
    assert first == date(2014, 2, 19)
    assert second == date(2015, 2, 21)
    assert (second - first).days == (date(2015, 1, 12) - date(2014, 1, 10)).days == 367
    assert transform_birth(date(1960, 11, 2), dates) == date(1960, 12, 12)


def test_relative_mode_counts_days_from_the_onset_midpoint():
    """Onset known to March 2013 -> 15 March 2013 (DOMAIN.md midpoint); a visit on
    10 January 2014 is day 301 (16 + 30+31+30+31+31+30+31+30+31 + 10); birth is day -19126."""
    row = map_row(
        (1, "SSC-X", date(1960, 11, 2), None, "", date(2013, 3, 1), "month"),
        key=b"k" * 32,
        date_mode=RELATIVE,
        max_shift_days=365,
    )
    assert row.dates.anchor == date(2013, 3, 15)
    assert row.first_onset == 0
    assert transform_date(date(2014, 1, 10), row.dates) == 301
    assert row.birth == -19126
    assert row.birth == (date(1960, 11, 2) - date(2013, 3, 15)).days


def test_relative_mode_year_precision_counts_from_1_july():
    row = map_row(
        (1, "SSC-X", date(1960, 11, 2), date(2009, 1, 1), "year", date(2013, 1, 1), "year"),
        key=b"k" * 32,
        date_mode=RELATIVE,
        max_shift_days=365,
    )
    assert row.dates.anchor == date(2013, 7, 1)
    assert row.raynaud_onset == (date(2009, 7, 1) - date(2013, 7, 1)).days == -1461


def test_relative_mode_without_onset_gives_no_dates():
    row = map_row(
        (1, "SSC-X", date(1960, 11, 2), None, "", None, ""),
        key=b"k" * 32, date_mode=RELATIVE, max_shift_days=365,
    )
    assert row.birth is None and row.first_onset is None
    assert transform_date(date(2014, 1, 10), row.dates) is None


def test_shift_mode_map_row_uses_the_patients_own_offset():
    key = b"k" * 32
    row = map_row(
        (1, "SSC-X", date(1960, 11, 2), None, "", date(2013, 3, 1), "month"),
        key=key, date_mode=SHIFT, max_shift_days=365,
    )
    offset = date_offset_days(key, "SSC-X", 365)
    assert row.dates.offset_days == offset
    assert (row.first_onset - row.birth).days == (date(2013, 3, 15) - date(1960, 11, 2)).days


def test_generated_uids_are_uuid_derived_and_keyed():
    value = uid(b"k" * 32, "study", "P-X-1")
    assert value.startswith("2.25.") and len(value) <= 64
    assert value != uid(b"o" * 32, "study", "P-X-1")
