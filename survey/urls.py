from django.urls import path

from survey import kiosk_views, views

app_name = "survey"
urlpatterns = [
    path("s/<str:token>/", views.survey_form, name="form"),
    path("s/<str:token>/thanks/", views.survey_thanks, name="thanks"),
    path("s/<str:token>/saved/", views.survey_saved, name="saved"),
    path("s/<str:token>/receipt/", views.survey_receipt, name="receipt"),
    path("s/<str:token>/qr.<str:extension>", views.survey_qr, name="qr"),
    path("s/<str:token>/o.gif", views.survey_opened, name="opened"),
    path("o/<str:token>/", views.open_link, name="open"),
    path("kiosk/", kiosk_views.kiosk_begin, name="kiosk-begin"),
    path("kiosk/<str:device_token>/", kiosk_views.kiosk_page, name="kiosk"),
    path("kiosk/<str:device_token>/state", kiosk_views.kiosk_state_view, name="kiosk-state"),
    path("kiosk/<str:device_token>/reset", kiosk_views.kiosk_reset_view, name="kiosk-reset"),
    path("survey/kiosks/", kiosk_views.kiosks_page, name="kiosks"),
    path("survey/kiosk-forms/", kiosk_views.kiosk_forms_page, name="kiosk-forms"),
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
