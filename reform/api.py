"""Reform index API (/api/v1/index/…): thin views over reform.services and selectors.

Out-of-scope rounds, units and scores are 404; a closed stage or a missing capability
over an object the user may read is 403; invalid input is 400 with the reasons.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.openapi import BAD_REQUEST, FIELD_ERRORS
from org.access import HasAnyRole, capability
from org.permissions import Capability
from reform.messages import problem_text
from reform.models import Framework, Score, ScoringRound
from reform.results import round_results
from reform.scoring.problems import FrameworkInvalid
from reform.selectors import (
    framework_dict,
    may_read_results,
    round_unit_visible,
    rounds_visible,
    scores_visible,
)
from reform.services import (
    evidence_add,
    framework_import,
    round_deadlines_set,
    score_appraise,
    score_self_set,
    survey_value_enter,
)
from reform.xlsx import framework_from_xlsx


def _invalid(error: ValidationError) -> ApiValidationError:
    return ApiValidationError({"detail": error.messages})


def _round(request: Request, code: str) -> ScoringRound:
    return get_object_or_404(rounds_visible(user=request.user), code=code)


def _leaf(request: Request, code: str, unit_code: str, criterion_code: str) -> tuple[Any, ...]:
    """The round, a unit the user may see in it and one of its framework's criteria; any
    of them out of reach is a 404."""
    scoring_round = _round(request, code)
    unit = round_unit_visible(user=request.user, scoring_round=scoring_round, unit_code=unit_code)
    if unit is None:
        raise NotFound
    criterion = get_object_or_404(scoring_round.framework.criteria, code=criterion_code)
    return scoring_round, unit, criterion


class FrameworkOutput(serializers.ModelSerializer):
    class Meta:
        model = Framework
        fields = ["code", "name", "year", "level", "kind", "total", "example", "frozen"]


FRAMEWORK_UPLOAD = inline_serializer(
    "FrameworkUpload", {"file": serializers.FileField(help_text="An XLSX workbook.")}
)


class FrameworkTreeOutput(serializers.Serializer):
    """A framework's tree in the JSON shape of reform/frameworks (nested criteria)."""

    code = serializers.CharField()
    name = serializers.CharField()
    year = serializers.IntegerField()
    level = serializers.CharField()
    kind = serializers.CharField()
    total = serializers.FloatField()
    example = serializers.BooleanField()
    note = serializers.CharField(allow_blank=True)
    bands = serializers.ListField(child=serializers.DictField())
    nodes = serializers.ListField(
        child=serializers.DictField(),
        help_text="Criteria: code, name, max or weight, and children or a leaf kind.",
    )


