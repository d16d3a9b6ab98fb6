"""Modified Rodnan skin score (Clements et al., J Rheumatol 1993; Khanna et al., JSRD 2017).

17 sites, each scored 0 (normal) to 3 (severe thickening); the total ranges 0-51.
"""

from __future__ import annotations

from collections.abc import Mapping

MRSS_SITES = (
    "face",
    "anterior_chest",
    "abdomen",
    "right_fingers",
    "left_fingers",
    "right_hand_dorsum",
    "left_hand_dorsum",
    "right_forearm",
    "left_forearm",
    "right_upper_arm",
    "left_upper_arm",
    "right_thigh",
    "left_thigh",
    "right_lower_leg",
    "left_lower_leg",
    "right_foot_dorsum",
    "left_foot_dorsum",
)
MRSS_SITE_MAX = 3
MRSS_TOTAL_MAX = MRSS_SITE_MAX * len(MRSS_SITES)  # 51


def mrss_site_errors(sites: Mapping[str, object]) -> list[str]:
    """Messages for unknown sites, missing sites and scores outside 0-3; empty when valid."""
    errors = [f"Unknown mRSS site {name!r}." for name in sites if name not in MRSS_SITES]
    missing = [name for name in MRSS_SITES if name not in sites]
    if missing:
        errors.append(f"All 17 mRSS sites are required; missing: {', '.join(missing)}.")
    for name in MRSS_SITES:
        value = sites.get(name)
        if name in sites and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MRSS_SITE_MAX
        ):
            errors.append(f"mRSS site {name!r} must be a whole number from 0 to 3.")
    return errors


def mrss_total(sites: Mapping[str, int]) -> int:
    """Sum of the 17 site scores (assumes :func:`mrss_site_errors` found nothing)."""
    return sum(sites[name] for name in MRSS_SITES)
