from django.urls import path

from analysis.api import (
    EstimateExport,
    EstimateList,
    FrameFromTransactionsView,
    RoundInstrumentView,
    RoundMonitoringView,
    RoundRuns,
    RoundUploadView,
    RunCompareView,
    RunDetail,
)

urlpatterns = [
    path("estimates/", EstimateList.as_view(), name="api-estimates"),
    path(
        "estimates/export.<str:extension>",
        EstimateExport.as_view(),
        name="api-estimates-export",
    ),
    path("rounds/<slug:code>/runs/", RoundRuns.as_view(), name="api-round-runs"),
    path("runs/<int:pk>/", RunDetail.as_view(), name="api-run"),
    path("runs/<int:pk>/compare/", RunCompareView.as_view(), name="api-run-compare"),
    path(
        "rounds/<slug:code>/instrument/",
        RoundInstrumentView.as_view(),
        name="api-round-instrument",
    ),
    path(
        "rounds/<slug:code>/frame/",
        RoundUploadView.as_view(kind="frame"),
        name="api-round-frame",
    ),
    path(
        "rounds/<slug:code>/frame/from-transactions/",
        FrameFromTransactionsView.as_view(),
        name="api-round-frame-compute",
    ),
    path(
        "rounds/<slug:code>/margins/",
        RoundUploadView.as_view(kind="margins"),
        name="api-round-margins",
    ),
    path(
        "rounds/<slug:code>/monitoring/",
        RoundMonitoringView.as_view(),
        name="api-round-monitoring",
    ),
]
