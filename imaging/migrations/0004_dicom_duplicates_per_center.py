"""Duplicates are decided per center (security review, finding 10).

The de-identified SOP Instance UID was unique across the registry, so a file that center B had
sent was answered "duplicate" to center A, telling A that B holds it, and stored nothing for A.
Now it is unique per center (DicomInstance) and per patient (Radiograph, whose DICOM instance
is one-to-one). Constraints only: every existing row satisfies the new, weaker constraints, and
no row is moved or rewritten.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("imaging", "0003_dicominstance"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="radiograph",
            name="radiograph_sop_instance_uid_unique",
        ),
        migrations.AlterField(
            model_name="dicominstance",
            name="sop_instance_uid",
            field=models.CharField(max_length=64),
        ),
        migrations.AddConstraint(
            model_name="dicominstance",
            constraint=models.UniqueConstraint(
                fields=("center", "sop_instance_uid"),
                name="dicominstance_sop_instance_uid_unique_per_center",
            ),
        ),
        migrations.AddConstraint(
            model_name="radiograph",
            constraint=models.UniqueConstraint(
                condition=models.Q(("sop_instance_uid", ""), _negated=True),
                fields=("patient", "sop_instance_uid"),
                name="radiograph_sop_instance_uid_unique_per_patient",
            ),
        ),
    ]
