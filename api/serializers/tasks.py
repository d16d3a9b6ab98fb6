"""The background jobs of every kind, as ``/tasks/`` lists them."""

from __future__ import annotations

from rest_framework import serializers

from api.utc import UtcDateTimeField
from exports.models import ExportJob
from progression.models import RecomputeJob

# Kind -> the job model. A kind added here (imports, reader-study reports) is listed at once.
TASK_KINDS = {"cohort_recompute": RecomputeJob, "export": ExportJob}
TASK_KIND_LABELS = [("cohort_recompute", "Cohort recomputation"), ("export", "Export")]


class TaskSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TASK_KIND_LABELS, help_text="What the job does.")
    id = serializers.IntegerField(help_text="The job's id among the jobs of its kind.")
    status = serializers.CharField(
        help_text="pending, running, succeeded or failed (exports also: expired)."
    )
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    progress = serializers.FloatField(help_text="done / total, 0 to 1.")
    error = serializers.CharField()
    created_at = UtcDateTimeField()
    started_at = UtcDateTimeField(allow_null=True)
    finished_at = UtcDateTimeField(allow_null=True)
    url = serializers.CharField(help_text="The job's own resource: its detail, progress, file.")
