"""The columns of each export level, described from the models (:func:`exports.columns.from_field`).

SQL aliases: ``m`` the temporary patient map (pseudonym, date offset, anchor, mapped dates,
the center as exported), ``p`` patient, ``v`` visit, ``r`` radiograph, ``rm`` the temporary
radiograph map (ordinal and transformed date), ``l`` lesion, ``tm`` the temporary track map
(ordinal); the treatments and findings levels: :mod:`exports.treatment_finding_levels`. What
never leaves: local and registry ids, database keys, DICOM UIDs, names, notes, ``*_site``,
labels, ``other_text`` and the reason criteria do not apply (free text).
"""

from __future__ import annotations

from dataclasses import replace

from exports import codes
from exports.clinical_columns import (
    classification_columns,
    consent_date_columns,
    visit_measure_columns,
)
from exports.columns import (
    BOOLEAN,
    CATEGORY,
    DATE,
    DATE_VALUE,
    INTEGER,
    MAPPED,
    MAPPED_DATE,
    NUMBER,
    PLAIN,
    STRING,
    YEARS_SINCE_ANCHOR,
    Column,
    birth_column,
    choices_text,
    for_mode,
    from_field,
)
from imaging.models import ABSOLUTE_MAX_DIAMETER_MM, CalcinosisLesion, LesionTrack, Radiograph
from patients.choices import AUTOANTIBODIES
from patients.models import Patient, Visit
from progression.engine.results import SeriesStatus

PATIENT = Column(
    "patient",
    STRING,
    "patient pseudonym",
    sql="m.pseudonym",
    how=MAPPED,
    description="Keyed hash of the registry id, specific to this export (or to its project key). "
    "In the import variant it is read as the local identifier when local_id is absent.",
    imports_to="local_id",
)
LOCAL_ID = Column(
    "local_id",
    STRING,
    "local identifier (MRN)",
    description="Import variant only: the clinic's identifier of the patient, unique in its "
    "center. Never exported.",
    imports_to="local_id",
)
CENTER = Column(
    "center",
    STRING,
    "center code",
    sql="m.center",
    description="The contributing center; \"(other)\" for the small centers of a generalized "
    "export (the manifest's re_identification lists them). On import, rows of another center "
    "are refused.",
)


def _onset(field: str, mapped: str) -> list[Column]:
    described = from_field(
        Patient,
        field,
        sql=f"m.{mapped}",
        how=MAPPED_DATE,
        relative_name=f"{field}_day",
        description="The midpoint of the recorded period (a year counts from 1 July, a month "
        "from the 15th: DOMAIN.md), with its precision beside it.",
    )
    precision = from_field(Patient, f"{field}_precision", sql=f"p.{field}_precision")
    return [described, precision]


def patient_columns(date_mode: str) -> list[Column]:
    antibodies = [
        from_field(Patient, model_field, sql=f"p.{model_field}", label=label)
        for model_field, label in AUTOANTIBODIES.values()
    ]
    columns = [
        PATIENT,
        CENTER,
        from_field(Patient, "sex", sql="p.sex"),
        birth_column(date_mode),
        from_field(Patient, "ssc_subtype", sql="p.ssc_subtype"),
        *_onset("raynaud_onset", "raynaud_onset"),
        *_onset("first_non_raynaud_onset", "first_onset"),
        from_field(
            Patient,
            "diagnosis_date",
            sql="p.diagnosis_date",
            how=DATE_VALUE,
            relative_name="diagnosis_day",
        ),
        *antibodies,
        *classification_columns(),
        Column(
            "has_calcinosis",
            BOOLEAN,
            "calcinosis recorded",
            # Unknown (empty) when the patient's radiographs are withheld for consent.
            sql="CASE WHEN m.imaging THEN EXISTS (SELECT 1 FROM imaging_calcinosislesion hl "
            "JOIN imaging_radiograph hr ON hr.id = hl.radiograph_id WHERE hr.patient_id = p.id) "
            "END",
            allowed="true; false; empty = radiographs left out for consent",
            description="At least one calcinosis lesion (SNOMED CT 18115005 pathologic "
            "calcification) on any radiograph.",
        ),
        *consent_date_columns(),
    ]
    return for_mode(columns, date_mode)


