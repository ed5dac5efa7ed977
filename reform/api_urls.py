from django.urls import path

from reform import api, block_api, editor_api, submission_api

urlpatterns = [
    path("index/frameworks/", api.Frameworks.as_view(), name="api-index-frameworks"),
    path(
        "index/frameworks/<slug:code>/", api.FrameworkExport.as_view(), name="api-index-framework"
    ),
    path("index/rounds/", api.Rounds.as_view(), name="api-index-rounds"),
    path("index/rounds/<slug:code>/", api.RoundDetail.as_view(), name="api-index-round"),
    path("index/rounds/<slug:code>/results/", api.Results.as_view(), name="api-index-results"),
    path("index/rounds/<slug:code>/scores/", api.Scores.as_view(), name="api-index-scores"),
    path(
        "index/rounds/<slug:code>/scores/<str:unit_code>/<str:criterion_code>/",
        api.SelfScore.as_view(),
        name="api-index-self-score",
    ),
    path(
        "index/rounds/<slug:code>/survey-values/<str:unit_code>/<str:criterion_code>/",
        api.SurveyValue.as_view(),
        name="api-index-survey-value",
    ),
    path("index/scores/<int:pk>/appraisal/", api.Appraisal.as_view(), name="api-index-appraisal"),
    path(
        "index/scores/<int:pk>/evidence/", api.EvidenceUpload.as_view(), name="api-index-evidence"
    ),
    path(
        "index/rounds/<slug:code>/submissions/<str:unit_code>/",
        submission_api.SubmissionDetail.as_view(),
        name="api-index-submission",
    ),
    path("index/rounds/<slug:code>/blocks/", block_api.Blocks.as_view(), name="api-index-blocks"),
    path(
        "index/rounds/<slug:code>/blocks/<slug:block_code>/",
        block_api.BlockDetail.as_view(),
        name="api-index-block",
    ),
    path(
        "index/frameworks/<slug:code>/criteria/",
        editor_api.Nodes.as_view(),
        name="api-index-framework-nodes",
    ),
    path(
        "index/frameworks/<slug:code>/criteria/<str:node>/",
        editor_api.Node.as_view(),
        name="api-index-framework-node",
    ),
]
