"""A PBKDF2 hasher that appends a line to REGISTRY_TEST_CHECKS_FILE on every password check, so
a test can count the checks made by several server processes (test_login_throttle)."""

import os

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class CountingPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 200_000  # a real hash's duration: the window in which concurrent checks race

    def verify(self, password: str, encoded: str) -> bool:
        with open(os.environ["REGISTRY_TEST_CHECKS_FILE"], "a") as checks:
            checks.write("check\n")
        return super().verify(password, encoded)
