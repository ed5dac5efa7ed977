from django.urls import path

from questionnaires import views

app_name = "questionnaires"
urlpatterns = [
    path("", views.questionnaire_list, name="list"),
    path("new/", views.questionnaire_new, name="new"),
    path("from-template/", views.questionnaire_from_template, name="from_template"),
    path("import/", views.questionnaire_import, name="import"),
    path("<slug:code>/", views.questionnaire_edit, name="edit"),
    path("<slug:code>/settings/", views.questionnaire_settings, name="settings"),
    path("<slug:code>/preview/", views.questionnaire_preview, name="preview"),
    path("<slug:code>/publish/", views.questionnaire_publish, name="publish"),
    path("<slug:code>/duplicate/", views.questionnaire_duplicate, name="duplicate"),
    path("<slug:code>/delete/", views.questionnaire_delete, name="delete"),
    path("<slug:code>/export.<str:kind>", views.questionnaire_export, name="export"),
    path("<slug:code>/sections/new/", views.section_edit, name="section_new"),
    path("<slug:code>/sections/<str:section>/", views.section_edit, name="section_edit"),
    path("<slug:code>/sections/<str:section>/delete/", views.section_delete, name="section_delete"),
    path("<slug:code>/sections/<str:section>/move/", views.section_move, name="section_move"),
    path(
        "<slug:code>/sections/<str:section>/questions/new/",
        views.question_edit,
        name="question_new",
    ),
    path("<slug:code>/questions/<str:question>/", views.question_edit, name="question_edit"),
    path(
        "<slug:code>/questions/<str:question>/delete/",
        views.question_delete,
        name="question_delete",
    ),
    path("<slug:code>/questions/<str:question>/move/", views.question_move, name="question_move"),
    path("<slug:code>/v<int:number>/preview/", views.version_preview, name="version_preview"),
    path(
        "<slug:code>/v<int:number>/export.<str:kind>", views.version_export, name="version_export"
    ),
    path("<slug:code>/v<int:number>/restore/", views.version_restore, name="version_restore"),
    path("<slug:code>/v<int:number>/delete/", views.version_delete, name="version_delete"),
]
