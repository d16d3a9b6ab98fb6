"""Modified Rodnan skin score: 17 sites of 0-3, total 0-51."""

from patients.mrss import MRSS_SITES, MRSS_TOTAL_MAX, mrss_site_errors, mrss_total


def test_seventeen_sites_and_maximum_51():
    assert len(MRSS_SITES) == 17
    assert MRSS_TOTAL_MAX == 51


def test_total_is_the_sum_of_the_sites():
    """Fingers 2 + 2, hands 1 + 1, face 1, others 0: total 7."""
    sites = dict.fromkeys(MRSS_SITES, 0)
    sites.update(right_fingers=2, left_fingers=2, right_hand_dorsum=1, left_hand_dorsum=1, face=1)
    assert mrss_site_errors(sites) == []
    assert mrss_total(sites) == 7


def test_invalid_sites_are_named():
    sites = dict.fromkeys(MRSS_SITES, 0)
    sites["face"] = 4
    sites["nose"] = 1
    del sites["abdomen"]
    errors = mrss_site_errors(sites)
    assert "Unknown mRSS site 'nose'." in errors
    assert any("missing: abdomen" in e for e in errors)
    assert "mRSS site 'face' must be a whole number from 0 to 3." in errors


def test_booleans_and_fractions_are_not_scores():
    sites = dict.fromkeys(MRSS_SITES, 0)
    sites["face"] = True
    sites["abdomen"] = 1.5
    assert len(mrss_site_errors(sites)) == 2
