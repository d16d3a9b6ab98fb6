"""The teaching case the registry started from, as a demo record.

A 62-year-old woman, 10 years into limited cutaneous SSc, sclerodactyly, with a painful 15 mm
soft-tissue deposit over the distal phalanx of the left thumb on PA, oblique and thumb-view
radiographs; periarticular osteopenia at the thumb and cortical thinning at the ring-finger PIP
joint; yearly follow-up radiographs after it. Synthetic: no real person.
"""

from __future__ import annotations

from datetime import date

from demo.cohort import (
    DEMO_CENTERS,
    PatientRecord,
    RadiographRecord,
    VisitRecord,
)

TEACHING_CASE_LOCAL_ID = "TEACH-0001"
BASELINE = date(2023, 3, 15)  # she is 62 (born 1960-11-02); onset March 2013 -> 10.0 years


def _right_hand(day: date) -> list[RadiographRecord]:
    """The right hand, typed in (no deposit); the left hand's images come as synthetic DICOM
    (demo.teaching_images), measured on the image."""
    return [RadiographRecord(day, "right", "pa")]


def teaching_case() -> PatientRecord:
    values = {
        "registry_id": "SSC-TEACH0001",
        "local_id": TEACHING_CASE_LOCAL_ID,
        "sex": "female",
        "birth_date": date(1960, 11, 2),
        "ssc_subtype": "limited_cutaneous",
        "raynaud_onset": date(2009, 1, 1),
        "raynaud_onset_precision": "year",
        "first_non_raynaud_onset": date(2013, 3, 1),
        "first_non_raynaud_onset_precision": "month",
        "diagnosis_date": date(2013, 9, 10),
        "antibody_aca": "positive",
        "antibody_scl70": "negative",
        "antibody_rnap3": "negative",
        "sclerodactyly": True,
        "raynaud_phenomenon": True,  # sclerodactyly 4 + Raynaud 3 + ACA 3 = 10: meets criteria
        "telangiectasia": False,
    }
    pain = {"ulceration": False, "infection": False, "drainage": False, "mrss_total": 6}
    visits = [
        VisitRecord(
            BASELINE,
            "baseline",
            {**pain, "calcinosis_pain_nrs": 6, "chfs_total": 18},
            _right_hand(BASELINE),
        ),
        VisitRecord(
            date(2024, 3, 20),
            "follow_up",
            {**pain, "calcinosis_pain_nrs": 6, "chfs_total": 20},
            _right_hand(date(2024, 3, 20)),
        ),
        VisitRecord(
            date(2025, 3, 18),
            "follow_up",
            {**pain, "calcinosis_pain_nrs": 7, "chfs_total": 24},
            _right_hand(date(2025, 3, 18)),
        ),
    ]
    treatments = [
        {
            "treatment": "sodium_thiosulfate",
            "route": "topical",
            "started_on": date(2023, 4, 1),
            "stopped_on": date(2024, 4, 1),
        }
    ]
    tracks: dict[str, dict] = {}  # the thumb deposit's track is matched by the engine
    return PatientRecord(
        DEMO_CENTERS[0][0],
        values,
        [(date(2013, 9, 10), "limited_cutaneous")],
        tracks,
        visits,
        treatments,
    )
