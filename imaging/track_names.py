"""Deposits named for people: "Left thumb, distal phalanx, soft tissue — since Mar 2023".

A track's database id means nothing to a clinician; its site and the date it was first seen do.
Pure functions of plain values (the site's codes and a date), so the clinic's pages, the viewer
and the exports name a deposit the same way. Month and year follow the active locale.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from imaging.choices import BodyRegion, Segment
from registry.formatting import month_text

HAND_DIGITS = {
    1: "thumb",
    2: "index finger",
    3: "middle finger",
    4: "ring finger",
    5: "little finger",
}
FOOT_DIGITS = {1: "great toe", 2: "second toe", 3: "third toe", 4: "fourth toe", 5: "little toe"}
# Inside a foot the hand's segment codes name the foot's bones (DOMAIN.md: metacarpal or
# metatarsal, carpal or tarsal).
FOOT_SEGMENTS = {Segment.METACARPAL: "metatarsal", Segment.CARPAL: "tarsal"}
TISSUES = {
    "soft_tissue": "soft tissue",
    "periarticular": "periarticular",
    "tendon": "tendon sheath",
}


def site_name(
    *,
    body_region: str,
    laterality: str,
    digit: int | None = None,
    segment: str = "",
    tissue: str = "",
) -> str:
    """A site in words: "Left thumb, distal phalanx, soft tissue", "Right hand, carpal"."""
    side = laterality.capitalize() if laterality in ("left", "right") else ""
    digits = FOOT_DIGITS if body_region == BodyRegion.FOOT else HAND_DIGITS
    if digit and body_region in (BodyRegion.HAND, BodyRegion.FOOT, BodyRegion.WRIST):
        where = digits.get(digit, f"digit {digit}")
    else:
        where = BodyRegion(body_region).label.lower() if body_region in BodyRegion.values else ""
    parts = [" ".join(part for part in (side, where) if part) or "Site not recorded"]
    parts[0] = parts[0][0].upper() + parts[0][1:]
    if segment:
        if body_region == BodyRegion.FOOT and segment in FOOT_SEGMENTS:
            parts.append(FOOT_SEGMENTS[segment])
        elif segment in Segment.values:
            parts.append(Segment(segment).label.lower())
    if tissue in TISSUES:
        parts.append(TISSUES[tissue])
    return ", ".join(parts)


def since_text(first_seen: datetime.date | None) -> str:
    """When first seen ("since Mar 2023", the request's locale); empty if never observed."""
    return f"since {month_text(first_seen)}" if first_seen else ""


def track_name(site: Mapping, first_seen: datetime.date | None = None) -> str:
    """The deposit's name: its site, then when it was first seen.

    ``site`` holds ``body_region``, ``laterality``, ``digit``, ``segment`` and ``tissue`` (a
    track's fields, or the ``site`` object of the progression API).
    """
    name = site_name(
        body_region=site.get("body_region", ""),
        laterality=site.get("laterality", ""),
        digit=site.get("digit"),
        segment=site.get("segment") or "",
        tissue=site.get("tissue") or "",
    )
    since = since_text(first_seen)
    return f"{name} — {since}" if since else name
