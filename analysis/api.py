"""Estimates API: anonymous visitors read published rounds only."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from rest_framework import generics, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from analysis.models import AnalysisRun, Estimate
from analysis.selectors import estimates_current, rounds_for_runs
from analysis.services import RunInProgress, analysis_run_start
from org.access import capability
from org.permissions import Capability

CanRunAnalyses = capability(Capability.RUNS)


class EstimateOutput(serializers.ModelSerializer):
    round = serializers.CharField(source="run.round.code")
    run = serializers.IntegerField(source="run.id")
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    level = serializers.CharField(source="unit.level.code")

    class Meta:
        model = Estimate
        fields = [
            "round",
            "run",
            "unit",
            "unit_name",
            "level",
            "statistic",
            "component",
            "domain_variable",
            "domain_value",
            "estimate",
            "se",
            "ci_low",
            "ci_high",
            "ci_method",
            "df",
            "n",
            "n_effective",
            "deff",
            "unweighted",
            "suppressed",
            "suppressed_reason",
        ]


class EstimateList(generics.ListAPIView):
    """GET /api/v1/estimates/?round=&run=&unit=&level=&statistic=&component=&domain_variable=
    &domain_value= — the latest successful run of each round (or ``run``)."""

    serializer_class = EstimateOutput
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        request: Request = self.request
        estimates = estimates_current(user=request.user)
        filters = {
            "round": "run__round__code",
            "unit": "unit__code",
            "component": "component",
            "level": "unit__level__code",
            "statistic": "statistic",
            "domain_variable": "domain_variable",
            "domain_value": "domain_value",
        }
        for parameter, field in filters.items():
            value = request.query_params.get(parameter)
            if value:
                estimates = estimates.filter(**{field: value})
        return estimates


class AnalysisRunOutput(serializers.ModelSerializer):
    round = serializers.CharField(source="round.code")

    class Meta:
        model = AnalysisRun
        fields = [
            "id",
            "round",
            "status",
            "stage",
            "progress",
            "attempts",
            "timings",
            "n_responses",
            "fingerprint",
            "created_at",
            "started_at",
            "finished_at",
            "error",
        ]


class RoundRuns(APIView):
    """GET the runs of a round; POST starts a new one (staff). The run is computed by a
    Celery worker; poll GET /api/v1/runs/<id>/ until it has succeeded or failed."""

    permission_classes = [CanRunAnalyses]

    def get(self, request: Request, code: str) -> ApiResponse:
        survey_round = get_object_or_404(rounds_for_runs(user=request.user), code=code)
        runs = survey_round.runs.select_related("round")[:50]
        return ApiResponse(AnalysisRunOutput(runs, many=True).data)

    def post(self, request: Request, code: str) -> ApiResponse:
        survey_round = get_object_or_404(rounds_for_runs(user=request.user), code=code)
        try:
            run = analysis_run_start(survey_round=survey_round, actor=request.user)
        except RunInProgress as busy:
            return ApiResponse(
                {
                    "detail": _("This round already has a run in progress."),
                    "run": AnalysisRunOutput(busy.run).data,
                },
                status=status.HTTP_409_CONFLICT,
            )
        run.refresh_from_db()
        return ApiResponse(AnalysisRunOutput(run).data, status=status.HTTP_202_ACCEPTED)


class RunDetail(generics.RetrieveAPIView):
    permission_classes = [CanRunAnalyses]
    serializer_class = AnalysisRunOutput

    def get_queryset(self):
        rounds = rounds_for_runs(user=self.request.user)
        return AnalysisRun.objects.select_related("round").filter(round__in=rounds)
