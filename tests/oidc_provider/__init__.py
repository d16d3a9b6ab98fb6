"""A real OpenID provider for the tests: panva's oidc-provider (provider.mjs, pinned in
package-lock.json, installed by ``make oidc-provider``) started on a free loopback port.

``OidcProvider`` starts it with an accounts file the tests edit (``account_update``: disabled
accounts fail at once), configures the registry's settings for it, and can walk its sign-in and
consent pages with plain HTTP (``sign_in``) for tests that do not need a browser.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import requests

from tests.conftest import missing_service

FOLDER = Path(__file__).resolve().parent
CLIENT_ID = "registry-tests"
CLIENT_SECRET = "registry-tests-secret-not-real"
ACCOUNTS = {
    "alice": {
        "email": "Alice.Martin@North.example.org",
        "email_verified": True,
        "name": "Alice Martin",
        "groups": [],
    },
}


class OidcProvider:
    """One provider process; ``issuer`` once started."""

    def __init__(self, workdir: Path, base_url: str) -> None:
        self.workdir = workdir
        self.base_url = base_url.rstrip("/")
        self.accounts_file = workdir / "accounts.json"
        self.process: subprocess.Popen | None = None
        self.issuer = ""

    @property
    def redirect_uri(self) -> str:
        return f"{self.base_url}/sso/callback/"

    def start(self, accounts: dict) -> str:
        node = shutil.which("node")
        if node is None or not (FOLDER / "node_modules" / "oidc-provider").is_dir():
            missing_service("node and tests/oidc_provider/node_modules (make oidc-provider)")
        self.accounts_file.write_text(json.dumps(accounts))
        config = self.workdir / "provider.json"
        config.write_text(
            json.dumps(
                {
                    "accounts": str(self.accounts_file),
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uris": [self.redirect_uri],
                    "post_logout_redirect_uris": [f"{self.base_url}/login/"],
                }
            )
        )
        self.process = subprocess.Popen(
            [node, str(FOLDER / "provider.mjs"), str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.process.stdout.readline()  # "issuer <url>" once listening
        if not line.startswith("issuer "):
            self.stop()
            raise RuntimeError("the OpenID provider did not start")
        self.issuer = line.split()[1]
        return self.issuer

    def configure(self, settings) -> None:
        """Point the registry at this provider (pytest-django's ``settings``)."""
        settings.REGISTRY_OIDC_ISSUER = self.issuer
        settings.REGISTRY_OIDC_CLIENT_ID = CLIENT_ID
        settings.REGISTRY_OIDC_CLIENT_SECRET = CLIENT_SECRET
        settings.REGISTRY_OIDC_SCOPES = "openid email profile groups offline_access"
        settings.REGISTRY_OIDC_PROVIDER_NAME = "Test Hospital"
        settings.AUTHENTICATION_BACKENDS = [
            *settings.AUTHENTICATION_BACKENDS,
            "accounts.oidc.RegistryOIDCBackend",
        ]

    def account_update(self, account_id: str, **changes) -> None:
        accounts = json.loads(self.accounts_file.read_text())
        accounts[account_id] = {**accounts.get(account_id, {}), **changes}
        self.accounts_file.write_text(json.dumps(accounts))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def sign_in(self, authorization_url: str, login: str, session: requests.Session) -> str:
        """Walk the provider's sign-in and consent pages as a browser would; returns the URL
        the provider sends the browser back to (the registry's callback, with code and state)."""
        url = authorization_url
        for _ in range(12):
            response = session.get(url, allow_redirects=False, timeout=10)
            while response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                if url.startswith(self.redirect_uri):
                    return url
                response = session.get(url, allow_redirects=False, timeout=10)
            action = re.search(r'<form[^>]*action="([^"]+)"', response.text)
            assert action, response.text[:500]
            fields = dict(
                re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', response.text)
            )
            fields = {name: unescape(value) for name, value in fields.items()}
            if 'name="login"' in response.text:
                fields.update(login=login, password="any-password")
            response = session.post(
                urljoin(url, unescape(action.group(1))), data=fields, allow_redirects=False
            )
            url = urljoin(url, response.headers["Location"])
            if url.startswith(self.redirect_uri):
                return url
        raise AssertionError("the provider never sent the browser back")
