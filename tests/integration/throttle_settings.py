"""Settings of the gunicorn server in test_login_throttle: the test settings, with password
checks counted in a file."""

from registry.settings.test import *  # noqa: F403

PASSWORD_HASHERS = ["tests.integration.counting_hasher.CountingPBKDF2PasswordHasher"]
