"""The survey routes alone: used only while another app's routes cannot be imported
(work in progress elsewhere must not hide the state of collection)."""

from django.urls import include, path

from config import views

urlpatterns = [
    path("", views.home, name="home"),
    path("api/v1/", include("survey.api_urls")),
    path("", include("survey.urls")),
]
