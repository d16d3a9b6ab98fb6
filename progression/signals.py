"""Deletions mark the patient for recomputation.

Every create and update goes through a service (patients.services, imaging.services), which
marks the patient itself. Deletions are the exception: they also happen by cascade (deleting a
radiograph deletes its lesions), through the admin's bulk "delete selected" action and through
queryset deletes, none of which passes through a service; ``post_delete`` is the one place that
sees them all. It only marks (a database write in the same transaction, then an enqueue after
commit): nothing clinical is computed here.
"""

from __future__ import annotations

from django.db.models import Model, QuerySet
from django.db.models.signals import post_delete
from django.dispatch import receiver

from imaging.models import CalcinosisLesion, LesionTrack, Radiograph
from patients.models import Patient, Visit
from progression.assignments import engine_is_writing
from progression.services import progression_mark_dirty


def _origin_is(origin: object, model: type[Model]) -> bool:
    """Whether the deletion was started on ``model`` (an instance or a queryset of it)."""
    if isinstance(origin, QuerySet):
        return origin.model is model
    return isinstance(origin, model)


@receiver(post_delete, sender=Radiograph, dispatch_uid="progression_radiograph_deleted")
@receiver(post_delete, sender=LesionTrack, dispatch_uid="progression_track_deleted")
@receiver(post_delete, sender=Visit, dispatch_uid="progression_visit_deleted")
def patient_record_deleted(sender, instance, origin=None, **kwargs) -> None:
    # A deleted patient takes its snapshot with it; the engine's own track clean-up is no change.
    if engine_is_writing() or _origin_is(origin, Patient):
        return
    progression_mark_dirty(patient_id=instance.patient_id, create_state=False)


@receiver(post_delete, sender=CalcinosisLesion, dispatch_uid="progression_lesion_deleted")
def lesion_deleted(sender, instance, origin=None, **kwargs) -> None:
    # Lesions deleted with their radiograph (or patient) are covered by that deletion's mark.
    if engine_is_writing() or not _origin_is(origin, CalcinosisLesion):
        return
    patient_id = (
        Radiograph.objects.filter(pk=instance.radiograph_id)
        .values_list("patient_id", flat=True)
        .first()
    )
    if patient_id is not None:
        progression_mark_dirty(patient_id=patient_id, create_state=False)
