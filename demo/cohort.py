"""A synthetic, repeatable multi-center SSc cohort for demonstrations and benchmarks.

Plain records from a seeded ``random.Random``: the same seed and size give the same cohort.
Frequencies follow DOMAIN.md (limited SSc ~60 %; ACA in about half of limited, anti-Scl-70 and
anti-RNA pol III dominate in diffuse; most deposits in the hands, many at the thumbs; stone
morphology in ~91 %). Nothing here is real patient data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

DEMO_CENTERS = [
    ("demo-north", "Northbridge University Hospital — Rheumatology (demo)"),
    ("demo-lake", "Lakeside Scleroderma Clinic (demo)"),
    ("demo-hill", "Hillcrest Medical Centre — Connective Tissue Diseases (demo)"),
]
ANCHOR = date(2026, 6, 30)  # the last demo follow-up is on or before this date
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass
class LesionRecord:
    track: str  # key of the patient's track
    longest_diameter_mm: float
    perpendicular_diameter_mm: float | None
    morphology: str
    density: str


@dataclass
class RadiographRecord:
    acquired_on: date
    laterality: str
    view: str
    body_region: str = "hand"
    pixel_spacing_mm: float | None = 0.1
    lesions: list[LesionRecord] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)


@dataclass
class VisitRecord:
    date: date
    visit_type: str
    values: dict
    radiographs: list[RadiographRecord] = field(default_factory=list)


@dataclass
class PatientRecord:
    center_code: str
    values: dict  # Patient model fields
    assessments: list[tuple[date, str]]
    tracks: dict[str, dict]  # key -> site fields
    visits: list[VisitRecord]
    treatments: list[dict]


def _registry_id(rng: random.Random) -> str:
    return "SSC-" + "".join(rng.choice(_ID_ALPHABET) for _ in range(8))


def _partial(rng: random.Random, day: date) -> tuple[date, str]:
    """A partial onset date: registries mostly know the year or the month."""
    precision = rng.choices(["year", "month", "day"], weights=[5, 3, 2])[0]
    if precision == "year":
        return date(day.year, 1, 1), "year"
    if precision == "month":
        return date(day.year, day.month, 1), "month"
    return day, "day"


def _antibodies(rng: random.Random, subtype: str) -> dict[str, str]:
    def result(p_positive: float, p_known: float = 0.92) -> str:
        if rng.random() > p_known:
            return "unknown"
        return "positive" if rng.random() < p_positive else "negative"

    if subtype == "limited_cutaneous":
        aca, scl70, rnap3 = result(0.5), result(0.1), result(0.04)
    elif subtype == "diffuse_cutaneous":
        aca, scl70, rnap3 = result(0.05), result(0.4), result(0.25)
    else:
        aca, scl70, rnap3 = result(0.2), result(0.15), result(0.05)
    values = {"antibody_aca": aca, "antibody_scl70": scl70, "antibody_rnap3": rnap3}
    values["antibody_u1rnp"] = result(0.3 if subtype == "overlap" else 0.05, 0.5)
    values["antibody_pmscl"] = result(0.4 if subtype == "overlap" else 0.03, 0.4)
    values["antibody_thto"] = result(0.03, 0.3)
    values["antibody_u3rnp"] = result(0.04, 0.3)
    return values


def _items(rng: random.Random, subtype: str) -> dict[str, bool]:
    diffuse = subtype == "diffuse_cutaneous"
    sine = subtype == "sine_scleroderma"
    return {
        "skin_thickening_proximal_to_mcp": diffuse and rng.random() < 0.8,
        "puffy_fingers": rng.random() < 0.4,
        "sclerodactyly": not sine and rng.random() < 0.85,
        "digital_tip_ulcers": rng.random() < 0.3,
        "fingertip_pitting_scars": rng.random() < 0.35,
        "telangiectasia": rng.random() < (0.7 if subtype == "limited_cutaneous" else 0.4),
        "abnormal_nailfold_capillaries": rng.random() < 0.75,
        "pulmonary_arterial_hypertension": rng.random() < 0.08,
        "interstitial_lung_disease": rng.random() < (0.5 if diffuse else 0.25),
        "raynaud_phenomenon": rng.random() < 0.96,
    }


def _deposit(rng: random.Random, side: str) -> dict:
    """A deposit's site: most in the fingertips, many at the thumb (PMC8205269)."""
    digit = rng.choices([1, 2, 3, 4, 5], weights=[30, 22, 20, 16, 12])[0]
    segment = rng.choices(
        ["distal_phalanx", "middle_phalanx", "proximal_phalanx", "metacarpal"],
        weights=[60, 15, 15, 10],
    )[0]
    tissue = rng.choices(["soft_tissue", "periarticular", "tendon"], weights=[70, 25, 5])[0]
    return {
        "body_region": "hand",
        "laterality": side,
        "digit": digit,
        "segment": segment,
        "tissue": tissue,
    }


