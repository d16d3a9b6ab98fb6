"""The password rules on every path that stores a password (issue 14).

The registry's own paths validate before they set a password (``accounts.services
.user_password_set``, the clinic's and the admin's forms). Django's ``createsuperuser --noinput``
does not: it takes ``DJANGO_SUPERUSER_PASSWORD`` as given. This guard runs
AUTH_PASSWORD_VALIDATORS on any user saved with a newly set password, so no path (a command, a
shell, a future form) can store one that breaks the rules; the command reports the
ValidationError as its error.
"""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password


def validate_new_password(sender, instance, **kwargs) -> None:
    """pre_save of the user model: ``set_password`` keeps the new password in ``_password``
    until the save (a hasher upgrade at sign-in clears it first, and is not checked)."""
    raw = getattr(instance, "_password", None)
    if raw is not None:
        validate_password(raw, instance)
