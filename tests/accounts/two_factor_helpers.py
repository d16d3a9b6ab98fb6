"""Enrolled users and their codes, for the two-factor tests (codes computed with pyotp, as an
authenticator app would)."""

from __future__ import annotations

import time

import pyotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.two_factor import backup_codes_generate, totp_secret


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    """A confirmed authenticator and ten backup codes, as enrolment leaves them."""
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return device, backup_codes_generate(user=user)


def totp_code(secret_or_device, *, steps_ahead: int = 0) -> str:
    """The code the app shows now (or ``steps_ahead`` periods later: a code is accepted once,
    and the next period's is within the tolerance)."""
    secret = secret_or_device
    if isinstance(secret_or_device, TOTPDevice):
        secret = totp_secret(secret_or_device)
    return pyotp.TOTP(secret.replace(" ", "")).at(time.time() + 30 * steps_ahead)
