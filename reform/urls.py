from django.urls import path

from reform import block_views, dashboard, editor_views, submission_views, views

app_name = "reform"
urlpatterns = [
    path("index/", views.round_list, name="rounds"),
    path("index/evidence/<int:pk>/", views.evidence_file, name="evidence"),
    path("index/frameworks/", views.framework_list, name="frameworks"),
    path("index/frameworks/import/", views.framework_upload, name="framework-import"),
    path("index/frameworks/<slug:code>/copy/", views.framework_copy_view, name="framework-copy"),
    path("index/frameworks/<slug:code>.xlsx", views.framework_xlsx, name="framework-xlsx"),
    path("index/frameworks/<slug:code>/edit/", editor_views.framework_edit, name="framework-edit"),
    path("index/frameworks/<slug:code>/add/", editor_views.criterion_new, name="criterion-new"),
    path(
        "index/frameworks/<slug:code>/nodes/<str:node>/",
        editor_views.criterion_edit,
        name="criterion-edit",
    ),
    path("index/rounds/new/", views.round_new, name="round-new"),
    path("index/dashboard/", dashboard.dashboard_latest, name="dashboard-latest"),
    path("index/<slug:code>/", views.ranking, name="ranking"),
    path("index/<slug:code>/dashboard/", dashboard.dashboard, name="dashboard"),
    path("index/<slug:code>/ranking.xlsx", views.ranking_xlsx, name="ranking-xlsx"),
    path("index/<slug:code>/lock/", views.lock, name="lock"),
    path("index/<slug:code>/publish/", views.publish, name="publish"),
    path("index/<slug:code>/compare/", views.compare, name="compare"),
    path("index/<slug:code>/units/<str:unit_code>/", views.unit_card, name="scorecard"),
    path(
        "index/<slug:code>/units/<str:unit_code>/self-assessment/",
        views.self_assessment,
        name="self-assessment",
    ),
    path("index/<slug:code>/units/<str:unit_code>/appraisal/", views.appraisal, name="appraisal"),
    path("index/<slug:code>/submissions/", submission_views.submissions, name="submissions"),
    path("index/<slug:code>/units/<str:unit_code>/submit/", submission_views.submit, name="submit"),
    path(
        "index/<slug:code>/units/<str:unit_code>/return/",
        submission_views.send_back,
        name="send-back",
    ),
    path(
        "index/<slug:code>/units/<str:unit_code>/appraised/",
        submission_views.appraised,
        name="appraised",
    ),
    path("index/<slug:code>/blocks/", block_views.blocks, name="blocks"),
]
