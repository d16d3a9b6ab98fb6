"""Saving a model through its full validation, with database rule violations as field errors."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from registry.db_rules import rule_violated

CONFLICT = "This conflicts with another record (it may have been changed at the same time)."


def save_validated(instance: models.Model, *, exclude: list[str] | None = None) -> models.Model:
    """``full_clean()`` then ``save()`` in a savepoint; an integrity error that slips past
    validation (a race, a cross-table trigger) becomes a ValidationError naming a field, with the
    message of :data:`registry.db_rules.RULES`."""
    instance.full_clean(exclude=exclude)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        rule = rule_violated(error)
        if rule is None:
            raise ValidationError({"non_field_errors": [CONFLICT]}) from error
        raise ValidationError({rule.field: [rule.message]}) from error
    return instance
