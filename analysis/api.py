"""Estimates API: anonymous visitors read published rounds only."""

from typing import Any

import django_filters
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, permissions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from analysis.exports import estimates_csv, estimates_xlsx
from analysis.models import AnalysisRun, Estimate
from analysis.round_config import (
    EstimationSpec,
    RoundInstrument,
    plan_of,
    publication_of,
    scheme_of,
    spec_of,
)
from analysis.round_inputs import (
    frame_from_transactions,
    frame_upload,
    instrument_check,
    margins_upload,
    round_monitoring,
)
from analysis.selectors import (
    estimates_current,
    estimates_visible,
    rounds_for_runs,
    run_previous,
    runs_compare,
)
from analysis.services import RunInProgress, analysis_run_start, round_instrument_update
from config.openapi import ERROR, FIELD_ERRORS
from org.access import capability
from org.permissions import Capability
from survey.filters import IntegerFilter
from survey.imports import ImportFileInvalid

CanRunAnalyses = capability(Capability.RUNS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


class EstimateFilter(django_filters.FilterSet):
    round = django_filters.CharFilter(field_name="run__round__code", help_text="Round code.")
    unit = django_filters.CharFilter(field_name="unit__code", help_text="Unit code.")
    component = django_filters.CharFilter(help_text="Element or item, e.g. sipas.access")
    level = django_filters.CharFilter(field_name="unit__level__code", help_text="Unit level.")
    statistic = django_filters.CharFilter(help_text="element_index, item_share, item_mean, overall")
    domain_variable = django_filters.CharFilter(help_text='"unit" or a profile variable')
    domain_value = django_filters.CharFilter(help_text="The profile variable's category")
    run = IntegerFilter(
        field_name="run_id",
        min_value=1,
        max_value=2**63 - 1,
        help_text="A run's id (default: each round's latest run).",
    )

    class Meta:
        model = Estimate
        fields = [
            "run",
            "round",
            "unit",
            "component",
            "level",
            "statistic",
            "domain_variable",
            "domain_value",
        ]


class EstimateList(generics.ListAPIView):
    """GET /api/v1/estimates/?round=&unit=&level=&statistic=&component=&domain_variable=
    &domain_value= — the latest successful run of each round the visitor may see;
    suppressed cells only for those who may see the round unpublished."""

    serializer_class = EstimateOutput
    permission_classes = [permissions.AllowAny]
    filterset_class = EstimateFilter

    def get_queryset(self):
        if self.request.query_params.get("run"):
            return estimates_visible(user=self.request.user)
        return estimates_current(user=self.request.user)

    @extend_schema(
        summary="Current estimates (anonymous visitors: published rounds only)",
        responses={200: EstimateOutput(many=True), 400: FIELD_ERRORS},
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> ApiResponse:
        return super().get(request, *args, **kwargs)


class EstimateExport(EstimateList):
    """GET /estimates/export.csv|xlsx with the list's filters: UTF-8 CSV (with a BOM) or
    a formatted workbook with Vietnamese headers."""

    pagination_class = None

    @extend_schema(
        summary="Export estimates (same filters as the list)",
        parameters=[
            OpenApiParameter("extension", str, OpenApiParameter.PATH, enum=["csv", "xlsx"])
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            (200, XLSX): OpenApiTypes.BINARY,
            400: FIELD_ERRORS,
            404: ERROR,
        },
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Any:
        extension = str(kwargs.get("extension", ""))
        if extension not in {"csv", "xlsx"}:
            return ApiResponse({"detail": _("Use csv or xlsx.")}, status=404)
        rows = self.filter_queryset(self.get_queryset())
        name = f"estimates-{timezone.localdate().isoformat()}.{extension}"
        if extension == "csv":
            reply = HttpResponse(estimates_csv(rows), content_type="text/csv; charset=utf-8")
        else:
            reply = HttpResponse(estimates_xlsx(rows), content_type=XLSX)
        reply["Content-Disposition"] = f'attachment; filename="{name}"'
        return reply


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
            "inputs",
            "diagnostics",
            "created_at",
            "started_at",
            "finished_at",
            "error",
        ]


class RunInProgressOutput(serializers.Serializer):
    detail = serializers.CharField()
    run = AnalysisRunOutput()


class RoundRuns(generics.GenericAPIView):
    """GET the runs of a round; POST starts a new one (statisticians of the round). The
    run is computed by a Celery worker; poll GET /api/v1/runs/<id>/ until it has
    succeeded or failed. A round has one run at a time: a second start is a 409."""

    permission_classes = [CanRunAnalyses]
    serializer_class = AnalysisRunOutput
    queryset = AnalysisRun.objects.select_related("round")

    @extend_schema(
        summary="The runs of a round, newest first", responses=AnalysisRunOutput(many=True)
    )
    def get(self, request: Request, code: str) -> ApiResponse:
        survey_round = get_object_or_404(rounds_for_runs(user=request.user), code=code)
        runs = self.paginate_queryset(self.get_queryset().filter(round=survey_round))
        return self.get_paginated_response(AnalysisRunOutput(runs, many=True).data)

    @extend_schema(
        summary="Start a run (computed by a Celery worker)",
        request=None,
        responses={202: AnalysisRunOutput, 404: ERROR, 409: RunInProgressOutput},
    )
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


@extend_schema(summary="One analysis run: poll until it has succeeded or failed")
class RunDetail(generics.RetrieveAPIView):
    permission_classes = [CanRunAnalyses]
    serializer_class = AnalysisRunOutput

    def get_queryset(self):
        rounds = rounds_for_runs(user=self.request.user)
        return AnalysisRun.objects.select_related("round").filter(round__in=rounds)


UPLOAD = inline_serializer("RoundUpload", {"file": serializers.FileField()})
STORED = inline_serializer("Stored", {"stored": serializers.IntegerField()})


def _round_for(request: Request, code: str) -> Any:
    """A round the statistician may configure; out of scope reads as absent (404)."""
    return get_object_or_404(rounds_for_runs(user=request.user), code=code)


class RoundInstrumentView(APIView):
    """GET the round's sample plan, weighting scheme, estimation spec and publication
    rule (with the defaults filled in); PUT replaces the parts given (audited)."""

    permission_classes = [CanRunAnalyses]

    @extend_schema(summary="A round's instrument", responses={200: RoundInstrument, 404: ERROR})
    def get(self, request: Request, code: str) -> ApiResponse:
        survey_round = _round_for(request, code)
        return ApiResponse(
            {
                "sample_plan": plan_of(survey_round),
                "weighting": scheme_of(survey_round),
                "estimation": EstimationSpec(spec_of(survey_round)).data,
                "publication": publication_of(survey_round),
            }
        )

    @extend_schema(
        summary="Replace parts of a round's instrument (audited)",
        request=RoundInstrument,
        responses={200: RoundInstrument, 400: FIELD_ERRORS, 404: ERROR},
    )
    def put(self, request: Request, code: str) -> ApiResponse:
        survey_round = _round_for(request, code)
        changes, errors = instrument_check(survey_round=survey_round, data=request.data)
        if errors:
            return ApiResponse(errors, status=status.HTTP_400_BAD_REQUEST)
        round_instrument_update(
            survey_round=survey_round,
            changes=changes,
            actor=request.user,
            reason=str(request.data.get("reason", ""))[:500],
        )
        return self.get(request, code)


class RoundUploadView(APIView):
    """POST a CSV/XLSX file (field ``file``) replacing the round's frame or margins; a
    file with any bad row stores nothing and answers 400 with each row's problem."""

    permission_classes = [CanRunAnalyses]
    parser_classes = [MultiPartParser, FormParser]
    kind = "frame"

    @extend_schema(
        summary="The round's frame cells or margins",
        responses={200: OpenApiTypes.OBJECT, 404: ERROR},
    )
    def get(self, request: Request, code: str) -> ApiResponse:
        survey_round = _round_for(request, code)
        if self.kind == "frame":
            rows = survey_round.frame_cells.select_related("unit").order_by("unit__code")
            data = [
                {
                    "unit": c.unit.code,
                    "sector": c.sector,
                    "channel": c.channel,
                    "firm_size": c.firm_size,
                    "firm_sector": c.firm_sector,
                    "ownership": c.ownership,
                    "count": c.count,
                    "source": c.source,
                }
                for c in rows
            ]
        else:
            data = list(
                survey_round.margins.order_by("variable", "category").values(
                    "variable", "category", "target"
                )
            )
        return ApiResponse({"count": len(data), "results": data})

    @extend_schema(
        summary="Replace the frame or margins from a CSV/XLSX file (all or nothing)",
        request={"multipart/form-data": UPLOAD},
        responses={201: STORED, 400: OpenApiTypes.OBJECT, 404: ERROR},
    )
    def post(self, request: Request, code: str) -> ApiResponse:
        survey_round = _round_for(request, code)
        upload = request.data.get("file")
        if upload is None:
            return ApiResponse({"file": [_("Upload a .csv or .xlsx file.")]}, status=400)
        service = frame_upload if self.kind == "frame" else margins_upload
        try:
            result = service(
                survey_round=survey_round,
                file_name=upload.name,
                content=upload.read(),
                actor=request.user,
            )
        except ImportFileInvalid as error:
            return ApiResponse({"file": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        if result.errors:
            return ApiResponse({"errors": result.errors}, status=status.HTTP_400_BAD_REQUEST)
        return ApiResponse({"stored": result.stored}, status=status.HTTP_201_CREATED)


class FrameFromTransactionsView(APIView):
    """POST: the round's frame becomes its registered transactions per unit × sector ×
    channel (the default when no frame is stored)."""

    permission_classes = [CanRunAnalyses]

    @extend_schema(
        summary="Store the frame from the registered transactions",
        request=None,
        responses={201: STORED, 404: ERROR},
    )
    def post(self, request: Request, code: str) -> ApiResponse:
        survey_round = _round_for(request, code)
        cells = frame_from_transactions(survey_round=survey_round, actor=request.user)
        return ApiResponse({"stored": cells}, status=status.HTTP_201_CREATED)


class RoundMonitoringView(APIView):
    """GET achieved vs target responses and the response rate per unit (or cell)."""

    permission_classes = [CanRunAnalyses]

    @extend_schema(
        summary="Responses against the sample plan, per unit or cell",
        responses={200: OpenApiTypes.OBJECT, 404: ERROR},
    )
    def get(self, request: Request, code: str) -> ApiResponse:
        rows = round_monitoring(_round_for(request, code))
        return ApiResponse({"count": len(rows), "results": rows})


class RunCompareView(APIView):
    """GET /runs/<id>/compare/?with=<id>: what changed since another run of the round
    (default: the round's previous successful run)."""

    permission_classes = [CanRunAnalyses]

    @extend_schema(
        summary="Compare a run with an earlier one",
        parameters=[OpenApiParameter("with", int, description="The other run's id.")],
        responses={200: OpenApiTypes.OBJECT, 404: ERROR},
    )
    def get(self, request: Request, pk: int) -> ApiResponse:
        rounds = rounds_for_runs(user=request.user)
        runs = AnalysisRun.objects.select_related("round").filter(
            round__in=rounds, status=AnalysisRun.Status.SUCCEEDED
        )
        run = get_object_or_404(runs, pk=pk)
        other = request.query_params.get("with", "")
        if other:
            if not other.isdigit():
                return ApiResponse({"with": [_("A run id.")]}, status=400)
            earlier = get_object_or_404(runs, pk=int(other), round=run.round)
        else:
            earlier = run_previous(run=run)
            if earlier is None:
                return ApiResponse({"detail": _("No earlier run to compare with.")}, status=404)
        return ApiResponse(runs_compare(run=run, earlier=earlier))
