"""Snapshots stored before ``"format": 2`` (one object per observation) are set back to "not
computed" and their patients marked dirty: results are derived data, and the beat sweep (or the
next API read) recomputes them in the new form. See progression.result_json."""

from django.db import migrations
from django.db.models import Q
from django.utils import timezone


def forget_old_snapshots(apps, schema_editor):
    snapshot = apps.get_model("progression", "ProgressionSnapshot")
    state = apps.get_model("progression", "ProgressionState")
    old = snapshot.objects.filter(computed_at__isnull=False).exclude(result__has_key="format")
    patient_ids = list(old.values_list("pk", flat=True))
    for start in range(0, len(patient_ids), 1000):
        chunk = patient_ids[start : start + 1000]
        snapshot.objects.filter(pk__in=chunk).update(result={}, status="", computed_at=None)
        state.objects.filter(Q(pk__in=chunk), dirty_since__isnull=True).update(
            dirty_since=timezone.now()
        )


class Migration(migrations.Migration):
    dependencies = [("progression", "0001_initial")]

    operations = [migrations.RunPython(forget_old_snapshots, migrations.RunPython.noop)]
