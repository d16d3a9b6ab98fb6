"""Bulk rows for the export benchmark: patients, radiographs and lesions written by a few
``INSERT ... SELECT generate_series`` statements (seconds for a million lesions, where the
services or seed_demo would take minutes), on PostgreSQL only.

Triggers (the cross-table rules and the foreign-key checks) are skipped for the session with
``session_replication_role = replica``: the rows are built consistent (a lesion takes its
radiograph's side, every date is after birth), and the benchmark measures reading, not writing.
"""

from __future__ import annotations

from django.db import connection

LESIONS_PER_RADIOGRAPH = 5

_PATIENTS = """
INSERT INTO patients_patient (
    registry_id, local_id, sex, birth_date, ssc_subtype,
    raynaud_onset, raynaud_onset_precision, first_non_raynaud_onset,
    first_non_raynaud_onset_precision, diagnosis_date,
    antibody_aca, antibody_scl70, antibody_rnap3, antibody_u1rnp, antibody_pmscl, antibody_thto,
    antibody_u3rnp, skin_thickening_proximal_to_mcp, puffy_fingers, sclerodactyly,
    digital_tip_ulcers, fingertip_pitting_scars, telangiectasia, abnormal_nailfold_capillaries,
    pulmonary_arterial_hypertension, interstitial_lung_disease, raynaud_phenomenon,
    not_applicable, not_applicable_reason, acr_eular_2013_score, notes, created_at, updated_at,
    center_id)
SELECT 'BENCH-' || lpad(g::text, 9, '0'), 'BENCH-MRN-' || g,
       (ARRAY['female', 'male'])[1 + g %% 2], date '1950-01-01' + (g %% 7000),
       (ARRAY['limited_cutaneous', 'diffuse_cutaneous', 'sine_scleroderma'])[1 + g %% 3],
       make_date(1985 + g %% 20, 1, 1), 'year', make_date(1990 + g %% 20, 1 + g %% 12, 1), 'month',
       make_date(2011 + g %% 10, 1 + g %% 12, 1 + g %% 28),
       (ARRAY['positive', 'negative', 'unknown'])[1 + g %% 3], 'negative', 'unknown', 'unknown',
       'unknown', 'unknown', 'unknown', false, g %% 2 = 0, true, false, false, g %% 3 = 0, true,
       false, false, true, false, '', 10, '', now(), now(),
       (SELECT min(id) FROM accounts_center WHERE code LIKE 'bench-%%') + g %% 2
FROM generate_series(1, %(patients)s) AS g
"""

_RADIOGRAPHS = """
INSERT INTO imaging_radiograph (
    acquired_on, body_region, laterality, view, pixel_spacing_row_mm, pixel_spacing_column_mm,
    pixel_spacing_source, study_instance_uid, series_instance_uid, sop_instance_uid, modality,
    rows, columns, notes, created_at, updated_at, patient_id, visit_id)
SELECT date '2015-01-01' + (s * 30 + p.k %% 30)::integer, 'hand',
       (ARRAY['left', 'right'])[1 + s %% 2],
       (ARRAY['pa', 'oblique'])[1 + (s / 2) %% 2], 0.1, 0.1, 'projection', '', '', '', 'DX',
       2500, 2000, '', now(), now(), p.id, NULL
FROM (SELECT id, row_number() OVER (ORDER BY id) AS k FROM patients_patient
      WHERE registry_id LIKE 'BENCH-%%') AS p
CROSS JOIN generate_series(0, %(per_patient)s - 1) AS s
"""

_LESIONS = """
INSERT INTO imaging_calcinosislesion (
    track_assignment, laterality, digit, segment, tissue, longest_diameter_mm,
    perpendicular_diameter_mm, density, morphology, longest_axis_px, perpendicular_axis_px,
    measurement_source, spacing_source, notes, created_at, updated_at, track_id, radiograph_id)
SELECT '', r.laterality, k, 'distal_phalanx', 'soft_tissue', 1 + ((r.id * 7 + k) %% 400) / 10.0,
       NULL, 'dense', 'stone', NULL, NULL, 'manual', '', '', now(), now(), NULL, r.id
FROM imaging_radiograph r CROSS JOIN generate_series(1, %(per_radiograph)s) AS k
WHERE r.id > %(last_radiograph)s
"""


def generate(*, lesions: int, patients: int) -> dict[str, int]:
    """Add ``patients`` patients and ``lesions`` lesions (five per radiograph, the same number
    of radiographs per patient) in two centers; into a registry without BENCH- patients."""
    per_patient = max(1, -(-lesions // (LESIONS_PER_RADIOGRAPH * patients)))
    radiographs = per_patient * patients
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "INSERT INTO accounts_center (code, name, created_at) VALUES "
            "('bench-a', 'Bench A', now()), ('bench-b', 'Bench B', now()) "
            "ON CONFLICT (code) DO NOTHING"
        )
        cursor.execute(_PATIENTS, {"patients": patients})
        cursor.execute("SELECT coalesce(max(id), 0) FROM imaging_radiograph")
        last_radiograph = cursor.fetchone()[0]
        cursor.execute(_RADIOGRAPHS, {"per_patient": per_patient})
        cursor.execute(
            _LESIONS,
            {"per_radiograph": LESIONS_PER_RADIOGRAPH, "last_radiograph": last_radiograph},
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("ANALYZE patients_patient, imaging_radiograph, imaging_calcinosislesion")
    return {
        "patients": patients,
        "radiographs": radiographs,
        "lesions": radiographs * LESIONS_PER_RADIOGRAPH,
    }
