"""Rules that span tables, enforced by triggers on PostgreSQL and SQLite alike.

Validation in the services gives the friendly message first; these triggers make sure no other
path (raw ORM, bulk writes, SQL) can store a lesion of one patient on another patient's track,
a visit or radiograph dated before birth, or a radiograph attached to another patient's visit.
A violation raises an integrity error named after the rule (messages: registry.db_rules).
"""

from django.db import migrations

RULES = [
    # (name, table, events, condition on NEW that means "violated")
    (
        "lesion_matches_radiograph_and_track",
        "imaging_calcinosislesion",
        ("INSERT", "UPDATE"),
        """EXISTS (SELECT 1 FROM imaging_radiograph r WHERE r.id = NEW.radiograph_id AND (
               (r.laterality <> 'bilateral' AND r.laterality <> NEW.laterality)
               OR EXISTS (SELECT 1 FROM imaging_lesiontrack t WHERE t.id = NEW.track_id AND (
                   t.patient_id <> r.patient_id OR t.body_region <> r.body_region
                   OR t.laterality <> NEW.laterality))))""",
    ),
    (
        "visit_consistent_with_patient",
        "patients_visit",
        ("INSERT", "UPDATE"),
        """EXISTS (SELECT 1 FROM patients_patient p WHERE p.id = NEW.patient_id
                   AND NEW.date < p.birth_date)
           OR EXISTS (SELECT 1 FROM imaging_radiograph r WHERE r.visit_id = NEW.id
                   AND r.patient_id <> NEW.patient_id)""",
    ),
    (
        "radiograph_consistent_with_patient",
        "imaging_radiograph",
        ("INSERT", "UPDATE"),
        """EXISTS (SELECT 1 FROM patients_patient p WHERE p.id = NEW.patient_id
                   AND NEW.acquired_on < p.birth_date)
           OR EXISTS (SELECT 1 FROM patients_visit v WHERE v.id = NEW.visit_id
                   AND v.patient_id <> NEW.patient_id)
           OR EXISTS (SELECT 1 FROM imaging_calcinosislesion l
                   LEFT JOIN imaging_lesiontrack t ON t.id = l.track_id
                   WHERE l.radiograph_id = NEW.id AND (
                       (NEW.laterality <> 'bilateral' AND l.laterality <> NEW.laterality)
                       OR t.patient_id <> NEW.patient_id OR t.body_region <> NEW.body_region))""",
    ),
    (
        "patient_birth_before_records",
        "patients_patient",
        ("UPDATE",),
        """EXISTS (SELECT 1 FROM patients_visit v WHERE v.patient_id = NEW.id
                   AND v.date < NEW.birth_date)
           OR EXISTS (SELECT 1 FROM imaging_radiograph r WHERE r.patient_id = NEW.id
                   AND r.acquired_on < NEW.birth_date)""",
    ),
    (
        "track_matches_its_lesions",
        "imaging_lesiontrack",
        ("UPDATE",),
        """EXISTS (SELECT 1 FROM imaging_calcinosislesion l
                   JOIN imaging_radiograph r ON r.id = l.radiograph_id
                   WHERE l.track_id = NEW.id AND (r.patient_id <> NEW.patient_id
                       OR r.body_region <> NEW.body_region OR l.laterality <> NEW.laterality))""",
    ),
]


def create_triggers(apps, schema_editor):
    run = schema_editor.execute
    for name, table, events, condition in RULES:
        if schema_editor.connection.vendor == "postgresql":
            run(
                f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN "
                f"IF {condition} THEN RAISE EXCEPTION '{name}' USING ERRCODE = '23514'; END IF; "
                f"RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            run(
                f"CREATE TRIGGER {name} BEFORE {' OR '.join(events)} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
        elif schema_editor.connection.vendor == "sqlite":
            for event in events:
                run(
                    f"CREATE TRIGGER {name}_{event.lower()} BEFORE {event} ON {table} "
                    f"WHEN {condition} BEGIN SELECT RAISE(ABORT, '{name}'); END"
                )
        else:
            raise NotImplementedError(f"No cross-table rules for {schema_editor.connection.vendor}")


def drop_triggers(apps, schema_editor):
    for name, table, events, _condition in RULES:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            for event in events:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{event.lower()}")


class Migration(migrations.Migration):
    dependencies = [
        ("imaging", "0001_initial"),
        ("patients", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
