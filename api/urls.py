"""``/api/v1/`` routes; URL names are namespaced ``api:<basename>-<action>``."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from api.views.access_log import AccessLogViewSet, PatientAccessLogView
from api.views.accounts import CenterViewSet, MembershipViewSet
from api.views.consent import (
    ConsentDocumentViewSet,
    ConsentIssueViewSet,
    PatientConsentRecordViewSet,
    PatientConsentWithdrawalViewSet,
)
from api.views.dicom import (
    RadiographBurnedInReviewView,
    RadiographDicomFileView,
    RadiographDicomUploadView,
    RadiographPreviewView,
    UnmatchedInstanceViewSet,
)
from api.views.erasure import PatientEraseView, PatientSubjectAccessView
from api.views.exports import ExportJobViewSet, ImportView
from api.views.imaging import (
    FindingViewSet,
    LesionTrackViewSet,
    LesionViewSet,
    RadiographLesionViewSet,
    RadiographViewSet,
)
from api.views.patients import PatientViewSet, PatientVisitViewSet, TreatmentViewSet, VisitViewSet
from api.views.progression import CohortProgressionViewSet, PatientProgressionViewSet
from api.views.sign_in_events import SignInEventViewSet
from api.views.tasks import TaskViewSet

app_name = "api"

router = DefaultRouter(use_regex_path=True)
router.include_format_suffixes = False
router.register("centers", CenterViewSet, basename="center")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("sign-in-events", SignInEventViewSet, basename="sign-in-event")
router.register("patients", PatientViewSet, basename="patient")
router.register(
    r"patients/(?P<patient_pk>\d+)/visits", PatientVisitViewSet, basename="patient-visit"
)
router.register("tasks", TaskViewSet, basename="task")
router.register("visits", VisitViewSet, basename="visit")
router.register("treatments", TreatmentViewSet, basename="treatment")
router.register("radiographs", RadiographViewSet, basename="radiograph")
router.register(
    r"radiographs/(?P<radiograph_pk>\d+)/lesions",
    RadiographLesionViewSet,
    basename="radiograph-lesion",
)
router.register("lesions", LesionViewSet, basename="lesion")
router.register("lesion-tracks", LesionTrackViewSet, basename="lesion-track")
router.register("findings", FindingViewSet, basename="finding")
router.register("exports", ExportJobViewSet, basename="export")
router.register("dicom-unmatched", UnmatchedInstanceViewSet, basename="dicom-unmatched")
router.register("access-log", AccessLogViewSet, basename="access-log")
router.register("consent-documents", ConsentDocumentViewSet, basename="consent-document")
router.register(
    r"patients/(?P<patient_pk>\d+)/consent-records",
    PatientConsentRecordViewSet,
    basename="patient-consent-record",
)
router.register(
    r"patients/(?P<patient_pk>\d+)/consent-withdrawals",
    PatientConsentWithdrawalViewSet,
    basename="patient-consent-withdrawal",
)
router.register("consent-issues", ConsentIssueViewSet, basename="consent-issue")

# Progression routes are explicit: a router would append a slash to "chart.svg".
progression_urls = [
    path("patients/<int:patient_pk>/progression/",
         PatientProgressionViewSet.as_view({"get": "list"}), name="patient-progression"),
    path("patients/<int:patient_pk>/progression/chart.svg",
         PatientProgressionViewSet.as_view({"get": "chart"}), name="patient-progression-chart"),
    path("cohort/progression/", CohortProgressionViewSet.as_view({"get": "list"}),
         name="cohort-progression"),
    path("cohort/progression/chart.svg", CohortProgressionViewSet.as_view({"get": "chart"}),
         name="cohort-progression-chart"),
    path("cohort/progression/recompute/", CohortProgressionViewSet.as_view({"post": "recompute"}),
         name="cohort-progression-recompute"),
]

urlpatterns = [
    path("v1/imports/", ImportView.as_view(), name="import"),
    # DICOM routes before the router's, whose radiographs/{pk}/ would take "dicom" as a pk
    path("v1/radiographs/dicom/", RadiographDicomUploadView.as_view(), name="radiograph-dicom"),
    path(
        "v1/radiographs/<int:pk>/preview.png",
        RadiographPreviewView.as_view(),
        name="radiograph-preview",
    ),
    path(
        "v1/radiographs/<int:pk>/dicom", RadiographDicomFileView.as_view(), name="radiograph-file"
    ),
    path(
        "v1/radiographs/<int:pk>/burned-in-review/",
        RadiographBurnedInReviewView.as_view(),
        name="radiograph-burned-in-review",
    ),
    path(
        "v1/dicom-unmatched/<int:pk>/preview.png",
        UnmatchedInstanceViewSet.as_view({"get": "preview"}),
        name="dicom-unmatched-preview",
    ),
    path("v1/patients/<int:pk>/erase/", PatientEraseView.as_view(), name="patient-erase"),
    path(
        "v1/patients/<int:pk>/subject-access/",
        PatientSubjectAccessView.as_view(),
        name="patient-subject-access",
    ),
    path(
        "v1/patients/<int:patient_pk>/access-log/",
        PatientAccessLogView.as_view(),
        name="patient-access-log",
    ),
    path("v1/", include(progression_urls)),
    path("v1/", include(router.urls)),
]
