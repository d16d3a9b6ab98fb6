"""A synthetic cohort in the progression benchmark's shape, written with bulk inserts.

Each patient: one left-hand PA radiograph a year for ``dates`` years, ``lesions`` deposits on
each (digits 1.., distal phalanx, soft tissue) growing by a seeded random walk, no track yet (the
engine matches them). Not seed_demo's shape (that one has few deposits per patient); no history
rows (nothing here is an edit anybody made). Used by ``benchmarks/progression.py`` and by the
integration tests, which need many patients for a cohort job long enough to kill a worker in.
"""

from __future__ import annotations

import random
from datetime import date

from django.db import transaction

from accounts.models import Center
from imaging.models import CalcinosisLesion, Radiograph
from patients.models import Patient

FIRST_DATE = date(2019, 3, 1)


@transaction.atomic
def bulk_cohort(
    patients: int, *, dates: int = 6, lesions: int = 4, seed: int = 7, batch_size: int = 2000
) -> list[int]:
    """Insert the cohort; returns the new patients' ids (``lesions``: 1 to 5, one per digit)."""
    if not 1 <= lesions <= 5:
        raise ValueError("lesions: 1 to 5 (one deposit per digit)")
    rng = random.Random(seed)
    center, _ = Center.objects.get_or_create(code="bench", defaults={"name": "Benchmark"})
    start = Patient.objects.filter(center=center).count()
    rows = [
        Patient(
            center=center,
            local_id=f"BENCH-{start + number:07d}",
            birth_date=date(1950 + number % 30, 1 + number % 12, 1),
            first_non_raynaud_onset=date(2005 + number % 12, 1, 1),
            first_non_raynaud_onset_precision="year",
        )
        for number in range(patients)
    ]
    created = Patient.objects.bulk_create(rows, batch_size=batch_size)
    radiographs = [
        Radiograph(
            patient=patient,
            acquired_on=FIRST_DATE.replace(year=FIRST_DATE.year + year),
            body_region="hand",
            laterality="left",
            view="pa",
            pixel_spacing_row_mm=0.1,
            pixel_spacing_column_mm=0.1,
            pixel_spacing_source="projection",
        )
        for patient in created
        for year in range(dates)
    ]
    radiographs = Radiograph.objects.bulk_create(radiographs, batch_size=batch_size)
    deposits = []
    for index in range(len(created)):
        sizes = [rng.uniform(2.0, 12.0) for _ in range(lesions)]
        for radiograph in radiographs[index * dates : (index + 1) * dates]:
            for digit, size in enumerate(sizes, start=1):
                deposits.append(
                    CalcinosisLesion(
                        radiograph=radiograph,
                        laterality="left",
                        digit=digit,
                        segment="distal_phalanx",
                        tissue="soft_tissue",
                        longest_diameter_mm=round(size, 1),
                    )
                )
            sizes = [max(0.5, size + rng.uniform(-1.0, 2.5)) for size in sizes]
    CalcinosisLesion.objects.bulk_create(deposits, batch_size=batch_size)
    return [patient.pk for patient in created]
