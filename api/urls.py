"""``/api/v1/`` routes; URL names are namespaced ``api:<basename>-<action>``."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from api.views.accounts import CenterViewSet, MembershipViewSet
from api.views.imaging import (
    FindingViewSet,
    LesionTrackViewSet,
    LesionViewSet,
    RadiographLesionViewSet,
    RadiographViewSet,
)
from api.views.patients import PatientViewSet, PatientVisitViewSet, TreatmentViewSet, VisitViewSet

app_name = "api"

router = DefaultRouter(use_regex_path=True)
router.include_format_suffixes = False
router.register("centers", CenterViewSet, basename="center")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("patients", PatientViewSet, basename="patient")
router.register(
    r"patients/(?P<patient_pk>\d+)/visits", PatientVisitViewSet, basename="patient-visit"
)
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

urlpatterns = [
    path("v1/", include(router.urls)),
]
