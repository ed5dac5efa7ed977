from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("reports/new/<slug:kind>/", views.report_new, name="new"),
    path("reports/<uuid:job_id>/", views.report_page, name="job"),
    path("reports/<uuid:job_id>/status", views.report_status, name="status"),
    path("reports/<uuid:job_id>/download", views.report_download, name="download"),
]
