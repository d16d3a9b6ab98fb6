"""Safe edits from the clinic's forms, as ``If-Match`` makes them in the API.

An edit or delete form carries the record's ETag (:func:`registry.etags.etag_for`) from when the
page was opened. On POST the record is read again under the one access rule, its row locked for
the rest of the transaction; a different ETag means a colleague saved in between, and nothing is
written: the form comes back with what was typed, the colleague's values beside it, and the new
ETag, so a second save is a decision taken knowing their change.
"""

from __future__ import annotations

import contextlib
import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.formats import time_format

from accounts.access import Action, get_restricted_or_404
from patients.partial_dates import PartialDate
from registry import formatting
from registry.etags import etag_for
from registry.locale import format_locale

ETAG_FIELD = "etag"
STALE = (
    "This {what} was changed by someone else since you opened it{when}. "
    "Review their version below and {action} again."
)


def locked_or_404(queryset: QuerySet, user, pk: int) -> Model:
    """The record the user may change (another center's: 404), its row locked until the end of
    the transaction and read again, so the ETag check and the write see one version."""
    instance = get_restricted_or_404(queryset, user, Action.CHANGE, pk=pk)
    # Only this row: locking a joined parent too would serialize edits of its siblings.
    rows = type(instance)._default_manager.filter(pk=instance.pk).order_by().values("pk")
    list(rows.select_for_update(of=("self",)))
    return get_restricted_or_404(queryset, user, Action.CHANGE, pk=pk)


def is_stale(request, instance: Model) -> bool:
    """Whether the form was opened on another version than the stored one (or names none)."""
    return request.POST.get(ETAG_FIELD, "") != etag_for(instance)


def _last_change(instance: Model, user) -> str:
    """ " (at 14:05 by Dr Martin)" from the record's history; "" when it does not tell."""
    record = instance.history.select_related("history_user").order_by("-history_id").first()
    if record is None:
        return ""
    moment = timezone.localtime(record.history_date)
    if moment.date() == timezone.localdate():
        with format_locale():
            when = f"at {time_format(moment, 'TIME_FORMAT')}"
    else:
        when = f"on {formatting.datetime_text(moment)}"
    author = record.history_user
    if author is None:
        return f" ({when})"
    if author.pk == user.pk:
        return f" ({when} by you, in another window)"
    return f" ({when} by {author.get_full_name() or author.get_username()})"


def stale_message(instance: Model, user, what: str, *, action: str = "save") -> str:
    return STALE.format(what=what, when=_last_change(instance, user), action=action)


def _shown(field: forms.BoundField, value) -> str:
    """A value as people read it: a choice's label, Yes/No, a date in the locale, "—"."""
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, datetime.date | PartialDate):
        return formatting.when(value)
    choices = getattr(field.field, "choices", None)
    if choices is not None:
        labels = {str(key): label for key, label in choices}
        return str(labels.get(str(value), value))
    return str(value)


def differences(form: forms.Form) -> list[dict[str, str]]:
    """The fields where the stored record (the form's initial values, read after the lock)
    differs from what was typed: label, stored value, typed value."""
    rows = []
    for name in form.changed_data:
        field = form[name]
        if isinstance(field.field.widget, forms.HiddenInput):
            continue
        stored = form.get_initial_for_field(field.field, name)
        typed = field.field.widget.value_from_datadict(form.data, form.files, form.add_prefix(name))
        with contextlib.suppress(ValidationError):  # shown as typed; its error is by the field
            typed = field.field.to_python(typed)
        rows.append(
            {
                "label": str(field.label),
                "stored": _shown(field, stored),
                "typed": _shown(field, typed),
            }
        )
    return rows


def attach_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal next to the field it names (the form's own message otherwise)."""
    details = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for field, texts in details.items():
        for text in texts:
            if field in form.fields:
                form.add_error(field, text)
            elif field in (None, "__all__", "non_field_errors"):
                form.add_error(None, text)
            else:
                form.add_error(None, f"{field.replace('_', ' ').capitalize()}: {text}")


def summary(form: forms.Form) -> list[dict[str, str]]:
    """The stored record as its (unbound) edit form shows it: the fields that hold something."""
    rows = []
    for field in form.visible_fields():
        value = form.get_initial_for_field(field.field, field.name)
        if value in (None, "", False, "unknown"):
            continue
        rows.append({"label": str(field.label), "value": _shown(field, value)})
    return rows


def refused_status(posted: bool, stale: str) -> int:
    """A refused write answers 4xx, as the API does: 409 when a colleague's change came first,
    400 when the form has errors; the page with the typed values and the messages either way."""
    if stale:
        return 409
    return 400 if posted else 200
