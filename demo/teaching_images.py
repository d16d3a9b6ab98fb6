"""The teaching case's left-hand radiographs as synthetic DICOM, ingested like a modality's,
with the thumb deposit measured on each image by its pixel end points.

Sizes (longest x perpendicular, mm) per date and view, as DOMAIN.md's teaching case describes:
a 15 mm soft-tissue deposit over the distal phalanx of the left thumb, seen on PA, oblique and a
thumb view, growing at the yearly follow-ups.
"""

from __future__ import annotations

from datetime import date

from demo.synthetic import hand_radiograph
from imaging.dicom.ingest import radiograph_ingest
from imaging.models import CalcinosisLesion, DicomInstance, Radiograph, RadiographicFinding
from imaging.services import finding_save, lesion_save, radiograph_save
from patients.models import Patient

TEACHING_IMAGES: dict[date, dict[str, tuple[float, float]]] = {
    date(2023, 3, 15): {"pa": (15.0, 9.0), "oblique": (14.2, 9.0), "digit": (15.0, 9.0)},
    # +2.0 mm is 13 % of 15 mm: under the 25 % cut-off, so stable.
    date(2024, 3, 20): {"pa": (17.0, 10.0), "oblique": (16.1, 10.0), "digit": (16.8, 10.0)},
    # +4.5 mm is 30 % of 15 mm and >= 2 mm: progressed.
    date(2025, 3, 18): {"pa": (19.5, 11.0), "oblique": (18.7, 11.0), "digit": (19.2, 11.0)},
}
FINDINGS = [
    {"finding": "periarticular_osteopenia", "digit": 1, "joint": "ip"},
    {"finding": "cortical_thinning", "digit": 4, "joint": "pip"},
]


def attach_teaching_images(patient: Patient) -> int:
    """Ingest the images once (a patient who has them already is left alone); returns how many."""
    if DicomInstance.objects.filter(patient=patient).exists():
        return 0
    count = 0
    for day, views in TEACHING_IMAGES.items():
        visit = patient.visits.filter(date=day).first()
        for index, (view, deposit) in enumerate(views.items()):
            image = hand_radiograph(
                patient_id=patient.local_id,
                acquired_on=day,
                view=view,
                deposit_mm=deposit,
                seed=day.year * 10 + index,
            )
            result = radiograph_ingest(
                image.data, center=patient.center, via="cli", patient=patient
            )
            radiograph = Radiograph.objects.get(pk=result.radiograph_id)
            radiograph.visit, radiograph.view = visit, view  # a thumb view says PA in its header
            radiograph_save(radiograph=radiograph)
            lesion_save(
                lesion=CalcinosisLesion(
                    radiograph=radiograph,
                    digit=1,
                    segment="distal_phalanx",
                    tissue="soft_tissue",
                    morphology="stone",
                    density="dense",
                    longest_axis_px=image.deposit_axis_px,
                    perpendicular_axis_px=image.deposit_perpendicular_px,
                )
            )
            if view == "pa":
                for finding in FINDINGS:
                    finding_save(finding=RadiographicFinding(radiograph=radiograph, **finding))
            count += 1
    return count
