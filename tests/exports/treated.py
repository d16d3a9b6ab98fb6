"""Treatments and radiographic findings added by hand to the export cohort (tests/exports/conftest
already gives anne an intralesional sodium thiosulfate, 2.5 mL weekly from 2020-03-01 to
2020-09-01, and a periarticular osteopenia at the ring finger's PIP joint on her left hand
radiograph), with free text that must never leave, and a patient whose radiographs consent is
missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from consent.models import Scope
from imaging.models import Radiograph, RadiographicFinding
from imaging.services import finding_save
from patients.models import CalcinosisTreatment, Patient
from patients.services import treatment_save
from tests import factories
from tests.exports.conftest import FINDING_NOTE, RADIOGRAPH_PKS, Cohort

OTHER_TEXT = "SECRET-HERBAL-REMEDY"
__all__ = ["FINDING_NOTE", "OTHER_TEXT", "Treated", "add_treatments_and_findings"]
# anne's anchor: first non-Raynaud onset 2013-03 (month precision), counted from 2013-03-15.
ANCHOR = date(2013, 3, 15)


@dataclass
class Treated:
    cohort: Cohort
    dora: Patient  # north, research consent without the radiographs scope


def _treat(patient: Patient, **values) -> CalcinosisTreatment:
    return treatment_save(treatment=CalcinosisTreatment(patient=patient, **values))


def add_treatments_and_findings(cohort: Cohort) -> Treated:
    anne, bruno, chloe = cohort.anne, cohort.bruno, cohort.chloe
    thiosulfate = anne.treatments.get(treatment="sodium_thiosulfate")
    thiosulfate.visit = factories.make_visit(anne, date=date(2020, 3, 1), mrss_total=9)
    treatment_save(treatment=thiosulfate)  # recorded at that visit
    _treat(anne, treatment="diltiazem", dose_amount=Decimal("180"), dose_unit="mg",
           dose_frequency="daily", started_on=date(2021, 5, 10))
    _treat(anne, treatment="surgical_excision", started_on=date(2022, 2, 2),
           stopped_on=date(2022, 2, 2))
    baseline = bruno.visits.get(date=date(2016, 6, 1))
    _treat(bruno, visit=baseline, treatment="none", started_on=date(2016, 6, 1))
    _treat(bruno, treatment="eswl", started_on=date(2017, 4, 3))
    _treat(chloe, treatment="other", other_text=OTHER_TEXT, started_on=date(2019, 1, 1))
    right_hand = Radiograph.objects.get(pk=RADIOGRAPH_PKS[3])  # bruno's, 2016-06-01
    finding_save(finding=RadiographicFinding(
        radiograph=right_hand, finding="acro_osteolysis", digit=2, segment="distal_phalanx",
    ))
    dora = factories.make_patient(cohort.north, consent=False, local_id="MRN-NORTH-6120",
                                  birth_date=date(1966, 8, 8))
    factories.record_consent(dora, scopes=(Scope.CARE, Scope.RESEARCH))
    _treat(dora, treatment="colchicine", started_on=date(2021, 1, 4))
    radiograph = factories.make_radiograph(dora, acquired_on=date(2021, 1, 4))
    finding_save(finding=RadiographicFinding(radiograph=radiograph, finding="erosion", digit=3))
    return Treated(cohort, dora)
