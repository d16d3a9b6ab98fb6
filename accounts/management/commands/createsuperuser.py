"""Django's ``createsuperuser``, with the password rules on ``--noinput`` too.

Django validates a password typed at the prompt, but takes ``DJANGO_SUPERUSER_PASSWORD`` as
given; here it goes through AUTH_PASSWORD_VALIDATORS first (the ``accounts`` app comes before
``django.contrib.auth`` in INSTALLED_APPS, so this command is the one that runs).
"""

import os

from django.contrib.auth.management.commands import createsuperuser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from accounts.management.commands.registry_user import PASSWORD_REFUSED


class Command(createsuperuser.Command):
    def handle(self, *args, **options):
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not options["interactive"] and password is not None:
            field = self.UserModel.USERNAME_FIELD
            username = options.get(field) or os.environ.get(f"DJANGO_SUPERUSER_{field.upper()}")
            email = options.get("email") or os.environ.get("DJANGO_SUPERUSER_EMAIL", "")
            try:
                validate_password(password, self.UserModel(**{field: username, "email": email}))
            except ValidationError as error:
                raise CommandError(PASSWORD_REFUSED + " ".join(error.messages)) from error
        return super().handle(*args, **options)
