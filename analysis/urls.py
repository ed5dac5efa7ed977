from django.urls import path

from analysis import dashboard_pages, pages, views

app_name = "analysis"
urlpatterns = [
    path("results/", views.results, name="results"),
    path("results/export.csv", views.results_export, name="results-export"),
    path("rounds/", pages.rounds_page, name="rounds"),
    path("rounds/<slug:code>/", pages.round_page, name="round"),
    path("rounds/<slug:code>/run/", pages.round_run, name="round-run"),
    path(
        "rounds/<slug:code>/frame/from-transactions/",
        pages.round_frame_from_transactions,
        name="round-frame-compute",
    ),
    path(
        "rounds/<slug:code>/dashboard/",
        dashboard_pages.round_dashboard,
        name="round-dashboard",
    ),
    path(
        "rounds/<slug:code>/dashboard/export.<str:extension>",
        dashboard_pages.round_dashboard_export,
        name="round-dashboard-export",
    ),
    path("rounds/<slug:code>/extract.zip", dashboard_pages.round_extract, name="round-extract"),
    path(
        "rounds/<slug:code>/<str:kind>/upload/",
        pages.round_upload,
        name="round-upload",
    ),
]
