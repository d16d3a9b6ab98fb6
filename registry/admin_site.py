"""The Django admin, held to the one access rule (:mod:`accounts.access`).

Who the admin is for: **superusers** (everything) and **center admins** (their centers' rows:
patients and their records, received DICOM, memberships and their members' tokens). Clinicians
work in the clinic app and researchers in the API and exports: the admin refuses them. Django's
model permissions and ``is_staff`` play no part; every page of every registered model asks the
access rule, so a model registered later cannot forget it (``tests/test_admin_walk.py`` walks them
all). History pages are read-only for everyone: a revert from there would bypass the services'
validation and audit reasons.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from accounts.access import Action, access_of, center_path_of, restrict
from accounts.login_throttle import login_refused_after_password
from accounts.models import SignInEvent
from accounts.passwords import password_set_sessions_end

HISTORY_READ_ONLY = "History pages are read-only: change the record itself."


NOT_FOR_YOU = (
    "The administration is for superusers and center admins. Clinicians work in the clinic "
    "app; researchers in the API and exports."
)


class RegistryAdminAuthenticationForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user) -> None:
        if not (user.is_active and access_of(user).administers):
            if self.request is not None:
                login_refused_after_password(self.request, user.get_username())
            raise ValidationError(NOT_FOR_YOU, code="invalid_login")


class RegistryAdminSite(admin.AdminSite):
    site_header = "Calcinosis registry administration"
    site_title = "Calcinosis registry"
    login_form = RegistryAdminAuthenticationForm

    def has_permission(self, request) -> bool:
        return request.user.is_active and access_of(request.user).administers

    def password_change(self, request, extra_context=None):
        """Django's page (the validators); a new password then ends one's other sessions, as
        the clinic's "Change password" does."""
        response = super().password_change(request, extra_context)
        if request.method == "POST" and response.status_code == 302:
            password_set_sessions_end(
                request=request, user=request.user, kind=SignInEvent.Kind.PASSWORD_CHANGED
            )
        return response


def _restricted_model(model: type[models.Model]) -> bool:
    try:
        center_path_of(model)
    except LookupError:
        return False
    return True


def _is_relation(model: type[models.Model], path: str) -> bool:
    field = None
    for name in path.split("__"):
        field = model._meta.get_field(name)
        if not field.is_relation:
            return False
        model = field.related_model
    return field is not None


def _reachable(request, model, obj, action: Action) -> bool:
    if obj is None:
        return True
    return restrict(model._default_manager.filter(pk=obj.pk), request.user, action).exists()


def _restrict_choices(db_field, request, kwargs: dict, action: Action) -> None:
    """A foreign key's choices: the rows the user may reach for ``action``."""
    related = db_field.related_model
    if not request.user.is_superuser and _restricted_model(related):
        queryset = kwargs.get("queryset", related._default_manager.all())
        kwargs["queryset"] = restrict(queryset, request.user, action)


class RestrictedAdminMixin:
    """Rows, foreign-key choices and permissions of a model admin (or inline), by the rule.

    ``admin_actions`` lists what center admins may do beyond viewing: ``"add"``, ``"change"``,
    ``"delete"``. Superusers may do everything Django allows them.
    """

    view_action = Action.VIEW  # memberships and tokens: ADMINISTER for viewing too
    admin_action = Action.CHANGE  # clinical rows; memberships and tokens use ADMINISTER
    admin_actions: tuple[str, ...] = ("add", "change")

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, self.view_action)

    def get_list_filter(self, request):
        """A relation's filter lists only the related rows of the rows shown (Django's own lists
        every center of the registry)."""
        return [
            (name, admin.RelatedOnlyFieldListFilter)
            if isinstance(name, str) and _is_relation(self.model, name)
            else name
            for name in super().get_list_filter(request)
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        _restrict_choices(db_field, request, kwargs, self.admin_action)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _center_admin_may(self, request, what: str, obj=None) -> bool:
        access = access_of(request.user)
        if access.superuser:
            return True
        if not access.admin_center_ids:
            return False
        if what != "view" and what not in self.admin_actions:
            return False
        action = self.view_action if what == "view" else self.admin_action
        return _reachable(request, self.model, obj, action)

    def has_module_permission(self, request) -> bool:
        return access_of(request.user).administers

    def has_view_permission(self, request, obj=None) -> bool:
        if request.user.is_superuser:
            return super().has_view_permission(request, obj)
        return self._center_admin_may(request, "view", obj)

    def has_add_permission(self, request, *args) -> bool:
        if request.user.is_superuser:
            return super().has_add_permission(request, *args)
        return self._center_admin_may(request, "add")

    def has_change_permission(self, request, obj=None) -> bool:
        if request.user.is_superuser:
            return super().has_change_permission(request, obj)
        return self._center_admin_may(request, "change", obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if request.user.is_superuser:
            return super().has_delete_permission(request, obj)
        return self._center_admin_may(request, "delete", obj)


class RestrictedAdmin(RestrictedAdminMixin, admin.ModelAdmin):
    pass


class RestrictedHistoryAdmin(RestrictedAdminMixin, SimpleHistoryAdmin):
    """A restricted admin with the audit history: readable for rows one may view, never a way
    to revert (or to resurrect a deleted row); a deleted row's history is for superusers."""

    def _check_history_access(self, request, object_id, version_id=None) -> None:
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied(HISTORY_READ_ONLY)
        try:  # not an id of this model (or of a version): a 404, not a 500
            self.model._meta.pk.to_python(object_id)
            if version_id is not None:
                int(version_id)
        except (ValueError, TypeError, ValidationError) as error:
            raise Http404 from error
        if request.user.is_superuser:
            return
        if not self.get_queryset(request).filter(pk=object_id).exists():
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._check_history_access(request, object_id)
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._check_history_access(request, object_id, version_id)
        return super().history_form_view(
            request, object_id, version_id, extra_context=extra_context
        )


class RestrictedInline:
    """For inlines: rows and choices by the rule; permissions follow the parent admin's."""

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, Action.VIEW)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        _restrict_choices(db_field, request, kwargs, Action.CHANGE)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _allowed(self, request, what: str, obj=None) -> bool:
        access = access_of(request.user)
        if access.superuser:
            return True
        if not access.admin_center_ids or what == "delete":
            return False
        return _reachable(request, self.parent_model, obj, Action.CHANGE)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allowed(request, "view", obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return self._allowed(request, "add", obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._allowed(request, "change", obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._allowed(request, "delete", obj) and super().has_delete_permission(
            request, obj
        )
