"""Shared inputs of the engine tests: radiographs and lesions in a line each, and readers of
the results. Sites: THUMB and INDEX (distal phalanx, soft tissue); D1-D3 are 365 days apart."""

from __future__ import annotations

from datetime import date

from progression.engine.grading import compute_progression
from progression.engine.inputs import LesionIn, RadiographIn

THUMB = {"digit": 1, "segment": "distal_phalanx", "tissue": "soft_tissue"}
INDEX = {"digit": 2, "segment": "distal_phalanx", "tissue": "soft_tissue"}
D1, D2, D3 = date(2020, 3, 2), date(2021, 3, 2), date(2022, 3, 2)  # 365 days apart


def xr(id_, day, view="pa", side="left", region="hand", spacing=None):
    return RadiographIn(id_, day, region, side, spacing, view)


def lesion(id_, radiograph, diameter, site=None, side="left", **kwargs):
    site = THUMB if site is None else site
    return LesionIn(
        id=id_,
        radiograph_id=radiograph,
        laterality=side,
        longest_diameter_mm=diameter,
        **site,
        **kwargs,
    )


def run(radiographs, lesions, **kwargs):
    return compute_progression(radiographs=radiographs, lesions=lesions, **kwargs)


def statuses(result, series=0):
    return [tp.status for tp in result.series[series].timepoints]


def track_statuses(track):
    return [obs.status for obs in track.observations]


def only_track(result):
    assert len(result.tracks) == 1
    return result.tracks[0]
