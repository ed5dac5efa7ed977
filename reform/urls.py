from django.urls import path

from reform import dashboard, views

app_name = "reform"
urlpatterns = [
    path("index/", views.round_list, name="rounds"),
    path("index/evidence/<int:pk>/", views.evidence_file, name="evidence"),
    path("index/frameworks/", views.framework_list, name="frameworks"),
    path("index/frameworks/import/", views.framework_upload, name="framework-import"),
    path("index/frameworks/<slug:code>/copy/", views.framework_copy_view, name="framework-copy"),
    path("index/frameworks/<slug:code>.xlsx", views.framework_xlsx, name="framework-xlsx"),
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
]