def duration_column(date_sql: str = "") -> Column:
    return Column(
        "disease_duration_years",
        NUMBER,
        "disease duration",
        sql=date_sql,
        how=YEARS_SINCE_ANCHOR if date_sql else PLAIN,
        unit=codes.YEARS,
        description="Years (days / 365.25) since the first non-Raynaud manifestation (EUSTAR), "
        "counted from the midpoint of a partial onset; empty when the onset is unknown.",
    )


def visit_columns(date_mode: str) -> list[Column]:
    columns = [
        PATIENT,
        from_field(
            Visit,
            "date",
            name="visit_date",
            sql="v.date",
            how=DATE_VALUE,
            relative_name="visit_day",
            label="visit date",
        ),
        from_field(Visit, "visit_type", sql="v.visit_type"),
        duration_column("v.date"),
        *visit_measure_columns(),
    ]
    return for_mode(columns, date_mode)


def visit_wide_columns(date_mode: str) -> list[Column]:
    """One row per patient and visit: the visit with the patient's main covariates."""
    covariates = [
        from_field(Patient, name, sql=f"p.{name}", imports=False)
        for name in ("sex", "ssc_subtype", "antibody_aca", "antibody_scl70", "antibody_rnap3")
    ]
    visit = visit_columns(date_mode)
    return [visit[0], *for_mode([birth_column(date_mode), *covariates], date_mode), *visit[1:]]


ACQUIRED_ON = from_field(
    Radiograph, "acquired_on", sql="rm.acquired", how=MAPPED_DATE, relative_name="acquired_day"
)
RADIOGRAPH_NUMBER = Column(
    "radiograph_number",
    INTEGER,
    "radiograph number",
    sql="rm.n",
    allowed=">= 1",
    description="Ordinal of the radiograph among the patient's radiographs (by date) in this "
    "export; with the patient it identifies the radiograph. On import it is the natural key of "
    "the radiograph.",
    imports_to="radiograph_number",
)


def radiograph_columns(date_mode: str) -> list[Column]:
    columns = [
        PATIENT,
        RADIOGRAPH_NUMBER,
        ACQUIRED_ON,
        duration_column("r.acquired_on"),
        from_field(
            Radiograph, "body_region", sql="r.body_region", codes_by_value=codes.REGION_CODES
        ),
        from_field(
            Radiograph, "laterality", sql="r.laterality", codes_by_value=codes.SIDE_CODES
        ),
        from_field(Radiograph, "view", sql="r.view"),
        from_field(
            Radiograph, "pixel_spacing_row_mm", sql="r.pixel_spacing_row_mm", unit=codes.MM,
            label="pixel spacing, rows",
            description="mm per pixel, (0018,1164) ImagerPixelSpacing or (0028,0030) "
            "PixelSpacing by the DOMAIN.md spacing rule.",
        ),
        from_field(
            Radiograph, "pixel_spacing_column_mm", sql="r.pixel_spacing_column_mm", unit=codes.MM,
            label="pixel spacing, columns",
        ),
        from_field(Radiograph, "pixel_spacing_source", sql="r.pixel_spacing_source"),
        from_field(
            Radiograph, "modality", sql="r.modality", label="modality (0008,0060)",
            description="DICOM modality of the image, e.g. DX or CR; empty when entered by hand.",
        ),
        from_field(Radiograph, "rows", sql="r.rows", label="rows (0028,0010)"),
        from_field(Radiograph, "columns", sql="r.columns", label="columns (0028,0011)"),
    ]
    return for_mode(columns, date_mode)


TRACK_NUMBER = Column(
    "track_number",
    INTEGER,
    "lesion track number",
    sql="tm.n",
    allowed=">= 1; empty = not matched to a track yet",
    description="Ordinal of the lesion's track (one deposit followed over time) among the "
    "patient's tracks in this export. On import, tracks chosen by the user are recreated.",
    imports_to="track_number",
)


