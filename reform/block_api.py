"""API of a round's ranking blocks (reform.blocks): list, put, delete (audited).

Rounds out of the user's sight are 404; a user who sees the round but is not on its
appraisal council gets 403 on writes."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.openapi import BAD_REQUEST
from reform.blocks import ranking_block_remove, ranking_block_set
from reform.models import RankingBlock
from reform.selectors import may_read_results, rounds_visible


class BlockOutput(serializers.ModelSerializer):
    units = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    levels = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = RankingBlock
        fields = ["code", "name", "name_en", "position", "levels", "units"]


class BlockInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    position = serializers.IntegerField(min_value=0, max_value=32767, required=False, default=0)
    levels = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, default=list
    )
    units = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, default=list,
        help_text="Codes of units below the round's scope.",
    )  # fmt: skip


def _round(request: Request, code: str):
    return get_object_or_404(rounds_visible(user=request.user), code=code)


def _invalid(error: ValidationError) -> ApiValidationError:
    if hasattr(error, "error_dict"):
        return ApiValidationError(error.message_dict)
    return ApiValidationError({"detail": error.messages})


class Blocks(APIView):
    """GET the ranking blocks of a round (readers of its results)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary="A round's ranking blocks", responses=BlockOutput(many=True))
    def get(self, request: Request, code: str) -> Response:
        scoring_round = _round(request, code)
        if not may_read_results(user=request.user, scoring_round=scoring_round):
            raise NotFound
        found = scoring_round.blocks.prefetch_related("units")
        return Response(BlockOutput(found, many=True).data)


class BlockDetail(APIView):
    """PUT creates or replaces a block; DELETE removes it (appraisal council, audited)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="Create or replace a ranking block (council, audited)",
        request=BlockInput,
        responses={200: BlockOutput, 400: BAD_REQUEST},
    )
    def put(self, request: Request, code: str, block_code: str) -> Response:
        scoring_round = _round(request, code)
        data = BlockInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        try:
            block = ranking_block_set(
                scoring_round=scoring_round, code=block_code, actor=request.user,
                unit_codes=values.pop("units"), **values,
            )  # fmt: skip
        except ValidationError as error:
            raise _invalid(error) from None
        return Response(BlockOutput(block).data)

    @extend_schema(summary="Remove a ranking block (council, audited)", responses={204: None})
    def delete(self, request: Request, code: str, block_code: str) -> Response:
        scoring_round = _round(request, code)
        if not scoring_round.blocks.filter(code=block_code).exists():
            raise NotFound
        try:
            ranking_block_remove(scoring_round=scoring_round, code=block_code, actor=request.user)
        except ValidationError as error:
            raise _invalid(error) from None
        return Response(status=status.HTTP_204_NO_CONTENT)
