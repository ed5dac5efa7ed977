"""API of the submit step: GET a unit's step, POST {action} to move it (audited).

Out-of-scope rounds and units are 404; a step the user may not take is 403; a step
refused by the rules (deadline passed, incomplete, no reason) is 400 with the reasons.
"""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.openapi import BAD_REQUEST
from reform.selectors import round_unit_visible, rounds_visible
from reform.submissions import (
    submission_appraised,
    submission_get,
    submission_return,
    submission_status,
    submission_submit,
)


class SubmissionOutput(serializers.Serializer):
    unit = serializers.CharField()
    status = serializers.ChoiceField(choices=["draft", "submitted", "appraised", "locked"])
    submitted_at = serializers.DateTimeField(allow_null=True)
    appraised_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField(allow_blank=True)


class SubmissionInput(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=["submit", "return", "appraised"],
        help_text="submit (officers), return or appraised (appraisers).",
    )
    reason = serializers.CharField(
        allow_blank=True, required=False, default="", help_text="Required to return."
    )


def _output(scoring_round, unit, row) -> dict:
    return {
        "unit": unit.code,
        "status": submission_status(scoring_round=scoring_round, submission=row),
        "submitted_at": row.submitted_at,
        "appraised_at": row.appraised_at,
        "note": row.note,
    }


class SubmissionDetail(APIView):
    """A unit's self-assessment step in a round."""

    permission_classes = [permissions.IsAuthenticated]

    def _target(self, request: Request, code: str, unit_code: str):
        scoring_round = get_object_or_404(rounds_visible(user=request.user), code=code)
        unit = round_unit_visible(
            user=request.user, scoring_round=scoring_round, unit_code=unit_code
        )
        if unit is None:
            raise NotFound
        return scoring_round, unit

    @extend_schema(summary="A unit's self-assessment step", responses=SubmissionOutput)
    def get(self, request: Request, code: str, unit_code: str) -> Response:
        scoring_round, unit = self._target(request, code, unit_code)
        row = submission_get(scoring_round=scoring_round, unit=unit)
        return Response(SubmissionOutput(_output(scoring_round, unit, row)).data)

    @extend_schema(
        summary="Submit, return or close a unit's self-assessment (audited)",
        request=SubmissionInput,
        responses={200: SubmissionOutput, 400: BAD_REQUEST},
    )
    def post(self, request: Request, code: str, unit_code: str) -> Response:
        scoring_round, unit = self._target(request, code, unit_code)
        data = SubmissionInput(data=request.data)
        data.is_valid(raise_exception=True)
        action, reason = data.validated_data["action"], data.validated_data["reason"]
        common = {"scoring_round": scoring_round, "unit": unit, "actor": request.user}
        try:
            if action == "submit":
                row = submission_submit(**common)
            elif action == "return":
                row = submission_return(reason=reason, **common)
            else:
                row = submission_appraised(note=reason, **common)
        except ValidationError as error:
            raise ApiValidationError({"detail": error.messages}) from None
        return Response(SubmissionOutput(_output(scoring_round, unit, row)).data)
