"""Estimates API: anonymous visitors read published rounds only."""

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse

from analysis.models import AnalysisRun, Estimate, SurveyRound
from analysis.selectors import estimates_current
from analysis.services import analysis_run_start
from config.openapi import ERROR, FIELD_ERRORS


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
            "component",
            "estimate",
            "se",
            "ci_low",
            "ci_high",
            "n",
        ]


class EstimateFilter(django_filters.FilterSet):
    round = django_filters.CharFilter(field_name="run__round__code", help_text="Round code.")
    unit = django_filters.CharFilter(field_name="unit__code", help_text="Unit code.")
    component = django_filters.CharFilter(help_text="e.g. sipas.access")
    level = django_filters.CharFilter(field_name="unit__level__code", help_text="Unit level.")

    class Meta:
        model = Estimate
        fields = ["round", "unit", "component", "level"]


class EstimateList(generics.ListAPIView):
    """GET /api/v1/estimates/?round=&unit=&component=&level="""

    serializer_class = EstimateOutput
    permission_classes = [permissions.AllowAny]
    filterset_class = EstimateFilter

    def get_queryset(self):
        request: Request = self.request
        return estimates_current(staff=bool(request.user and request.user.is_staff))

    @extend_schema(
        summary="Current estimates (anonymous visitors: published rounds only)",
        responses={200: EstimateOutput(many=True), 400: FIELD_ERRORS},
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> ApiResponse:
        return super().get(request, *args, **kwargs)


class AnalysisRunOutput(serializers.ModelSerializer):
    round = serializers.CharField(source="round.code")

    class Meta:
        model = AnalysisRun
        fields = ["id", "round", "status", "n_responses", "created_at", "finished_at", "error"]


class RoundRuns(generics.GenericAPIView):
    """GET the runs of a round; POST starts a new one (staff). The run is computed by a
    Celery worker; poll GET /api/v1/runs/<id>/ until it has succeeded or failed."""

    permission_classes = [permissions.IsAdminUser]
    serializer_class = AnalysisRunOutput
    queryset = AnalysisRun.objects.select_related("round")

    @extend_schema(
        summary="The runs of a round, newest first", responses=AnalysisRunOutput(many=True)
    )
    def get(self, request: Request, code: str) -> ApiResponse:
        survey_round = get_object_or_404(SurveyRound, code=code)
        runs = self.paginate_queryset(self.get_queryset().filter(round=survey_round))
        return self.get_paginated_response(AnalysisRunOutput(runs, many=True).data)

    @extend_schema(
        summary="Start a run (computed by a Celery worker)",
        request=None,
        responses={202: AnalysisRunOutput, 404: ERROR},
    )
    def post(self, request: Request, code: str) -> ApiResponse:
        survey_round = get_object_or_404(SurveyRound, code=code)
        run = analysis_run_start(survey_round=survey_round)
        run.refresh_from_db()
        return ApiResponse(AnalysisRunOutput(run).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(summary="One analysis run: poll until it has succeeded or failed")
class RunDetail(generics.RetrieveAPIView):
    permission_classes = [permissions.IsAdminUser]
    serializer_class = AnalysisRunOutput
    queryset = AnalysisRun.objects.select_related("round")
