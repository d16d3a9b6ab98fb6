"""The burned-in text review: a clinician looks at an image's pixels and says whether they
show text (security review, finding 9).

De-identification rewrites the header, never the pixels. An image whose (0028,0301) Burned In
Annotation is not an explicit NO (a secondary capture often has no such attribute) may carry a
name or date in its pixels, so researchers see it only after a clinician's "no text" verdict
(``DicomInstance.research_visible``). Who gave the verdict, and when, is kept on the image and
in its history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from imaging.models import DicomInstance

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

Verdict = DicomInstance.BurnedInVerdict
VERDICTS = (Verdict.NO_TEXT, Verdict.TEXT_PRESENT)
NOT_A_VERDICT = "Choose no_burned_in_text or burned_in_text_present."


@transaction.atomic
def dicom_burned_in_review(
    *, instance: DicomInstance, user: AbstractBaseUser, verdict: str
) -> DicomInstance:
    """Record ``user``'s verdict on ``instance``'s pixels; a later review replaces it (the
    history keeps both). ValidationError for anything but the two verdicts."""
    if verdict not in VERDICTS:
        raise ValidationError({"verdict": [NOT_A_VERDICT]})
    instance = DicomInstance.objects.select_for_update().get(pk=instance.pk)
    instance.burned_in_verdict = verdict
    instance.burned_in_reviewed_at = timezone.now()
    instance.burned_in_reviewed_by = user
    instance._history_user = user  # the history row names the reviewer outside a request too
    instance.save(
        update_fields=["burned_in_verdict", "burned_in_reviewed_at", "burned_in_reviewed_by"]
    )
    return instance