def lesion_columns(date_mode: str) -> list[Column]:
    columns = [
        replace(PATIENT, sql="rm.pseudonym"),
        RADIOGRAPH_NUMBER,
        ACQUIRED_ON,
        from_field(
            Radiograph, "body_region", sql="rm.body_region", codes_by_value=codes.REGION_CODES
        ),
        from_field(
            Radiograph,
            "laterality",
            name="radiograph_laterality",
            sql="rm.laterality",
            label="radiograph laterality",
        ),
        from_field(Radiograph, "view", sql="rm.view"),
        TRACK_NUMBER,
        from_field(CalcinosisLesion, "track_assignment", sql="l.track_assignment"),
        from_field(
            CalcinosisLesion, "laterality", sql="l.laterality", codes_by_value=codes.SIDE_CODES
        ),
        from_field(
            CalcinosisLesion, "digit", sql="l.digit", codes_by_value=codes.DIGIT_CODES,
            description="1 = thumb ... 5 = little finger (hand and wrist radiographs).",
        ),
        from_field(CalcinosisLesion, "segment", sql="l.segment"),
        from_field(CalcinosisLesion, "tissue", sql="l.tissue"),
        replace(
            from_field(
                CalcinosisLesion, "longest_diameter_mm", sql="l.longest_diameter_mm",
                unit=codes.MM,
                description="As entered, or computed from pixel end points and the pixel "
                "spacing. Per-region plausibility limits: REGISTRY_MAX_LESION_DIAMETER_MM.",
            ),
            allowed=f"> 0, <= {ABSOLUTE_MAX_DIAMETER_MM}",
        ),
        from_field(
            CalcinosisLesion,
            "perpendicular_diameter_mm",
            sql="l.perpendicular_diameter_mm",
            unit=codes.MM,
        ),
        from_field(CalcinosisLesion, "density", sql="l.density"),
        from_field(
            CalcinosisLesion, "morphology", sql="l.morphology",
            description="Radiographic class of the Florence cohort (Rheumatology 2016;55:1610).",
        ),
        from_field(
            CalcinosisLesion, "measurement_source", sql="l.measurement_source", imports=False,
            description="Pixel end points are not exported: imported lesions are 'manual'.",
        ),
        from_field(CalcinosisLesion, "spacing_source", sql="l.spacing_source", imports=False),
    ]
    return for_mode(columns, date_mode)


SERIES_STATUS_ALLOWED = choices_text((status.value, status.value) for status in SeriesStatus)


def progression_columns(date_mode: str) -> list[Column]:
    """Rows computed by the progression engine (DOMAIN.md), one per region series timepoint."""
    columns = [
        PATIENT,
        from_field(
            LesionTrack, "body_region", sql="", codes_by_value=codes.REGION_CODES, imports=False
        ),
        from_field(
            LesionTrack, "laterality", sql="", codes_by_value=codes.SIDE_CODES, imports=False
        ),
        Column("timepoint_number", INTEGER, "timepoint number", allowed=">= 1",
               description="Ordinal of the timepoint in its region series (1 = baseline)."),
        Column("timepoint_date", DATE, "timepoint date", how=DATE_VALUE,
               relative_name="timepoint_day",
               description="A date on which the region series has at least one radiograph."),
        duration_column(),
        Column("raynaud_duration_years", NUMBER, "duration since Raynaud onset", unit=codes.YEARS,
               description="Years since Raynaud onset (midpoint of a partial date)."),
        Column("lesion_count", INTEGER, "lesions", unit=codes.COUNT, allowed=">= 0",
               description="Tracks observed at the timepoint."),
        Column("sum_longest_diameter_mm", NUMBER, "sum of longest diameters (SLD)",
               unit=codes.MM, allowed=">= 0"),
        Column("total_area_mm2", NUMBER, "total deposit area", unit=codes.MM2, allowed=">= 0",
               description="Sum of pi/4 * D * P (pi/4 * D^2 when P is unknown)."),
        Column("status", CATEGORY, "series status", allowed=SERIES_STATUS_ALLOWED,
               choices=tuple(SeriesStatus),
               code_system="registry vocabulary progression.engine.results.SeriesStatus",
               description="DOMAIN.md rules: progression from the nadir (>= 2 mm and >= 25 %), "
               "complete resolution, regression from baseline, stable; first is baseline."),
        Column("new_tracks", INTEGER, "new tracks", unit=codes.COUNT, allowed=">= 0"),
        Column("growth_rate_mm_per_year", NUMBER, "SLD growth rate", unit=codes.MM_PER_YEAR,
               description="Least-squares slope of SLD against years over the whole series."),
        Column("time_to_progression_years", NUMBER, "time to progression", unit=codes.YEARS,
               description="From the series' first timepoint; empty if censored."),
        Column("censored_at_years", NUMBER, "censored at", unit=codes.YEARS,
               description="Years to the last timepoint when the series never progressed."),
    ]
    return for_mode(columns, date_mode)

