from django.urls import path

from analysis import views

app_name = "analysis"
urlpatterns = [
    path("results/", views.results, name="results"),
    path("results/export.csv", views.results_export, name="results-export"),
]
