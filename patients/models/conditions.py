"""Conditions of the patients app's check constraints (shared by its models)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q


def in_choices(field: str, choices: type[models.TextChoices]) -> Q:
    return Q(**{f"{field}__in": choices.values})


def not_after(earlier: str, later: str) -> Q:
    return (
        Q(**{f"{earlier}__isnull": True})
        | Q(**{f"{later}__isnull": True})
        | Q(**{f"{earlier}__lte": F(later)})
    )


def precision_matches(field: str) -> Q:
    """A partial date has a precision exactly when it has a value."""
    return Q(**{f"{field}__isnull": True, f"{field}_precision": ""}) | Q(
        Q(**{f"{field}__isnull": False}) & ~Q(**{f"{field}_precision": ""})
    )


def in_range(field: str, low: int, high: int | None = None) -> Q:
    bounds = Q(**{f"{field}__gte": low})
    if high is not None:
        bounds &= Q(**{f"{field}__lte": high})
    return Q(**{f"{field}__isnull": True}) | bounds
