"""Consent rows in the admin: readable by superusers and the center admins of their center, with
their history; never added or changed here (the services compute the state, and a record is
corrected by a new one). A superuser may delete a record or withdrawal entered in error: the
state is recomputed and the history keeps the deleted row."""

from django.contrib import admin

from consent.models import ConsentDocument, ConsentRecord, ConsentWithdrawal, PatientConsentState
from consent.services import consent_record_delete
from registry.admin_site import RestrictedHistoryAdmin


class ConsentReadOnlyAdmin(RestrictedHistoryAdmin):
    admin_actions = ()

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ConsentDocument)
class ConsentDocumentAdmin(ConsentReadOnlyAdmin):
    list_display = ["title", "version", "language", "effective_on", "center", "ethics_reference"]
    list_filter = ["center", "language"]


class ConsentEntryAdmin(ConsentReadOnlyAdmin):
    """Records and withdrawals: superusers delete an entry made in error, through the service."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def delete_model(self, request, obj) -> None:
        consent_record_delete(record=obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            consent_record_delete(record=obj)


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ConsentEntryAdmin):
    list_display = ["patient", "document", "signed_on", "created_at"]
    list_select_related = ["patient", "document"]


@admin.register(ConsentWithdrawal)
class ConsentWithdrawalAdmin(ConsentEntryAdmin):
    list_display = ["patient", "withdrawn_on", "created_at"]
    list_select_related = ["patient"]


@admin.register(PatientConsentState)
class PatientConsentStateAdmin(ConsentReadOnlyAdmin):
    list_display = ["patient", "scope", "state", "since", "document"]
    list_filter = ["scope", "state"]
    list_select_related = ["patient", "document"]