def _visit_values(rng: random.Random, calcinosis: bool) -> dict:
    pain = rng.randint(2, 8) if calcinosis and rng.random() < 0.7 else rng.randint(0, 2)
    ulcer = calcinosis and rng.random() < 0.15
    return {
        "mrss_total": rng.randint(2, 30),
        "calcinosis_pain_nrs": pain,
        "ulceration": ulcer,
        "ulceration_site": "fingertip" if ulcer else "",
        "infection": calcinosis and rng.random() < 0.05,
        "drainage": calcinosis and rng.random() < 0.1,
        "chfs_total": rng.randint(0, 60),
        "digital_ulcer_count": rng.choices([0, 1, 2, 3], weights=[70, 18, 8, 4])[0],
        "raynaud_attacks_per_day": rng.choice([0, 0.5, 1, 2, 3, 4]),
    }


def _patient(rng: random.Random, index: int, end: date) -> PatientRecord:
    center_code = DEMO_CENTERS[index % len(DEMO_CENTERS)][0]
    subtype = rng.choices(
        ["limited_cutaneous", "diffuse_cutaneous", "sine_scleroderma", "overlap", "undetermined"],
        weights=[58, 30, 5, 5, 2],
    )[0]
    years_followed = rng.randint(0, 5)
    baseline = end - timedelta(days=365 * years_followed + rng.randint(0, 300))
    first_onset_day = baseline - timedelta(days=rng.randint(180, 365 * 20))
    raynaud_day = first_onset_day - timedelta(days=rng.randint(0, 365 * 8))
    birth = raynaud_day - timedelta(days=rng.randint(365 * 18, 365 * 55))
    first_onset, first_precision = _partial(rng, first_onset_day)
    raynaud, raynaud_precision = _partial(rng, raynaud_day)
    diagnosis = first_onset_day + timedelta(days=rng.randint(0, 365 * 2))
    diagnosis = min(diagnosis, baseline)
    # A sine scleroderma patient is sometimes reassessed as limited (PMID 25274885).
    assessments = [(diagnosis, subtype)]
    if subtype == "sine_scleroderma" and years_followed >= 2 and rng.random() < 0.5:
        assessments.append((baseline + timedelta(days=365 * 2), "limited_cutaneous"))
        subtype = "limited_cutaneous"
    values = {
        "registry_id": _registry_id(rng),
        "local_id": f"{center_code.split('-')[1].upper()}-{index + 1:06d}",
        "sex": rng.choices(["female", "male"], weights=[85, 15])[0],
        "birth_date": birth,
        "ssc_subtype": subtype,
        "raynaud_onset": raynaud,
        "raynaud_onset_precision": raynaud_precision,
        "first_non_raynaud_onset": first_onset,
        "first_non_raynaud_onset_precision": first_precision,
        "diagnosis_date": diagnosis,
        **_antibodies(rng, subtype),
        **_items(rng, subtype),
    }
    calcinosis = rng.random() < (0.4 if subtype == "limited_cutaneous" else 0.25)
    tracks: dict[str, dict] = {}
    sizes: dict[str, float] = {}
    trends: dict[str, float] = {}
    if calcinosis:
        for n in range(rng.choices([1, 2, 3, 4], weights=[45, 30, 15, 10])[0]):
            key = f"d{n}"
            tracks[key] = _deposit(rng, rng.choice(["left", "right"]))
            sizes[key] = round(rng.uniform(2, 18), 1)
            trends[key] = rng.choice([-2.5, -0.5, 0.0, 0.5, 1.5, 3.0])
    visits = []
    for year in range(years_followed + 1):
        day = baseline + timedelta(days=365 * year + rng.randint(-20, 20))
        day = min(max(day, baseline), end)
        visit = VisitRecord(
            day, "baseline" if year == 0 else "follow_up", _visit_values(rng, calcinosis)
        )
        if year > 0 and calcinosis and rng.random() < 0.2:
            key = f"d{len(tracks)}"
            tracks[key] = _deposit(rng, rng.choice(["left", "right"]))
            sizes[key] = round(rng.uniform(2, 6), 1)
            trends[key] = rng.choice([0.5, 1.5, 3.0])
        if rng.random() < 0.8 or year == 0:
            for side in ("left", "right"):
                pa = RadiographRecord(day, side, "pa")
                oblique = RadiographRecord(day, side, "oblique") if rng.random() < 0.5 else None
                for key, site in tracks.items():
                    if site["laterality"] != side or sizes[key] <= 0:
                        continue
                    size = sizes[key]
                    perpendicular = round(size * rng.uniform(0.4, 0.9), 1)
                    morphology = rng.choices(["stone", "net", "plate"], weights=[91, 5, 4])[0]
                    pa.lesions.append(LesionRecord(key, size, perpendicular, morphology, "dense"))
                    if oblique is not None:
                        seen = round(max(0.5, size - rng.uniform(0, 1)), 1)
                        oblique.lesions.append(
                            LesionRecord(key, seen, min(perpendicular, seen), morphology, "dense")
                        )
                if rng.random() < 0.15:
                    pa.findings.append(
                        {
                            "finding": "acro_osteolysis",
                            "digit": rng.randint(1, 5),
                            "segment": "distal_phalanx",
                            "joint": "",
                        }
                    )
                visit.radiographs.extend(r for r in (pa, oblique) if r is not None)
        visits.append(visit)
        for key in sizes:
            grown = round(sizes[key] + trends[key] * rng.uniform(0.5, 1.5), 1)
            # A deposit that shrinks below 1 mm has resolved; none grows past the hand's limit.
            sizes[key] = 0 if grown < 1 else min(grown, 55.0)
    treatments = []
    if calcinosis and rng.random() < 0.5:
        start = baseline + timedelta(days=rng.randint(0, 200))
        if start <= end:
            treatment = rng.choice(
                ["diltiazem", "bisphosphonate", "sodium_thiosulfate", "colchicine"]
            )
            treatments.append(
                {
                    "treatment": treatment,
                    "route": "topical" if treatment == "sodium_thiosulfate" else "",
                    "started_on": start,
                    "stopped_on": start + timedelta(days=365)
                    if start + timedelta(days=365) <= end
                    else None,
                }
            )
    return PatientRecord(center_code, values, assessments, tracks, visits, treatments)


def generate_cohort(
    count: int, *, start: int = 0, seed: int = 2013, end: date | None = None
) -> list[PatientRecord]:
    """Patients ``start`` .. ``start + count - 1``; patient i is the same however asked for."""
    end = min(ANCHOR, end or ANCHOR)
    return [_patient(random.Random(f"{seed}:{i}"), i, end) for i in range(start, start + count)]
