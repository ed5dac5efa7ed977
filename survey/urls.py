from django.urls import path

from survey import views

app_name = "survey"
urlpatterns = [
    path("s/<str:token>/", views.survey_form, name="form"),
    path("s/<str:token>/thanks/", views.survey_thanks, name="thanks"),
    path("s/<str:token>/saved/", views.survey_saved, name="saved"),
    path("s/<str:token>/receipt/", views.survey_receipt, name="receipt"),
    path("s/<str:token>/qr.<str:extension>", views.survey_qr, name="qr"),
    path("s/<str:token>/o.gif", views.survey_opened, name="opened"),
    path("o/<str:token>/", views.open_link, name="open"),
    path("survey/imports/", views.import_page, name="imports"),
    path(
        "survey/imports/template/<int:version_id>.xlsx",
        views.import_template_download,
        name="import-template",
    ),
    path(
        "survey/imports/<int:batch_id>/report.csv",
        views.import_report_download,
        name="import-report",
    ),
]