class Frameworks(APIView):
    """GET the frameworks; POST one in the JSON shape of reform/frameworks (administrators)."""

    permission_classes = [HasAnyRole]

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [capability(Capability.ADMIN)()]
        return super().get_permissions()

    @extend_schema(
        summary="The reform index frameworks",
        operation_id="index_frameworks_list",
        responses={200: FrameworkOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response(FrameworkOutput(Framework.objects.all(), many=True).data)

    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        summary="Import a framework (JSON tree or XLSX workbook; administrators)",
        request={"application/json": OpenApiTypes.OBJECT, "multipart/form-data": FRAMEWORK_UPLOAD},
        responses={201: FrameworkOutput, 400: BAD_REQUEST},
    )
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        try:
            if upload is not None:  # an XLSX in the administrative layout
                data = framework_from_xlsx(upload.read())
            elif isinstance(request.data, dict) and not isinstance(request.data, QueryDict):
                data = dict(request.data)
            else:
                raise ApiValidationError({"detail": ["a JSON object or an XLSX file"]})
        except FrameworkInvalid as invalid:
            raise ApiValidationError(
                {"detail": [problem_text(p) for p in invalid.problems]}
            ) from None
        except Exception as broken:  # openpyxl raises many kinds on a file that is not XLSX
            if isinstance(broken, ApiValidationError):
                raise
            raise ApiValidationError({"file": [str(broken)]}) from None
        try:
            framework = framework_import(data=data, actor=request.user)
        except ValidationError as error:
            raise _invalid(error) from None
        return Response(FrameworkOutput(framework).data, status=status.HTTP_201_CREATED)


class FrameworkExport(APIView):
    """GET a framework's tree in the JSON shape it can be imported from."""

    permission_classes = [HasAnyRole]

    @extend_schema(
        summary="A framework's tree (the JSON shape it can be imported from)",
        operation_id="index_framework_export",
        responses={200: FrameworkTreeOutput},
    )
    def get(self, request: Request, code: str) -> Response:
        framework = get_object_or_404(Framework, code=code)
        return Response(framework_dict(framework=framework))


class RoundOutput(serializers.ModelSerializer):
    framework = serializers.CharField(source="framework.code")
    scope = serializers.CharField(source="scope.code")

    class Meta:
        model = ScoringRound
        fields = [
            "code", "name", "year", "framework", "scope", "self_score_deadline",
            "appraisal_deadline", "publication_date", "locked_at", "published",
        ]  # fmt: skip


DEADLINE_YEARS = {"low": 2000, "high": 2100}


class DeadlinesInput(serializers.Serializer):
    self_score_deadline = serializers.DateTimeField(required=False, default=None)
    appraisal_deadline = serializers.DateTimeField(required=False, default=None)
    publication_date = serializers.DateTimeField(required=False, default=None)
    reason = serializers.CharField()

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        # A deadline centuries away is a typo (and before 1906 Vietnam's local mean time
        # had an offset in seconds, which no ISO 8601 date-time can carry).
        errors = {
            name: [
                _("A deadline must fall between the years %(low)s and %(high)s.") % DEADLINE_YEARS
            ]
            for name in ("self_score_deadline", "appraisal_deadline", "publication_date")
            if data.get(name) is not None
            and not DEADLINE_YEARS["low"] <= data[name].year <= DEADLINE_YEARS["high"]
        }
        if errors:
            raise serializers.ValidationError(errors)
        return data


class RoundDetail(APIView):
    """GET a round; PATCH its deadlines with a reason (appraisal council, audited)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="A scoring round", operation_id="index_round_retrieve", responses=RoundOutput
    )
    def get(self, request: Request, code: str) -> Response:
        return Response(RoundOutput(_round(request, code)).data)

    @extend_schema(
        summary="Change a round's deadlines with a reason (appraisal council, audited)",
        request=DeadlinesInput,
        responses={200: RoundOutput, 400: BAD_REQUEST},
    )
    def patch(self, request: Request, code: str) -> Response:
        scoring_round = _round(request, code)
        data = DeadlinesInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            scoring_round = round_deadlines_set(
                scoring_round=scoring_round, actor=request.user, **data.validated_data
            )
        except ValidationError as error:
            raise _invalid(error) from None
        return Response(RoundOutput(scoring_round).data)


class Rounds(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="The scoring rounds the user may read",
        operation_id="index_rounds_list",
        responses=RoundOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        return Response(RoundOutput(rounds_visible(user=request.user), many=True).data)


class ChangeOutput(serializers.Serializer):
    points = serializers.FloatField(allow_null=True)
    ranks = serializers.IntegerField(allow_null=True, help_text="Positive: climbed.")


class UnitResultOutput(serializers.Serializer):
    unit = serializers.CharField()
    unit_name = serializers.CharField()
    block = serializers.CharField(help_text="The ranking block's code (level:<code> by default).")
    block_name = serializers.CharField()
    total = serializers.FloatField()
    domains = serializers.DictField(child=serializers.FloatField(), help_text="Domain → points.")
    rank = serializers.IntegerField()
    band = serializers.CharField(allow_blank=True)
    complete = serializers.BooleanField()
    rank_interval = serializers.ListField(
        child=serializers.IntegerField(), min_length=2, max_length=2, allow_null=True
    )
    p_top = serializers.FloatField(allow_null=True)
    p_bottom = serializers.FloatField(allow_null=True)
    weight_rank_interval = serializers.ListField(
        child=serializers.IntegerField(), min_length=2, max_length=2, allow_null=True
    )
    drop_one_domain = serializers.DictField(
        child=serializers.IntegerField(), help_text="Domain → rank shift without it."
    )
    history = serializers.ListField(
        child=serializers.FloatField(allow_null=True), help_text="Totals of past rounds."
    )
    change = ChangeOutput(allow_null=True)


class ResultsOutput(serializers.Serializer):
    round = serializers.CharField()
    draws = serializers.IntegerField()
    k = serializers.IntegerField()
    survey = serializers.BooleanField(help_text="False: the no-survey rescaling rule applied.")
    units = UnitResultOutput(many=True)


class Results(APIView):
    """GET totals, per-domain points, ranks, bands, rank intervals and changes."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="A round's totals, ranks, bands, rank intervals and changes",
        parameters=[
            OpenApiParameter(
                "draws",
                int,
                description="Simulation draws for the rank intervals (0–10000, default 1000).",
            )
        ],
        responses={200: ResultsOutput, 400: FIELD_ERRORS},
    )
    def get(self, request: Request, code: str) -> Response:
        scoring_round = _round(request, code)
        if not may_read_results(user=request.user, scoring_round=scoring_round):
            raise NotFound
        try:
            draws = min(max(int(request.query_params.get("draws", 1000)), 0), 10000)
        except ValueError:
            raise ApiValidationError({"draws": ["an integer"]}) from None
        results = round_results(scoring_round=scoring_round, draws=draws)
        domains = [d.code for d in results.framework.domains]
        rows = [
            {
                "unit": r.unit.code,
                "unit_name": r.unit.name,
                "block": r.block_code,
                "block_name": r.block,
                "total": r.total,
                "domains": dict(zip(domains, r.domains, strict=True)),
                "rank": r.rank,
                "band": r.band,
                "complete": r.complete,
                "rank_interval": None if r.rank_low is None else [r.rank_low, r.rank_high],
                "p_top": r.p_top,
                "p_bottom": r.p_bottom,
                "weight_rank_interval": None
                if r.weight_low is None
                else [r.weight_low, r.weight_high],
                "drop_one_domain": r.drop_one,
                "history": r.history,
                "change": None
                if r.change is None
                else {"points": r.change.points, "ranks": r.change.ranks},
            }
            for r in results.rows
        ]
        return Response(
            {
                "round": code,
                "draws": results.draws,
                "k": results.k,
                "survey": results.survey,
                "units": rows,
            }
        )


