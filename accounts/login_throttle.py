"""The sign-in throttle: django-axes' database handler, made exact under concurrency.

Every password sign-in (clinic and admin) goes through ``AxesStandaloneBackend``, which asks this
handler first. Failures are rows in the database, so every web process shares the count. Two
limits apply within the cool-off (docs/security.md, "Sign-in throttle and passwords"):

- per account and client address (``AXES_FAILURE_LIMIT``): a stranger elsewhere cannot lock a
  clinician out, only their own address;
- per client address, whatever the accounts (``REGISTRY_LOGIN_ADDRESS_FAILURE_LIMIT``), against
  password spraying.

axes checks the count before the password and records the failure after it, so concurrent
attempts all pass the check (40 concurrent attempts made 15 password checks for a limit of 5).
Here the check and a provisional failure are one transaction, serialized per account: every
password check in flight is counted before the next one is allowed.
"""

from __future__ import annotations

import ipaddress
import logging
import math

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import router, transaction
from django.db.models import F, Max, Sum
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

logger = logging.getLogger(__name__)

ACCOUNT = "account"  # the account-and-address limit
ADDRESS = "address"  # the address-wide limit


def client_address(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or with REGISTRY_TRUSTED_PROXY_COUNT = N proxies in
    front, the N-th X-Forwarded-For entry from the right (the one our outermost proxy wrote;
    entries further left come from the client and are not trusted)."""
    remote = request.META.get("REMOTE_ADDR")
    hops = settings.REGISTRY_TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    chain = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(chain) < hops:
        return remote
    try:
        return str(ipaddress.ip_address(chain[-hops]))
    except ValueError:
        return remote


def client_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The username as accounts store it (e-mail, lower case), so that case variants share one
    count; cut to the column's 255 characters."""
    source = credentials if credentials else getattr(request, "data", request.POST)
    username = source.get(get_user_model().USERNAME_FIELD)
    return username.strip().lower()[:255] if isinstance(username, str) else None


def _address_failures(request: HttpRequest) -> int:
    recent = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
    )
    return recent.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LoginThrottleHandler(AxesDatabaseHandler):
    """axes' database handler with the address-wide limit and an atomic check-and-count."""

    def is_allowed(self, request: HttpRequest, credentials: dict | None = None) -> bool:
        if self.is_blacklisted(request, credentials):
            return False
        if self.is_whitelisted(request, credentials):
            return True
        username = get_client_username(request, credentials)
        with transaction.atomic(using=router.db_for_write(AccessAttempt)):
            # The account's row lock serializes its sign-ins from every process.
            user_model = get_user_model()
            list(
                user_model._default_manager.select_for_update()
                .filter(**{user_model.USERNAME_FIELD: username})
                .values_list("pk", flat=True)
            )
            if self.is_locked(request, credentials):
                return False
            self._count_provisionally(request, username)
        request.login_throttle_counted = True
        return True

    def is_locked(self, request: HttpRequest, credentials: dict | None = None) -> bool:
        if super().is_locked(request, credentials):
            request.login_throttle_lock = ACCOUNT
            return True
        if _address_failures(request) >= settings.REGISTRY_LOGIN_ADDRESS_FAILURE_LIMIT:
            request.login_throttle_lock = ADDRESS
            return True
        return False

    def _count_provisionally(self, request: HttpRequest, username: str | None) -> None:
        """Count this attempt as a failure before its password is checked; a success resets
        the pair's count (AXES_RESET_ON_SUCCESS), a failure keeps it (user_login_failed)."""
        attempt, created = AccessAttempt.objects.select_for_update().get_or_create(
            username=username,
            ip_address=request.axes_ip_address,
            user_agent=request.axes_user_agent,
            defaults={
                "failures_since_start": 1,
                "http_accept": request.axes_http_accept,
                "path_info": request.axes_path_info,
            },
        )
        if not created:
            AccessAttempt.objects.filter(pk=attempt.pk).update(
                failures_since_start=F("failures_since_start") + 1,
                attempt_time=request.axes_attempt_time,
            )

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is None or not getattr(request, "login_throttle_counted", False):
            return super().user_login_failed(sender, credentials, request, **kwargs)
        request.login_throttle_counted = False
        # axes records the failure with its details: take the provisional count back in the same
        # transaction, so that no concurrent check sees the count dip in between.
        with transaction.atomic(using=router.db_for_write(AccessAttempt)):
            AccessAttempt.objects.filter(
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
                user_agent=request.axes_user_agent,
                failures_since_start__gt=0,
            ).update(failures_since_start=F("failures_since_start") - 1)
            return super().user_login_failed(sender, credentials, request, **kwargs)


def minutes_until_unlocked(request: HttpRequest, credentials: dict | None) -> int:
    """Whole minutes until the lock that refused ``request`` ends (at most the cool-off)."""
    recent = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
    )
    if getattr(request, "login_throttle_lock", ACCOUNT) == ACCOUNT:
        recent = recent.filter(username=get_client_username(request, credentials))
    latest = recent.aggregate(latest=Max("attempt_time"))["latest"] or timezone.now()
    remaining = latest + get_cool_off(request) - timezone.now()
    return max(1, math.ceil(remaining.total_seconds() / 60))


def login_unlock(*, username: str) -> int:
    """Clear an account's failures from every address; returns the number of records cleared."""
    return AxesProxyHandler.reset_attempts(username=username.strip().lower())


@receiver(user_locked_out)
def _log_lockout(sender, request: HttpRequest, username: str | None, **kwargs) -> None:
    """A log line per refused or locking attempt: the account's id, never its e-mail or the
    password (axes' own failure log keeps the details, admin only)."""
    user_id = (
        get_user_model()
        ._default_manager.filter(**{get_user_model().USERNAME_FIELD: username})
        .values_list("pk", flat=True)
        .first()
    )
    logger.warning(
        "Sign-in locked (%s limit) for %s",
        getattr(request, "login_throttle_lock", ACCOUNT),
        f"user id {user_id}" if user_id else "an unknown account",
    )


def login_locked(request: HttpRequest, username: str) -> bool:
    """Whether the throttle refuses ``username`` from this request's address now, for a sign-in
    that checks no password here (single sign-on, accounts.sso): one throttle for every path, so
    a locked account stays locked whichever way it signs in. Counts nothing."""
    credentials = {get_user_model().USERNAME_FIELD: username.strip().lower()}
    return AxesProxyHandler.is_locked(request, credentials)


def login_refused_after_password(request: HttpRequest, username: str) -> None:
    """A right password on a page that then refuses the person (the admin, for a clinician) is
    no failure: take back the count made before the password was checked, or five such
    sign-ins would lock the person out of the clinic too."""
    if not getattr(request, "login_throttle_counted", False):
        return
    request.login_throttle_counted = False
    AccessAttempt.objects.filter(
        username=username.strip().lower()[:255],
        ip_address=request.axes_ip_address,
        user_agent=request.axes_user_agent,
        failures_since_start__gt=0,
    ).update(failures_since_start=F("failures_since_start") - 1)
