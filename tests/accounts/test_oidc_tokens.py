"""What the registry reads from the provider's ID token (accounts.oidc): the second factor the
provider checked (amr), and the token's times — plain values, no provider."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import SuspiciousOperation

from accounts import oidc


@pytest.mark.parametrize(
    ("amr", "counts"),
    [
        (["pwd", "otp"], True),
        (["mfa"], True),
        ("hwk", True),
        (["pwd"], False),
        (None, False),
        (7, False),
    ],
)
def test_the_providers_second_factor_is_read_from_amr(amr, counts):
    """RFC 8176 method references: a password alone is not a second factor."""
    assert oidc.provider_checked_second_factor(amr) is counts


def test_an_expired_or_future_id_token_is_a_refusal_not_an_error(settings):
    """Regression (review): PyJWT's ExpiredSignatureError/ImmatureSignatureError escaped as a
    500; a clock a few seconds ahead is tolerated (a minute of leeway)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    backend = oidc.RegistryOIDCBackend.__new__(oidc.RegistryOIDCBackend)
    now = int(time.time())

    def token(**claims) -> bytes:
        return jwt.encode({"sub": "a", **claims}, key, algorithm="RS256").encode()

    public = key.public_key()
    assert backend._verify_jws(token(iat=now + 30, exp=now + 600), public)["sub"] == "a"
    for claims in ({"exp": now - 600}, {"nbf": now + 600, "exp": now + 900}):
        with pytest.raises(SuspiciousOperation):
            backend._verify_jws(token(**claims), public)
    with pytest.raises(SuspiciousOperation):
        backend._verify_jws(jwt.encode({"sub": "a"}, "s" * 32, algorithm="HS256").encode(), public)
