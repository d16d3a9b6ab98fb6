"""Resetting a person's second factor from the admin (issue 14).

Superusers reset anyone from the user admin; center admins, who do not reach accounts, reset the
members of their centers from the membership admin (its rows are their centers' only). Both
actions call ``accounts.two_factor.two_factor_reset``, which checks the rule again, records the
reset and signs the person out everywhere.

django-otp's own device admins are taken off the site: they would show superusers every
person's TOTP key and QR code. Devices change only through enrolment and reset.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.two_factor import two_factor_reset

for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


def _reset(modeladmin, request, users) -> None:
    done, refused = [], []
    for user in {user.pk: user for user in users}.values():
        try:
            two_factor_reset(user=user, actor=request.user, request=request)
        except PermissionDenied as refusal:
            refused.append(f"{user.get_username()}: {refusal}")
        else:
            done.append(user.get_username())
    if done:
        modeladmin.message_user(
            request,
            f"Second factor reset and signed out everywhere: {', '.join(done)}.",
            messages.SUCCESS,
        )
    for line in refused:
        modeladmin.message_user(request, line, messages.ERROR)


@admin.action(description="Reset two-factor authentication (signs them out everywhere)")
def reset_two_factor(modeladmin, request, queryset) -> None:
    """On the user admin (superusers)."""
    _reset(modeladmin, request, list(queryset))


@admin.action(description="Reset the member's two-factor authentication")
def reset_member_two_factor(modeladmin, request, queryset) -> None:
    """On the membership admin: the people of the selected memberships."""
    _reset(modeladmin, request, [membership.user for membership in queryset.select_related("user")])