class ScoreOutput(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code")
    criterion = serializers.CharField(source="criterion.code")
    points = serializers.FloatField(
        read_only=True, allow_null=True, help_text="The appraised points, else the self-score."
    )

    class Meta:
        model = Score
        fields = [
            "id", "unit", "criterion", "self_points", "comment", "appraised_points",
            "appraisal_reason", "status", "points", "updated_at",
        ]  # fmt: skip


class SelfScoreInput(serializers.Serializer):
    points = serializers.FloatField()
    comment = serializers.CharField(allow_blank=True, required=False, default="")


class AppraisalInput(serializers.Serializer):
    points = serializers.FloatField(allow_null=True, required=False, default=None)
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class Scores(APIView):
    """GET the scores of a round the user may read (their units', or all of them)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary="The scores of a round", responses=ScoreOutput(many=True))
    def get(self, request: Request, code: str) -> Response:
        scoring_round = _round(request, code)
        scores = scores_visible(user=request.user, scoring_round=scoring_round)
        return Response(ScoreOutput(scores, many=True).data)


class SelfScore(APIView):
    """PUT {points, comment}: an officer's self-score of one assessed leaf."""

    permission_classes = [capability(Capability.SELF_SCORE)]

    @extend_schema(
        summary="Self-score one assessed leaf (officers)",
        request=SelfScoreInput,
        responses={200: ScoreOutput, 400: BAD_REQUEST},
    )
    def put(self, request: Request, code: str, unit_code: str, criterion_code: str) -> Response:
        scoring_round, unit, criterion = _leaf(request, code, unit_code, criterion_code)
        data = SelfScoreInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            score = score_self_set(
                scoring_round=scoring_round, unit=unit, criterion=criterion,
                points=data.validated_data["points"], comment=data.validated_data["comment"],
                actor=request.user,
            )  # fmt: skip
        except ValidationError as error:
            raise _invalid(error) from None
        return Response(ScoreOutput(score).data)


class SurveyValueInput(serializers.Serializer):
    value = serializers.FloatField()
    se = serializers.FloatField(required=False, default=0.0)
    source = serializers.CharField()


class SurveyValueOutput(serializers.Serializer):
    unit = serializers.CharField()
    criterion = serializers.CharField()
    value = serializers.FloatField()
    se = serializers.FloatField()
    points = serializers.FloatField()
    source = serializers.CharField()


class SurveyValue(APIView):
    """PUT {value, se, source}: a published figure for a survey-based leaf that reads no
    estimate here (PCI sub-indices, DDCI raw indicators); appraisers, audited."""

    permission_classes = [capability(Capability.APPRAISE)]

    @extend_schema(
        summary="Enter a published survey figure for one leaf (appraisers, audited)",
        request=SurveyValueInput,
        responses={200: SurveyValueOutput, 400: BAD_REQUEST},
    )
    def put(self, request: Request, code: str, unit_code: str, criterion_code: str) -> Response:
        scoring_round, unit, criterion = _leaf(request, code, unit_code, criterion_code)
        data = SurveyValueInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            row = survey_value_enter(
                scoring_round=scoring_round, unit=unit, criterion=criterion, actor=request.user,
                **data.validated_data,
            )  # fmt: skip
        except ValidationError as error:
            raise _invalid(error) from None
        return Response(
            {"unit": unit.code, "criterion": criterion.code, "value": row.value, "se": row.se,
             "points": row.points, "source": row.source}
        )  # fmt: skip


def _score(request: Request, pk: int) -> Score:
    scores = Score.objects.filter(round__in=rounds_visible(user=request.user))
    score = scores.select_related("round", "unit", "criterion").filter(pk=pk).first()
    if (
        score is None
        or not scores_visible(user=request.user, scoring_round=score.round).filter(pk=pk).exists()
    ):
        raise NotFound
    return score


class Appraisal(APIView):
    """POST {points: null} accepts the self-score; {points, reason} adjusts it."""

    permission_classes = [capability(Capability.APPRAISE)]

    @extend_schema(
        summary="Appraise a score: accept the self-score or adjust it with a reason",
        request=AppraisalInput,
        responses={200: ScoreOutput, 400: BAD_REQUEST},
    )
    def post(self, request: Request, pk: int) -> Response:
        score = _score(request, pk)
        data = AppraisalInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            score = score_appraise(
                score=score, points=data.validated_data["points"],
                reason=data.validated_data["reason"], actor=request.user,
            )  # fmt: skip
        except ValidationError as error:
            raise _invalid(error) from None
        return Response(ScoreOutput(score).data)


class EvidenceStored(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()


class EvidenceOutput(EvidenceStored):
    uploaded_at = serializers.DateTimeField()
    url = serializers.CharField()


EVIDENCE_UPLOAD = inline_serializer("EvidenceUpload", {"file": serializers.FileField()})


class EvidenceUpload(APIView):
    """GET a score's evidence documents; POST a multipart ``file`` to add one."""

    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema(summary="A score's evidence documents", responses=EvidenceOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        score = _score(request, pk)
        return Response(
            [
                {"id": e.pk, "name": e.name, "content_type": e.content_type, "size": e.size,
                 "sha256": e.sha256, "uploaded_at": e.uploaded_at,
                 "url": reverse("reform:evidence", args=[e.pk])}
                for e in score.evidence.all()
            ]
        )  # fmt: skip

    @extend_schema(
        summary="Add an evidence document to a score",
        request={"multipart/form-data": EVIDENCE_UPLOAD},
        responses={201: EvidenceStored, 400: BAD_REQUEST},
    )
    def post(self, request: Request, pk: int) -> Response:
        score = _score(request, pk)
        upload = request.FILES.get("file")
        if upload is None:
            raise ApiValidationError({"file": ["required"]})
        try:
            item = evidence_add(score=score, upload=upload, actor=request.user)
        except ValidationError as error:
            raise _invalid(error) from None
        return Response(
            {"id": item.pk, "name": item.name, "content_type": item.content_type,
             "size": item.size, "sha256": item.sha256},
            status=status.HTTP_201_CREATED,
        )  # fmt: skip
