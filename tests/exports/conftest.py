"""A small two-center cohort whose identifiers are distinctive (so a leak is found by grep), and
helpers that run an export and open its zip."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import Center
from exports.runner import ExportSpec, export_to_zip
from imaging.models import Radiograph, RadiographicFinding
from imaging.services import finding_save
from patients.models import CalcinosisTreatment
from patients.services import treatment_save
from tests import factories

# Database keys far from anything else in the files (a digit, a score or a year never reads
# like these), and identifiers that cannot occur by chance.
PATIENT_PKS = (7340001, 7340002, 7340003)
RADIOGRAPH_PKS = (7350001, 7350002, 7350003, 7350004)
LESION_PKS = (7360001, 7360002, 7360003, 7360004)
VISIT_PKS = (7370001, 7370002, 7370003)
TRACK_PKS = (7380001,)
LOCAL_IDS = ("MRN-NORTH-4471", "MRN-SOUTH-9902", "MRN-NORTH-5803")
STUDY_UID = "1.2.826.0.1.3680043.8.498.77001"
SERIES_UID = "1.2.826.0.1.3680043.8.498.77002"
SOP_UID = "1.2.826.0.1.3680043.8.498.77003"
FINDING_NOTE = "Secret: see the hand surgeon's letter"  # a finding's notes never leave


@dataclass
class Cohort:
    north: Center
    south: Center
    anne: object  # north, limited, onset 2013-03 (month), CR(E)ST documented
    bruno: object  # south, diffuse, no first non-Raynaud onset recorded
    chloe: object  # north, sine scleroderma, no radiograph
    registry_ids: tuple[str, ...]


def build_cohort() -> Cohort:
    north = factories.make_center("north", "North clinic")
    south = factories.make_center("south", "South clinic")
    anne = factories.make_patient(
        north,
        pk=PATIENT_PKS[0],
        local_id=LOCAL_IDS[0],
        birth_date=date(1960, 11, 2),
        ssc_subtype="limited_cutaneous",
        sclerodactyly=True,
        telangiectasia=True,
        raynaud_phenomenon=True,
        antibody_aca="positive",
        raynaud_onset=date(2009, 1, 1),
        raynaud_onset_precision="year",
        first_non_raynaud_onset=date(2013, 3, 1),
        first_non_raynaud_onset_precision="month",
        diagnosis_date=date(2013, 9, 10),
        notes="Lives at 12 Rue Secrète; call her daughter",
    )
    bruno = factories.make_patient(
        south,
        pk=PATIENT_PKS[1],
        local_id=LOCAL_IDS[1],
        birth_date=date(1971, 4, 20),
        sex="male",
        ssc_subtype="diffuse_cutaneous",
        antibody_scl70="positive",
    )
    chloe = factories.make_patient(
        north, pk=PATIENT_PKS[2], local_id=LOCAL_IDS[2], birth_date=date(1985, 2, 14),
        ssc_subtype="sine_scleroderma",
    )
    factories.make_visit(
        anne, pk=VISIT_PKS[0], date=date(2014, 1, 10), visit_type="baseline", mrss_total=12,
        calcinosis_pain_nrs=4, ulceration=True, ulceration_site="left thumb pulp, secret",
        raynaud_attacks_per_day=2.5,
    )
    factories.make_visit(anne, pk=VISIT_PKS[1], date=date(2015, 1, 12), mrss_total=10)
    factories.make_visit(bruno, pk=VISIT_PKS[2], date=date(2016, 6, 1), visit_type="baseline",
                         mrss_total=30)
    first = factories.make_radiograph(
        anne, pk=RADIOGRAPH_PKS[0], acquired_on=date(2014, 1, 10), pixel_spacing_row_mm=0.1,
        pixel_spacing_column_mm=0.1, pixel_spacing_source="projection", modality="DX",
        notes="Burned-in name visible",
    )
    Radiograph.objects.filter(pk=first.pk).update(
        study_instance_uid=STUDY_UID, series_instance_uid=SERIES_UID, sop_instance_uid=SOP_UID
    )
    second = factories.make_radiograph(anne, pk=RADIOGRAPH_PKS[1], acquired_on=date(2015, 1, 12))
    oblique = factories.make_radiograph(
        anne, pk=RADIOGRAPH_PKS[2], acquired_on=date(2015, 1, 12), view="oblique"
    )
    bruno_hand = factories.make_radiograph(
        bruno, pk=RADIOGRAPH_PKS[3], acquired_on=date(2016, 6, 1), laterality="right"
    )
    track = factories.make_track(anne, pk=TRACK_PKS[0], label="the big one, per Dr Secret")
    factories.make_lesion(first, pk=LESION_PKS[0], track=track, longest_diameter_mm=8.0,
                          perpendicular_diameter_mm=3.0, morphology="stone")
    factories.make_lesion(second, pk=LESION_PKS[1], track=track, longest_diameter_mm=11.0)
    factories.make_lesion(oblique, pk=LESION_PKS[2], track=track, longest_diameter_mm=10.5)
    factories.make_lesion(bruno_hand, pk=LESION_PKS[3], digit=3, segment="middle_phalanx",
                          longest_diameter_mm=4.2)
    # Every level has rows (issue #17): a treatment and a radiographic finding of anne.
    treatment_save(treatment=CalcinosisTreatment(
        patient=anne, treatment="sodium_thiosulfate", route="intralesional",
        dose_amount=Decimal("2.5"), dose_unit="mL", dose_frequency="weekly",
        started_on=date(2020, 3, 1), stopped_on=date(2020, 9, 1),
    ))
    finding_save(finding=RadiographicFinding(
        radiograph=first, finding="periarticular_osteopenia", digit=4, joint="pip",
        notes=FINDING_NOTE,
    ))
    ids = tuple(p.registry_id for p in (anne, bruno, chloe))
    return Cohort(north, south, anne, bruno, chloe, ids)


@pytest.fixture
def cohort(db) -> Cohort:
    return build_cohort()


@pytest.fixture(autouse=True)
def _cell_size_of_the_small_cohort(settings):
    """The cohort's three patients are below the default REGISTRY_MIN_CELL_SIZE, which would
    refuse every researcher's export; test_research_exports.py tests the default of 5. They
    are below K too: generalized, a researcher's export would suppress all three, so
    researchers' exports here are not generalized unless a test says so
    (test_k_anonymity_exports.py tests the default)."""
    settings.REGISTRY_MIN_CELL_SIZE = 1
    settings.REGISTRY_EXPORT_RESEARCH_GENERALIZE = False


def run_export(tmp_path: Path, **spec) -> zipfile.ZipFile:
    """Export with ``spec`` (ExportSpec fields) to a zip under ``tmp_path``; the opened zip."""
    spec.setdefault("date_mode", "keep")
    path = tmp_path / f"{spec['level']}-{spec['format']}-{spec['date_mode']}.zip"
    export_to_zip(ExportSpec(**spec), path)
    return zipfile.ZipFile(path)


def csv_rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    import csv

    text = archive.read(name).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def treated(cohort: Cohort):
    """The cohort with treatments and radiographic findings (tests/exports/treated.py)."""
    from tests.exports.treated import add_treatments_and_findings

    return add_treatments_and_findings(cohort)
