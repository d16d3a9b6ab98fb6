"""The columns of the treatments and findings levels (issue #17), described from the models like
every level (:mod:`exports.levels`). SQL aliases: ``t`` treatment, ``v`` the visit that recorded
it, ``f`` radiographic finding, ``rm`` the temporary radiograph map, ``m`` the patient map.
Neither level is imported: every column's ``imports_to`` is empty.
"""

from __future__ import annotations

from dataclasses import replace

from exports import codes
from exports.columns import BOOLEAN, DATE_VALUE, Column, for_mode, from_field
from exports.levels import ACQUIRED_ON, PATIENT, RADIOGRAPH_NUMBER, duration_column
from imaging.models import Radiograph, RadiographicFinding
from patients.models import CalcinosisTreatment, Visit


def treatment_columns(date_mode: str) -> list[Column]:
    """One row per calcinosis treatment; never ``other_text`` (free text). The import does not
    read this level."""

    def described(field: str, **kwargs) -> Column:
        return from_field(CalcinosisTreatment, field, sql=f"t.{field}", imports=False, **kwargs)

    columns = [
        replace(PATIENT, imports_to=""),
        described(
            "treatment", codes_by_value=codes.TREATMENT_CODES,
            description="The agent or procedure (DOMAIN.md's list); \"other\" is not named "
            "(its free text never leaves); \"none\" records that no treatment was given.",
        ),
        described(
            "route", codes_by_value=codes.ROUTE_CODES,
            description="Route of sodium thiosulfate; empty for the other treatments.",
        ),
        replace(
            described(
                "dose_amount",
                description="Amount per administration in dose_unit; empty when not recorded.",
            ),
            allowed="> 0; empty = not recorded",
        ),
        described(
            "dose_unit",
            description="The values are UCUM codes (https://ucum.org); empty exactly when "
            "dose_amount is.",
        ),
        described("dose_frequency"),
        described("started_on", how=DATE_VALUE, relative_name="started_day", label="started"),
        described("stopped_on", how=DATE_VALUE, relative_name="stopped_day", label="stopped",
                  description="Empty while the treatment goes on."),
        Column(
            "ongoing",
            BOOLEAN,
            "ongoing",
            sql="(t.stopped_on IS NULL)",
            allowed="true; false",
            description="No stop date recorded (as of the export).",
        ),
        replace(duration_column("t.started_on"), label="disease duration at start"),
        from_field(
            Visit, "date", name="visit_date", sql="v.date", how=DATE_VALUE,
            relative_name="visit_day", label="date of the recording visit", imports=False,
            description="The visit at which the treatment was recorded; empty when none.",
        ),
        from_field(
            Visit, "visit_type", sql="v.visit_type", label="type of the recording visit",
            imports=False,
        ),
    ]
    return for_mode(columns, date_mode)


def finding_columns(date_mode: str) -> list[Column]:
    """One row per radiographic finding other than calcinosis, with its site; never ``notes``
    (free text). Only the radiographs of the radiograph map, so a patient whose radiographs a
    research export withholds has no findings either. The import does not read this level."""

    def described(field: str, **kwargs) -> Column:
        return from_field(RadiographicFinding, field, sql=f"f.{field}", imports=False, **kwargs)

    columns = [
        replace(PATIENT, sql="rm.pseudonym", imports_to=""),
        replace(RADIOGRAPH_NUMBER, imports_to="",
                description="The radiograph's number in this export's radiographs file."),
        replace(ACQUIRED_ON, imports_to=""),
        from_field(
            Radiograph, "body_region", sql="rm.body_region", codes_by_value=codes.REGION_CODES,
            imports=False,
        ),
        from_field(
            Radiograph, "laterality", name="radiograph_laterality", sql="rm.laterality",
            label="radiograph laterality", imports=False,
        ),
        described(
            "finding",
            description="Coded radiographic finding (DOMAIN.md); \"other\" is not described "
            "(its notes never leave).",
        ),
        described(
            "digit", codes_by_value=codes.DIGIT_CODES,
            description="1 = thumb ... 5 = little finger; empty when not recorded.",
        ),
        described("segment"),
        described("joint"),
    ]
    return for_mode(columns, date_mode)
