"""Deposits named for people (imaging.track_names): pure, no database."""

import datetime

from django.utils import translation

from imaging.track_names import site_name, track_name


def test_the_index_case_reads_as_a_clinician_says_it():
    """The project's first case: left thumb, distal phalanx, soft tissue, first seen in Mar 2023."""
    site = {
        "body_region": "hand",
        "laterality": "left",
        "digit": 1,
        "segment": "distal_phalanx",
        "tissue": "soft_tissue",
    }
    with translation.override("en"):
        name = track_name(site, datetime.date(2023, 3, 14))
    assert name == "Left thumb, distal phalanx, soft tissue — since Mar 2023"


def test_unknown_tissue_and_digit_are_left_out_not_shown_as_dashes():
    assert (
        site_name(body_region="hand", laterality="right", segment="carpal") == "Right hand, carpal"
    )
    assert (
        site_name(body_region="hand", laterality="left", digit=4, segment="proximal_phalanx")
        == "Left ring finger, proximal phalanx"
    )


def test_a_foot_names_its_toes_and_its_own_bones():
    assert (
        site_name(body_region="foot", laterality="right", digit=1, segment="metacarpal")
        == "Right great toe, metatarsal"
    )


def test_regions_without_digits_name_the_region():
    assert site_name(body_region="elbow", laterality="left", tissue="tendon") == (
        "Left elbow, tendon sheath"
    )


def test_month_follows_the_active_locale():
    site = {"body_region": "hand", "laterality": "left", "digit": 2, "segment": "", "tissue": ""}
    with translation.override("de"):
        assert track_name(site, datetime.date(2023, 3, 1)).endswith("since Mär 2023")


def test_never_observed_has_no_since():
    site = {"body_region": "knee", "laterality": "right"}
    assert track_name(site, None) == "Right knee"
