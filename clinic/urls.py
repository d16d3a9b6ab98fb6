from django.urls import path

from clinic import sso
from clinic.auth import LoginView
from clinic.views import (
    account,
    cohort,
    consent,
    delete,
    edit,
    follow_up,
    home,
    patients,
    radiographs,
    two_factor,
    unmatched,
)
from clinic.views import exports as export_pages
from clinic.views.favicon import favicon
from clinic.views.subject_access import subject_access_page

app_name = "clinic"

urlpatterns = [
    path("", home.home, name="home"),
    path("exports/", export_pages.exports_page, name="exports"),
    path("exports/<int:pk>/", export_pages.export_detail, name="export-detail"),
    path("favicon.ico", favicon, name="favicon"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", sso.LogoutView.as_view(), name="logout"),
    path("sso/login/", sso.SsoLoginView.as_view(), name="sso-login"),
    path("sso/callback/", sso.SsoCallbackView.as_view(), name="sso-callback"),
    path("password/", account.PasswordChangeView.as_view(), name="password-change"),
    path("password/reset/", account.PasswordResetView.as_view(), name="password-reset"),
    path(
        "password/reset/sent/", account.PasswordResetDoneView.as_view(), name="password-reset-sent"
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        account.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password/reset/done/",
        account.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
    path("session/status/", account.session_status, name="session-status"),
    path("session/keepalive/", account.session_keepalive, name="session-keepalive"),
    path("patients/", patients.patient_list, name="patient-list"),
    path("patients/new/", patients.patient_create, name="patient-create"),
    path("patients/<int:pk>/", patients.patient_detail, name="patient-detail"),
    path("patients/<int:pk>/edit/", edit.patient_edit, name="patient-edit"),
    path("patients/<int:pk>/delete/", delete.patient_delete, name="patient-delete"),
    path("visits/<int:pk>/edit/", edit.visit_edit, name="visit-edit"),
    path("visits/<int:pk>/delete/", delete.visit_delete, name="visit-delete"),
    path("radiographs/<int:pk>/edit/", edit.radiograph_edit, name="radiograph-edit"),
    path("radiographs/<int:pk>/delete/", delete.radiograph_delete, name="radiograph-delete"),
    path("lesions/<int:pk>/edit/", edit.lesion_edit, name="lesion-edit"),
    path("lesions/<int:pk>/delete/", delete.lesion_delete, name="lesion-delete"),
    path("patients/<int:pk>/follow-up/", follow_up.follow_up, name="follow-up"),
    path("patients/<int:pk>/consent/", consent.consent_record_view, name="consent-record"),
    path(
        "patients/<int:pk>/consent/withdraw/",
        consent.consent_withdraw_view,
        name="consent-withdraw",
    ),
    path("consent/follow-up/", consent.consent_issues, name="consent-issues"),
    path("cohort/", cohort.cohort, name="cohort"),
    path(
        "patients/<int:pk>/subject-access/", subject_access_page, name="patient-subject-access"
    ),
    path("radiographs/<int:pk>/", radiographs.radiograph_viewer, name="radiograph"),
    path(
        "radiographs/<int:pk>/lesions/",
        radiographs.radiograph_lesion_list,
        name="radiograph-lesions",
    ),
    path(
        "radiographs/<int:pk>/burned-in-review/",
        radiographs.radiograph_burned_in_review,
        name="radiograph-burned-in-review",
    ),
    path("two-factor/", two_factor.two_factor_page, name="two-factor"),
    path("two-factor/enrol/", two_factor.two_factor_enrol, name="two-factor-enrol"),
    path("two-factor/verify/", two_factor.two_factor_verify, name="two-factor-verify"),
    path(
        "two-factor/backup-codes/",
        two_factor.two_factor_backup_codes,
        name="two-factor-backup-codes",
    ),
    path("unmatched/", unmatched.unmatched_list, name="unmatched"),
    path("unmatched/<int:pk>/assign/", unmatched.unmatched_assign_view, name="unmatched-assign"),
]
