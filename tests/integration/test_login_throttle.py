"""The sign-in throttle under gunicorn: three worker processes on loopback, PostgreSQL, and 40
concurrent wrong passwords for one account (finding 4: the old per-process cache throttle let 15
password checks through instead of 5).

Password checks are counted by the server's hasher (tests.integration.counting_hasher), not by
the throttle's own records. Data is committed (``transaction=True``) so that the server sees it.
"""

from __future__ import annotations

import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier
from urllib.parse import quote

import pytest
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from tests.factories import PASSWORD
from tests.integration.counting_hasher import CountingPBKDF2PasswordHasher
from tests.integration.processes import Process, free_port, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

GUNICORN = Path(sys.executable).parent / "gunicorn"
WORKERS = 3
CONCURRENT = 40
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Server(Process):
    def __init__(self, log_dir: Path, database_url: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.checks_file = log_dir / "password-checks.txt"
        self.checks_file.touch()
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DATABASE_", "CELERY_", "REGISTRY_", "DJANGO_"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="tests.integration.throttle_settings",
            DATABASE_URL=database_url,
            DATABASE_CONN_MAX_AGE="0",
            REGISTRY_TEST_CHECKS_FILE=str(self.checks_file),
        )
        args = [
            str(GUNICORN), "registry.wsgi", "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(WORKERS), "--access-logfile", "-",
        ]  # fmt: skip
        super().__init__(args, log_dir / "gunicorn.log", env)
        wait_for(self._up, timeout=60, what="gunicorn", log=self)
        wait_for(
            lambda: self.tail(100).count("Booting worker") >= WORKERS,
            timeout=60, what=f"{WORKERS} gunicorn workers", log=self,
        )  # fmt: skip

    def _up(self) -> bool:
        try:
            return requests.get(f"{self.base}/login/", timeout=2).status_code == 200
        except requests.RequestException:  # not listening yet, or workers still booting
            return False

    def password_checks(self) -> int:
        return len(self.checks_file.read_text().splitlines())

    def sign_in(self, path: str, username: str, password: str) -> int:
        """POST a login form (with its CSRF token) and return the status, redirects not followed."""
        session = requests.Session()
        token = CSRF_INPUT.search(session.get(f"{self.base}{path}", timeout=10).text).group(1)
        response = session.post(
            f"{self.base}{path}",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            allow_redirects=False,
            timeout=60,
        )
        return response.status_code

    def sign_in_concurrently(self, path: str, username: str, password: str) -> list[int]:
        """CONCURRENT logins released together: each thread fetches its form first."""
        start = Barrier(CONCURRENT)

        def one() -> int:
            session = requests.Session()
            page = session.get(f"{self.base}{path}", timeout=10).text
            data = {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": CSRF_INPUT.search(page).group(1),
            }
            start.wait(timeout=60)
            return session.post(
                f"{self.base}{path}", data=data, allow_redirects=False, timeout=120
            ).status_code

        with ThreadPoolExecutor(CONCURRENT) as pool:
            return list(pool.map(lambda _: one(), range(CONCURRENT)))


@pytest.fixture
def server(postgres, tmp_path):
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    url = f"postgres://{quote(db['USER'] or '')}{password}@{db['HOST'] or '127.0.0.1'}"
    running = Server(tmp_path, f"{url}:{db['PORT'] or 5432}/{db['NAME']}")
    yield running
    running.stop()


def make_superuser(email: str):
    user = get_user_model().objects.create_superuser(email, email)
    user.password = CountingPBKDF2PasswordHasher().encode(PASSWORD, "synthetic-salt")
    user.save()
    return user


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_finding4_concurrent_logins_check_at_most_the_limit(server, path):
    """The right password signs in; then 40 concurrent wrong ones on 3 processes make 5 password
    checks, the rest refused with 429; then the right password is refused on both login pages
    without being checked."""
    email = "root@registry.example"
    make_superuser(email)
    assert server.sign_in(path, email, PASSWORD) == 302
    assert server.password_checks() == 1
    statuses = server.sign_in_concurrently(path, email, "not-the-password")
    limit = settings.AXES_FAILURE_LIMIT
    assert server.password_checks() == 1 + limit, server.tail()
    assert set(statuses) <= {200, 429}
    assert statuses.count(429) >= CONCURRENT - limit
    for page in ("/login/", "/admin/login/"):
        assert server.sign_in(page, email, PASSWORD) == 429
    assert server.password_checks() == 1 + limit
