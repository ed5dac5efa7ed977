"""REST API of collection: register a completed transaction, get the survey link back."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from survey.models import AdministrativeUnit, Channel
from survey.services import Registration, invitation_url, transaction_register


class TransactionInput(serializers.Serializer):
    external_id = serializers.CharField(max_length=100)
    unit = serializers.SlugRelatedField(
        slug_field="code",
        queryset=AdministrativeUnit.objects.all(),
        error_messages={"does_not_exist": _("No administrative unit with code {value}.")},
    )
    procedure = serializers.CharField(max_length=64)
    sector = serializers.CharField(max_length=64)
    channel = serializers.ChoiceField(choices=Channel.choices)
    completed_at = serializers.DateTimeField()
    questionnaire = serializers.SlugField(required=False)


def registration_output(registration: Registration) -> dict[str, object]:
    invitation = registration.invitation
    return {
        "external_id": registration.transaction.external_id,
        "survey_url": invitation_url(invitation),
        "expires_at": invitation.expires_at.isoformat(),
        "questionnaire": invitation.version.questionnaire.code,
        "version": invitation.version.number,
        "created": registration.created,
    }


class TransactionRegisterView(APIView):
    def post(self, request: Request) -> ApiResponse:
        payload = TransactionInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        registration = transaction_register(
            external_id=data["external_id"],
            unit=data["unit"],
            procedure_code=data["procedure"],
            sector=data["sector"],
            channel=data["channel"],
            completed_at=data["completed_at"],
            questionnaire_code=data.get("questionnaire"),
        )
        code = status.HTTP_201_CREATED if registration.created else status.HTTP_200_OK
        return ApiResponse(registration_output(registration), status=code)
