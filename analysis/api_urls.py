from django.urls import path

from analysis.api import EstimateList, RoundRuns, RunDetail

urlpatterns = [
    path("estimates/", EstimateList.as_view(), name="api-estimates"),
    path("rounds/<slug:code>/runs/", RoundRuns.as_view(), name="api-round-runs"),
    path("runs/<int:pk>/", RunDetail.as_view(), name="api-run"),
]
