"""Two-factor authentication (issue 14): whether a session has passed the second factor, and the
only writers of second-factor devices.

The devices are django-otp's: a TOTP device (any authenticator app) and a static device holding
ten one-time backup codes. Who must enrol is ``accounts.two_factor_policy`` (pure), applied here
to a user; ``accounts.two_factor_middleware`` holds a session to it. Single sign-on and C's
sign-in paths call :func:`session_verified` and :func:`session_step`.

Throttling is django-otp's, per device: after n wrong codes the next attempt must wait
2^(n-1) seconds (``OTP_TOTP_THROTTLE_FACTOR``, ``OTP_STATIC_THROTTLE_FACTOR``). Here a lock on
any of a person's devices refuses every code, so alternating TOTP and backup codes gains nothing.
"""

from __future__ import annotations

import math
import re
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime

import django_otp
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.access import access_of, users_administered
from accounts.models import Membership, SignInEvent
from accounts.oidc import OIDC_SESSION
from accounts.sign_in import SIGN_IN_METHOD, sessions_end, sign_in_event_record
from accounts.two_factor_policy import Step, second_factor_step, two_factor_required

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"

CODE_WRONG = (
    "That code is not right. Type the current 6-digit code of your authenticator app, or one "
    "of your backup codes."
)
ENROL_CODE_WRONG = (
    "That code is not right. Scan the QR code again (or type the key), check the clock of your "
    "phone, and type the current 6-digit code."
)
CODE_LOCKED = (
    "Too many wrong codes: the second factor is locked for {seconds} more second(s). Wait, or "
    "ask your center admin to reset your second factor."
)
CODE_MISSING = "Type a code."
ALREADY_ENROLLED = "Your authenticator app is already set up."
NOT_ENROLLED = "Set up an authenticator app first."
RESET_NOT_YOURS = "You may reset the second factor of members of your centers only."
RESET_SUPERUSER = "Only a superuser may reset the second factor of a superuser."


class TwoFactorError(ValueError):
    """A code refused (wrong, locked, or nothing to check it against): the message says which.
    ``locked`` is set when the refusal is the throttle's."""

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.locked = locked


# --- Who must, and has this session -----------------------------------------------------------


def two_factor_required_for(user: AbstractBaseUser) -> bool:
    """The policy (``REGISTRY_TWO_FACTOR_POLICY``) applied to ``user``."""
    policy = settings.REGISTRY_TWO_FACTOR_POLICY
    access = access_of(user)
    in_required_center = (
        policy == "center"
        and Membership.objects.filter(user=user, center__two_factor_required=True).exists()
    )
    return two_factor_required(
        policy,
        superuser=access.superuser,
        center_admin=bool(access.admin_center_ids),
        in_required_center=in_required_center,
    )


def totp_enrolled(user: AbstractBaseUser) -> bool:
    """Has a confirmed authenticator (backup codes exist only beside one)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def session_verified(request: HttpRequest) -> bool:
    """This session passed a second factor: a device verified in it (django-otp), or a single
    sign-on whose ID token says the provider checked one (``REGISTRY_OIDC_COUNTS_AS_TWO_FACTOR``,
    ``amr`` in ``REGISTRY_OIDC_MFA_AMR``). A person enrolled here is always asked for our code:
    their provider's word does not replace the factor they chose."""
    user = request.user
    if not user.is_authenticated:
        return False
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        return True
    return (
        settings.REGISTRY_OIDC_COUNTS_AS_TWO_FACTOR
        and request.session.get(SIGN_IN_METHOD) == SignInEvent.Method.SSO
        and bool((request.session.get(OIDC_SESSION) or {}).get("mfa"))
        and not totp_enrolled(user)
    )


def session_step(request: HttpRequest) -> Step:
    """What this session must do before anything else (``Step.NONE`` for anonymous ones)."""
    if not request.user.is_authenticated or session_verified(request):
        return Step.NONE
    return second_factor_step(
        verified=False,
        has_device=totp_enrolled(request.user),
        required=two_factor_required_for(request.user),
    )


# --- Enrolment and backup codes ---------------------------------------------------------------


