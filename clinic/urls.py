from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from clinic.auth import LoginView
from clinic.views import follow_up, patients, radiographs, unmatched

app_name = "clinic"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="clinic:patient-list"), name="home"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="clinic:login"), name="logout"),
    path("patients/", patients.patient_list, name="patient-list"),
    path("patients/new/", patients.patient_create, name="patient-create"),
    path("patients/<int:pk>/", patients.patient_detail, name="patient-detail"),
    path("patients/<int:pk>/follow-up/", follow_up.follow_up, name="follow-up"),
    path("radiographs/<int:pk>/", radiographs.radiograph_viewer, name="radiograph"),
    path(
        "radiographs/<int:pk>/burned-in-review/",
        radiographs.radiograph_burned_in_review,
        name="radiograph-burned-in-review",
    ),
    path("unmatched/", unmatched.unmatched_list, name="unmatched"),
    path("unmatched/<int:pk>/assign/", unmatched.unmatched_assign_view, name="unmatched-assign"),
]
