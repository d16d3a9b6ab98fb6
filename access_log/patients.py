"""Which patients a set of already-fetched rows belongs to, without a query per row.

A model's path to its patient is read from its path to its center (``access_center_path`` of
:mod:`accounts.access`): ``patient__center`` means ``patient``, ``radiograph__patient__center``
means ``radiograph__patient``. Rows whose intermediate objects were fetched with
``select_related`` are walked in memory; otherwise one query for the whole page maps them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from accounts.access import center_path_of
from patients.models import Patient

PATIENT_SUFFIX = "patient__center"


def patient_path_of(model: type[models.Model]) -> str | None:
    """``"pk"`` for patients, the lookup to the patient for patient-bound models, else None."""
    if issubclass(model, Patient):
        return "pk"
    try:
        path = center_path_of(model)
    except LookupError:
        return None
    if path == PATIENT_SUFFIX or path.endswith(f"__{PATIENT_SUFFIX}"):
        return path.removesuffix("__center")
    return None


def _walk(obj: models.Model, hops: list[str], last: str) -> int | None:
    """The patient id reached through ``hops`` loaded in memory; LookupError if one is not."""
    for hop in hops:
        if not type(obj)._meta.get_field(hop).is_cached(obj):
            raise LookupError(hop)
        obj = getattr(obj, hop)
        if obj is None:
            return None
    return getattr(obj, f"{last}_id")


def patient_ids_of(objects: Iterable[models.Model], model: type[models.Model]) -> list[int]:
    """The distinct patient ids of ``objects`` (rows of ``model``), in first-seen order; empty
    when the model is not patient-bound."""
    path = patient_path_of(model)
    rows = list(objects)
    if path is None or not rows:
        return []
    if path == "pk":
        ids = [row.pk for row in rows]
    else:
        *hops, last = path.split("__")
        try:
            ids = [_walk(row, hops, last) for row in rows]
        except LookupError:
            pks = [row.pk for row in rows]
            ids = list(model._base_manager.filter(pk__in=pks).values_list(path, flat=True))
    return list(dict.fromkeys(pid for pid in ids if pid is not None))