def totp_secret(device: TOTPDevice) -> str:
    """The key as authenticator apps take it typed in: base32, in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@transaction.atomic
def totp_enrolment_start(*, user: AbstractBaseUser) -> TOTPDevice:
    """The unconfirmed authenticator being set up: the same one on every reload (the QR code
    a person scanned stays valid), a new one after a reset."""
    if totp_enrolled(user):
        raise TwoFactorError(ALREADY_ENROLLED)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


def totp_enrolment_confirm(*, request: HttpRequest, code: str) -> list[str]:
    """Confirm the authenticator with its first code: the device is confirmed, this session is
    verified, and ten backup codes are made and returned (to be shown once). A wrong code is
    counted by the throttle (its failure is committed: the refusal is raised after the
    transaction)."""
    user = request.user
    code = _normalized(code)
    codes: list[str] = []
    refusal: TwoFactorError | None = None
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("-pk")
            .first()
        )
        if totp_enrolled(user):
            refusal = TwoFactorError(ALREADY_ENROLLED)
        elif device is None:
            refusal = TwoFactorError(NOT_ENROLLED)
        elif (locked := _locked_seconds([device])) is not None:
            refusal = TwoFactorError(CODE_LOCKED.format(seconds=locked), locked=True)
        elif not code or not device.verify_token(code):
            refusal = TwoFactorError(ENROL_CODE_WRONG if code else CODE_MISSING)
        else:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            codes = backup_codes_generate(user=user)
            sign_in_event_record(
                SignInEvent.Kind.TWO_FACTOR_ENROLLED,
                request=request,
                user=user,
                method=SignInEvent.Method.TOTP,
            )
    if refusal is not None:
        sign_in_event_record(
            SignInEvent.Kind.TWO_FACTOR_FAILED,
            request=request,
            user=user,
            method=SignInEvent.Method.TOTP,
            detail="enrolment" + (": locked" if refusal.locked else ""),
        )
        raise refusal
    django_otp.login(request, device)
    return codes


@transaction.atomic
def backup_codes_generate(*, user: AbstractBaseUser) -> list[str]:
    """Ten new one-time backup codes; the previous ones stop working. Returned in clear: the
    only time they can be read."""
    if not totp_enrolled(user):
        raise TwoFactorError(NOT_ENROLLED)
    device = StaticDevice.objects.filter(user=user).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes: set[str] = set()
    while len(codes) < BACKUP_CODE_COUNT:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    device.throttle_reset()
    return sorted(codes)


def backup_codes_left(user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- Verification at sign-in ------------------------------------------------------------------


@dataclass(frozen=True)
class Verified:
    device: Device
    method: str  # SignInEvent.Method.TOTP or BACKUP_CODE


def two_factor_verify(*, request: HttpRequest, code: str) -> Verified:
    """Check a code of the signed-in person: six digits against the authenticator, anything
    else against the backup codes (a backup code is deleted when used: it works once). Success
    verifies this session; every refusal is recorded (two_factor_failed) and raised after the
    transaction, so the throttle's count of it is kept."""
    user = request.user
    code = _normalized(code)
    verified: Verified | None = None
    refusal: TwoFactorError | None = None
    with transaction.atomic():
        devices = list(django_otp.devices_for_user(user, for_verify=True))
        candidates = [d for d in devices if isinstance(d, TOTPDevice) == code.isdigit()]
        if not devices:
            refusal = TwoFactorError(NOT_ENROLLED)
        elif (locked := _locked_seconds(devices)) is not None:
            refusal = TwoFactorError(CODE_LOCKED.format(seconds=locked), locked=True)
        elif not code:
            refusal = TwoFactorError(CODE_MISSING)
        else:
            for device in candidates or devices:
                if device.verify_token(code):
                    method = (
                        SignInEvent.Method.TOTP
                        if isinstance(device, TOTPDevice)
                        else SignInEvent.Method.BACKUP_CODE
                    )
                    verified = Verified(device=device, method=method)
                    break
            else:
                refusal = TwoFactorError(CODE_WRONG)
    if verified is None:
        sign_in_event_record(
            SignInEvent.Kind.TWO_FACTOR_FAILED,
            request=request,
            user=user,
            method=_method_of(code),
            detail="locked" if refusal.locked else "",
        )
        raise refusal
    kind = (
        SignInEvent.Kind.BACKUP_CODE_USED
        if verified.method == SignInEvent.Method.BACKUP_CODE
        else SignInEvent.Kind.TWO_FACTOR_VERIFIED
    )
    sign_in_event_record(kind, request=request, user=user, method=verified.method)
    django_otp.login(request, verified.device)
    return verified


# --- Reset by an administrator ----------------------------------------------------------------


@transaction.atomic
def two_factor_reset(
    *,
    user: AbstractBaseUser,
    actor: AbstractBaseUser | None,
    request: HttpRequest | None = None,
) -> int:
    """Delete ``user``'s authenticator and backup codes and sign them out everywhere; they
    enrol again at their next sign-in if the policy requires it. API tokens are untouched.

    ``actor`` is the administrator: a center admin may reset members of their centers (not a
    superuser), a superuser anyone; ``None`` is the command line (the operator of the host).
    PermissionDenied otherwise, nothing changed. Returns how many devices were deleted."""
    if actor is not None:
        if not users_administered(actor).filter(pk=user.pk).exists():
            raise PermissionDenied(RESET_NOT_YOURS)
        if user.is_superuser and not actor.is_superuser:
            raise PermissionDenied(RESET_SUPERUSER)
    deleted = 0
    for model in (TOTPDevice, StaticDevice):
        devices = model.objects.filter(user=user)
        deleted += devices.count()
        devices.delete()
    sign_in_event_record(
        SignInEvent.Kind.TWO_FACTOR_RESET,
        request=request,
        user=user,
        method=SignInEvent.Method.ADMIN,
        actor=actor,
        detail="" if actor is not None else "command line",
    )
    # One's own reset keeps the session making the request (it is no longer verified).
    own = request is not None and actor is not None and actor.pk == user.pk
    sessions_end(user, keep=request.session.session_key if own else None)
    return deleted


# --- Helpers ----------------------------------------------------------------------------------


def _normalized(code: str) -> str:
    """Spaces and dashes dropped, lower case: "123 456" and "ABCD-EFGH" as typed from paper."""
    return re.sub(r"[\s-]", "", code or "").lower()[:32]


def _method_of(code: str) -> str:
    return SignInEvent.Method.TOTP if code.isdigit() else SignInEvent.Method.BACKUP_CODE


def _locked_seconds(devices: list[Device]) -> int | None:
    """Seconds until the last of ``devices``' throttles opens, if any is closed."""
    until: datetime | None = None
    for device in devices:
        allowed, info = device.verify_is_allowed()
        if not allowed and info and info.get("locked_until"):
            until = max(until or info["locked_until"], info["locked_until"])
    if until is None:
        return None
    return max(1, math.ceil((until - timezone.now()).total_seconds()))
