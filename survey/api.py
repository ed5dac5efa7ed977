"""REST API of collection.

Systems (API key) and people of a unit register transactions and get survey links back; anyone
holding a link's token may read its state and submit answers; statisticians and unit
officers list and export the answers of their units (org.permissions).
"""

import datetime as dt
import functools
import threading
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from config.openapi import BAD_REQUEST, ERROR, FIELD_ERRORS
from org.models import AdministrativeUnit
from org.services import Action, audit_record
from outbox.services import outbox_enqueue
from questionnaires.models import QuestionnaireVersion
from survey import exports
from survey.auth import (
    AUTHENTICATION,
    CanReadRawAnswers,
    IsApiClientOrRawAnswers,
    api_client_of,
    raw_answers_scope,
)
from survey.filters import ResponseFilter
from survey.imports import ImportFileInvalid, import_batch_run
from survey.invitations import campaign_tracking, firms_upload
from survey.lookups import units_by_codes
from survey.models import Campaign, Channel, ImportBatch, Invitation, Source
from survey.privacy import client_hash, request_retry_after
from survey.selectors import invitation_by_token, responses_all
from survey.services import (
    BATCH_LIMIT,
    AnswersInvalid,
    IdempotencyConflict,
    Registration,
    SurveyClosed,
    TransactionConflict,
    TransactionData,
    TransactionsInvalid,
    invitation_check_open,
    response_submit_idempotent,
    transactions_register,
)
from survey.tasks import campaign_invitations_send

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CLOSED = {
    "used": (status.HTTP_409_CONFLICT, _("This survey link has already been answered.")),
    "expired": (status.HTTP_410_GONE, _("This survey link has expired.")),
    "quota": (status.HTTP_409_CONFLICT, _("This unit has received enough answers.")),
    "duplicate": (status.HTTP_409_CONFLICT, _("These answers were already received.")),
}


def closed_reply(reason: str) -> ApiResponse:
    code, message = CLOSED[reason]
    return ApiResponse({"detail": message, "reason": reason}, status=code)


def limited_reply(request: Request, scope: str, *, token: str = "") -> ApiResponse | None:
    """429 with Retry-After when this caller (its API key, else its address) or this
    survey link is over its rate (survey.privacy.request_retry_after); else None."""
    client = api_client_of(request)
    wait = request_retry_after(
        request._request, scope, token=token, api_key=f"client:{client.pk}" if client else ""
    )
    if not wait:
        return None
    return ApiResponse(
        {"detail": _("Too many requests; try again in %(n)s seconds.") % {"n": wait}},
        status=status.HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(wait)},
    )


def unknown_reply() -> ApiResponse:
    return ApiResponse(
        {"detail": _("No survey with this link."), "reason": "unknown"},
        status=status.HTTP_404_NOT_FOUND,
    )


# --- transactions ------------------------------------------------------------------------


class CodeRelatedField(serializers.SlugRelatedField):
    """A slug lookup that refuses NUL before querying (PostgreSQL rejects it: a 500)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)


class TransactionInput(serializers.Serializer):
    """Only what weighting needs. Personal fields (name, phone, ID number …) are not part
    of this contract: any extra key is ignored and never stored."""

    external_id = serializers.CharField(max_length=100)
    # A code, resolved in validate_unit: from the batch's one query when the view passes
    # ``units`` in the context, else with one query of its own.
    unit = serializers.CharField(max_length=64)
    procedure = serializers.CharField(max_length=64)
    sector = serializers.CharField(max_length=64)
    channel = serializers.ChoiceField(choices=Channel.values)
    completed_at = serializers.DateTimeField()
    questionnaire = serializers.SlugField(required=False)
    # The counter it was completed at; a kiosk paired to it shows the survey.
    counter = serializers.CharField(max_length=32, required=False, allow_blank=True)

    def validate_unit(self, code: str) -> AdministrativeUnit:
        units = self.context.get("units")
        if units is None:  # one transaction: the per-process cache (survey.lookups)
            units = units_by_codes(codes={code})
        unit = units.get(code)
        # A person registers only in their scope; outside it reads as an unknown code.
        scope = self.context.get("scope")
        if unit is None or (scope is not None and unit.pk not in scope):
            raise serializers.ValidationError(
                _("No administrative unit with code {value}.").format(value=code)
            )
        return unit

    def validate_completed_at(self, value: dt.datetime) -> dt.datetime:
        # A day of slack for clocks that drift; the same rule as imported answers.
        if value > timezone.now() + dt.timedelta(days=1):
            raise serializers.ValidationError(_("The completion time is in the future."))
        return value

    def item(self) -> TransactionData:
        return transaction_data(self.validated_data)


_inputs = threading.local()


def _transaction_input() -> TransactionInput:
    """This thread's TransactionInput, reused: a serializer deep-copies its fields per
    instance, which costs more than validating one transaction. Used only through
    run_validation (no state kept between calls but the context, set per call)."""
    payload = getattr(_inputs, "payload", None)
    if payload is None:
        payload = _inputs.payload = TransactionInput()
    return payload


def transaction_data(data: dict[str, Any]) -> TransactionData:
    """A validated TransactionInput as the service takes it."""
    return TransactionData(
        external_id=data["external_id"],
        unit=data["unit"],
        procedure_code=data["procedure"],
        sector=data["sector"],
        channel=data["channel"],
        completed_at=data["completed_at"],
        questionnaire_code=data.get("questionnaire"),
        counter=data.get("counter", "").strip(),
    )


class TransactionBatchInput(serializers.Serializer):
    transactions = serializers.ListField(
        child=serializers.DictField(), min_length=1, max_length=BATCH_LIMIT
    )


class RegistrationOutput(serializers.Serializer):
    """A registered transaction's survey link (documentation of registration_output)."""

    external_id = serializers.CharField()
    token = serializers.CharField()
    survey_url = serializers.URLField()
    qr_svg_url = serializers.URLField()
    qr_png_url = serializers.URLField()
    receipt_url = serializers.URLField()
    expires_at = serializers.DateTimeField()
    questionnaire = serializers.CharField()
    version = serializers.IntegerField()
    created = serializers.BooleanField(help_text="False when the transaction was already known.")


class RegistrationBatchOutput(serializers.Serializer):
    created = serializers.IntegerField()
    existing = serializers.IntegerField()
    results = RegistrationOutput(many=True)


class TransactionBatchSchema(serializers.Serializer):
    """What TransactionBatchInput accepts, item by item (for the schema)."""

    transactions = TransactionInput(many=True, min_length=1, max_length=BATCH_LIMIT)


class TransactionConflictOutput(serializers.Serializer):
    detail = serializers.CharField()
    external_ids = serializers.ListField(child=serializers.CharField())


REGISTRATION_ERRORS = {
    400: BAD_REQUEST,
    409: OpenApiResponse(TransactionConflictOutput, description="External ids owned elsewhere."),
}
CLOSED_ERRORS = {
    404: OpenApiResponse(ERROR, description="No survey with this link (reason: unknown)."),
    409: OpenApiResponse(ERROR, description="Already answered, quota reached or duplicate."),
    410: OpenApiResponse(ERROR, description="The link has expired."),
}
TOKEN = OpenApiParameter("token", str, OpenApiParameter.PATH, description="The link's token.")


_TOKEN_MARK = "TOKEN"  # tokens are URL-safe base64: they fill a reversed pattern as is


@functools.cache
def _link_patterns(base: str) -> tuple[tuple[str, str], ...]:
    """Each link's address with a placeholder token, reversed once per process (a batch
    of 1,000 would otherwise reverse 4,000 URLs)."""
    return (
        ("survey_url", base + reverse("survey:form", args=[_TOKEN_MARK])),
        ("qr_svg_url", base + reverse("survey:qr", args=[_TOKEN_MARK, "svg"])),
        ("qr_png_url", base + reverse("survey:qr", args=[_TOKEN_MARK, "png"])),
        ("receipt_url", base + reverse("survey:receipt", args=[_TOKEN_MARK])),
    )


def link_urls(invitation: Invitation) -> dict[str, str]:
    from django.conf import settings

    token = invitation.token
    return {
        name: pattern.replace(_TOKEN_MARK, token)
        for name, pattern in _link_patterns(settings.PUBLIC_BASE_URL)
    }


def registration_output(registration: Registration) -> dict[str, object]:
    invitation = registration.invitation
    return {
        "external_id": registration.transaction.external_id,
        "token": invitation.token,
        **link_urls(invitation),
        "expires_at": invitation.expires_at.isoformat(),
        "questionnaire": invitation.version.questionnaire.code,
        "version": invitation.version.number,
        "created": registration.created,
        # True: the survey is on the counter's kiosk; else hand the citizen the receipt.
        "kiosk": registration.kiosk,
    }


def _register(request: Request, items: list[TransactionData]) -> list[Registration] | ApiResponse:
    try:
        return transactions_register(items=items, client=api_client_of(request))
    except TransactionConflict as conflict:
        return ApiResponse(
            {
                "detail": _(
                    "These external ids belong to another system or to units outside "
                    "this key's scope."
                ),
                "external_ids": conflict.external_ids,
            },
            status=status.HTTP_409_CONFLICT,
        )
    except TransactionsInvalid as invalid:
        return ApiResponse(
            {"transactions": {str(k): v for k, v in invalid.errors.items()}},
            status=status.HTTP_400_BAD_REQUEST,
        )
    except DjangoValidationError as error:
        return ApiResponse(
            error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages},
            status=status.HTTP_400_BAD_REQUEST,
        )


def _context(request: Request) -> dict[str, Any]:
    """Keys are scoped by transactions_register; people by their raw-answers scope."""
    return {"scope": None if api_client_of(request) else raw_answers_scope(request)}


class TransactionRegisterView(APIView):
    """POST one completed transaction → its survey link; 201 new, 200 already known."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsApiClientOrRawAnswers]

    @extend_schema(
        summary="Register a completed transaction and get its survey link",
        request=TransactionInput,
        responses={201: RegistrationOutput, 200: RegistrationOutput, **REGISTRATION_ERRORS},
    )
    def post(self, request: Request) -> ApiResponse:
        limited = limited_reply(request, "register")
        if limited:
            return limited
        payload = _transaction_input()
        payload._context = _context(request)
        result = _register(request, [transaction_data(payload.run_validation(request.data))])
        if isinstance(result, ApiResponse):
            return result
        code = status.HTTP_201_CREATED if result[0].created else status.HTTP_200_OK
        return ApiResponse(registration_output(result[0]), status=code)


class TransactionBatchView(APIView):
    """POST {"transactions": [...]} (≤ 1,000), all or nothing; results in input order."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsApiClientOrRawAnswers]

    @extend_schema(
        summary="Register up to 1,000 transactions, all or nothing",
        request=TransactionBatchSchema,
        responses={
            201: RegistrationBatchOutput,
            200: RegistrationBatchOutput,
            **REGISTRATION_ERRORS,
        },
    )
    def post(self, request: Request) -> ApiResponse:
        limited = limited_reply(request, "register")
        if limited:
            return limited
        batch = TransactionBatchInput(data=request.data)
        batch.is_valid(raise_exception=True)
        raws = batch.validated_data["transactions"]
        codes = {str(raw.get("unit")) for raw in raws}
        # The batch's units at once, from the per-process cache (survey.lookups).
        context = {**_context(request), "units": units_by_codes(codes=codes)}
        items, errors = [], {}
        # One serializer for the whole batch: a serializer's fields are deep-copied per
        # instance, which cost more than validating the item itself.
        payload = TransactionInput(context=context)
        for index, raw in enumerate(raws):
            try:
                items.append(transaction_data(payload.run_validation(raw)))
            except serializers.ValidationError as invalid:
                errors[str(index)] = invalid.detail
        if errors:
            return ApiResponse({"transactions": errors}, status=status.HTTP_400_BAD_REQUEST)
        result = _register(request, items)
        if isinstance(result, ApiResponse):
            return result
        created = sum(r.created for r in result)
        return ApiResponse(
            {
                "created": created,
                "existing": len(result) - created,
                "results": [registration_output(r) for r in result],
            },
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


# --- links and responses -----------------------------------------------------------------


class LinkOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=["open"])
    expires_at = serializers.DateTimeField()
    unit = serializers.CharField(allow_null=True)
    questionnaire = serializers.CharField()
    version = serializers.IntegerField()
    definition = serializers.JSONField(help_text="The questionnaire definition to show.")
    draft = serializers.DictField(help_text="Answers saved so far (resume later).")


class LinkView(APIView):
    """GET a link's state and questionnaire (kiosks, apps): 404 / 409 / 410 when closed."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="A survey link's state and questionnaire",
        parameters=[TOKEN],
        responses={200: LinkOutput, **CLOSED_ERRORS},
        auth=[],
    )
    def get(self, request: Request, token: str) -> ApiResponse:
        invitation = invitation_by_token(token)
        if invitation is None:
            return unknown_reply()
        try:
            invitation_check_open(invitation)
        except SurveyClosed as closed:
            return closed_reply(closed.reason)
        return ApiResponse(
            {
                "status": "open",
                "expires_at": invitation.expires_at.isoformat(),
                "unit": invitation.unit.code if invitation.unit else None,
                "questionnaire": invitation.version.questionnaire.code,
                "version": invitation.version.number,
                "definition": invitation.version.definition,
                "draft": getattr(getattr(invitation, "draft", None), "answers", {}),
            }
        )


class ResponseInput(serializers.Serializer):
    token = serializers.CharField(max_length=64)
    answers = serializers.DictField()


def _response_input(data: Any) -> tuple[str, dict[str, Any]]:
    """ResponseInput's validated token and answers. A well-formed body (the rule) is
    checked directly — what ResponseInput would return, for less than its field
    machinery costs per answer; anything else goes through ResponseInput for its
    errors (400)."""
    if isinstance(data, dict):
        token, answers = data.get("token"), data.get("answers")
        if (
            isinstance(token, str)
            and isinstance(answers, dict)
            and 0 < len(token.strip()) <= 64
            and "\x00" not in token
            and all(isinstance(k, str) for k in answers)
        ):
            return token.strip(), answers
    payload = ResponseInput(data=data)
    payload.is_valid(raise_exception=True)
    return payload.validated_data["token"], payload.validated_data["answers"]


class ResponseOutput(serializers.Serializer):
    id = serializers.IntegerField()
    questionnaire = serializers.CharField(source="version.questionnaire.code")
    version = serializers.IntegerField(source="version.number")
    unit = serializers.CharField(source="unit.code")
    sector = serializers.CharField()
    channel = serializers.CharField()
    source = serializers.CharField()
    answers = serializers.JSONField()
    calculated = serializers.JSONField()
    submitted_at = serializers.DateTimeField()


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Makes retries safe: the same key and link replay the first answer (200).",
)


_SUBMITTED_AT = serializers.DateTimeField()


def response_output(response: Any) -> dict[str, Any]:
    """ResponseOutput's representation of one response, built directly: the submission
    path runs it for every answer, and a serializer's field machinery costs more than
    the dictionary."""
    return {
        "id": response.pk,
        "questionnaire": response.version.questionnaire.code,
        "version": response.version.number,
        "unit": response.unit.code,
        "sector": response.sector,
        "channel": response.channel,
        "source": response.source,
        "answers": response.answers,
        "calculated": response.calculated,
        "submitted_at": _SUBMITTED_AT.to_representation(response.submitted_at),
    }


class ResponsesView(ListAPIView):
    """POST: submit answers with a link's token (public). GET: list and filter (staff)."""

    authentication_classes = AUTHENTICATION
    serializer_class = ResponseOutput
    filterset_class = ResponseFilter

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "POST" else [CanReadRawAnswers()]

    def get_queryset(self) -> Any:
        return raw_answers_scope(self.request).filter(responses_all())

    @extend_schema(
        summary="Responses, oldest first (staff)",
        responses={200: ResponseOutput(many=True), 400: FIELD_ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> ApiResponse:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Submit answers with a survey link's token",
        parameters=[IDEMPOTENCY_KEY],
        request=ResponseInput,
        responses={
            201: ResponseOutput,
            200: OpenApiResponse(ResponseOutput, description="A replay (same Idempotency-Key)."),
            400: BAD_REQUEST,
            **CLOSED_ERRORS,
            422: OpenApiResponse(ERROR, description="Idempotency-Key used for another link."),
            429: OpenApiResponse(ERROR, description="Too many submissions from this address."),
        },
        auth=[],
    )
    def post(self, request: Request) -> ApiResponse:
        token = request.data.get("token") if isinstance(request.data, dict) else None
        limited = limited_reply(request, "submit", token=str(token or "")[:64])
        if limited:
            return limited
        token, answers = _response_input(request.data)
        key = request.headers.get("Idempotency-Key", "").strip()[:100] or None
        try:
            submission = response_submit_idempotent(
                token=token,
                answers=answers,
                source=Source.API,
                idempotency_key=key,
                client_hash=client_hash(request._request),
            )
        except Invitation.DoesNotExist:
            return unknown_reply()
        except SurveyClosed as closed:
            return closed_reply(closed.reason)
        except AnswersInvalid as invalid:
            return ApiResponse({"answers": invalid.errors}, status=status.HTTP_400_BAD_REQUEST)
        except IdempotencyConflict:
            return ApiResponse(
                {"detail": _("This Idempotency-Key was used for another survey link.")},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return ApiResponse(
            response_output(submission.response),
            status=status.HTTP_200_OK if submission.replayed else status.HTTP_201_CREATED,
        )


class ResponseExportView(GenericAPIView):
    """GET /responses/export.csv|xlsx|json?labels=1&questionnaire=…: streamed, the rows of
    the user's scope only; every export is written to the audit log."""

    authentication_classes = AUTHENTICATION
    permission_classes = [CanReadRawAnswers]
    filterset_class = ResponseFilter

    def get_queryset(self) -> Any:
        return raw_answers_scope(self.request).filter(responses_all())

    @extend_schema(
        summary="Export responses (same filters as the list)",
        parameters=[
            OpenApiParameter("extension", str, OpenApiParameter.PATH, enum=["csv", "xlsx", "json"]),
            OpenApiParameter(
                "labels",
                str,
                enum=["1", "true", "yes", "0"],
                description=("Answer labels instead of codes."),
            ),
            OpenApiParameter("lang", str, enum=["vi", "en"], description="Language of labels."),
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/json"): {
                "type": "array",
                "items": {"type": "object"},
                "description": "One object per response: its fields and answers.",
            },
            (200, XLSX): OpenApiTypes.BINARY,
            400: FIELD_ERRORS,
            404: OpenApiResponse(ERROR, description="Not csv, xlsx or json."),
        },
    )
    def get(self, request: Request, extension: str) -> Any:
        if extension not in {"csv", "json", "xlsx"}:
            return ApiResponse({"detail": _("Use csv, xlsx or json.")}, status=404)
        rows = self.filter_queryset(self.get_queryset())
        unit_code = request.query_params.get("unit")
        audit_record(
            actor=request.user,
            action=Action.RAW_EXPORT,
            obj=None,
            object_type="survey.response",
            object_label=f"export.{extension}",
            after={"filters": dict(request.query_params.items())},
            unit=AdministrativeUnit.objects.filter(code=unit_code).first() if unit_code else None,
        )
        language = (
            (request.query_params.get("lang") or get_language() or "vi")
            if request.query_params.get("labels") in {"1", "true", "yes"}
            else None
        )
        name = exports.export_filename(extension)
        if extension == "csv":
            reply = StreamingHttpResponse(
                exports.export_csv(rows, language=language), content_type="text/csv; charset=utf-8"
            )
        elif extension == "json":
            reply = StreamingHttpResponse(
                exports.export_json(rows), content_type="application/json"
            )
        elif extension == "xlsx":
            return FileResponse(
                exports.export_xlsx(rows, language=language),
                as_attachment=True,
                filename=name,
                content_type=XLSX,
            )
        else:
            return ApiResponse({"detail": _("Use csv, xlsx or json.")}, status=404)
        reply["Content-Disposition"] = f'attachment; filename="{name}"'
        return reply


# --- imports and invitations (people with the raw-answers capability) -------------------


class AnswersImportInput(serializers.Serializer):
    version = serializers.PrimaryKeyRelatedField(queryset=QuestionnaireVersion.objects.all())
    file = serializers.FileField()
    mode = serializers.ChoiceField(choices=ImportBatch.Mode.choices)
    commit = serializers.BooleanField(default=False)


class ImportBatchOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ImportBatch.Status.choices)
    mode = serializers.ChoiceField(choices=ImportBatch.Mode.choices)
    rows_total = serializers.IntegerField()
    rows_valid = serializers.IntegerField()
    rows_invalid = serializers.IntegerField()
    rows_duplicate = serializers.IntegerField()
    rows_imported = serializers.IntegerField()
    report = serializers.ListField(
        child=serializers.DictField(), help_text="Each bad row: row, column, message."
    )


def batch_output(batch: ImportBatch) -> dict[str, Any]:
    return {
        "id": batch.pk,
        "status": batch.status,
        "mode": batch.mode,
        "rows_total": batch.rows_total,
        "rows_valid": batch.rows_valid,
        "rows_invalid": batch.rows_invalid,
        "rows_duplicate": batch.rows_duplicate,
        "rows_imported": batch.rows_imported,
        "report": batch.report,
    }


def _unit_ids(scope: Any) -> frozenset[int] | None:
    return None if scope.everything else scope.unit_ids


class ImportView(APIView):
    """POST multipart (version, file, mode=all|good, commit): the row-by-row report."""

    authentication_classes = AUTHENTICATION
    permission_classes = [CanReadRawAnswers]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Check (and with commit, import) paper or kiosk answers from CSV/XLSX",
        request={"multipart/form-data": AnswersImportInput},
        responses={200: ImportBatchOutput, 400: BAD_REQUEST},
    )
    def post(self, request: Request) -> ApiResponse:
        payload = AnswersImportInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            batch = import_batch_run(
                version=data["version"],
                file_name=data["file"].name,
                content=data["file"].read(),
                mode=data["mode"],
                commit=data["commit"],
                user=request.user,
                unit_ids=_unit_ids(raw_answers_scope(request)),
            )
        except ImportFileInvalid as error:
            return ApiResponse({"file": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        return ApiResponse(batch_output(batch), status=status.HTTP_200_OK)


class CampaignTrackingOutput(serializers.Serializer):
    campaign = serializers.CharField()
    tracking = serializers.DictField(
        child=serializers.IntegerField(), help_text="Invitations in each state."
    )


class FirmsUploadInput(serializers.Serializer):
    file = serializers.FileField(help_text="The firm sample list, .csv or .xlsx.")
    send = serializers.BooleanField(required=False, help_text="Queue the invitation e-mails.")


class FirmsUploadOutput(serializers.Serializer):
    created = serializers.IntegerField()
    existing = serializers.IntegerField()
    tracking = serializers.DictField(child=serializers.IntegerField())


class FirmsUploadErrorsOutput(serializers.Serializer):
    """No file or an unreadable one (file), or the bad rows of the list (errors)."""

    file = serializers.ListField(child=serializers.CharField(), required=False)
    errors = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="row, column, message"
    )


CAMPAIGN = OpenApiParameter("code", str, OpenApiParameter.PATH, description="Campaign code.")


class CampaignFirmsView(APIView):
    """POST a sample list (file) to a firm campaign; GET its tracking counts.

    ``send=1`` queues the invitation emails (Celery) once the list is loaded.
    """

    authentication_classes = AUTHENTICATION
    permission_classes = [CanReadRawAnswers]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def _campaign(self, request: Request, code: str) -> Campaign:
        # A campaign over the whole tree (no scope) belongs to full-scope users only.
        campaigns = raw_answers_scope(request).filter(Campaign.objects.all(), "scope")
        return get_object_or_404(campaigns, code=code)

    @extend_schema(
        summary="A firm campaign's invitation counts",
        parameters=[CAMPAIGN],
        responses=CampaignTrackingOutput,
    )
    def get(self, request: Request, code: str) -> ApiResponse:
        campaign = self._campaign(request, code)
        return ApiResponse({"campaign": campaign.code, "tracking": campaign_tracking(campaign)})

    @extend_schema(
        summary="Upload a firm campaign's sample list (send=1 queues the e-mails)",
        parameters=[CAMPAIGN],
        request={"multipart/form-data": FirmsUploadInput},
        responses={
            201: FirmsUploadOutput,
            200: FirmsUploadOutput,
            400: FirmsUploadErrorsOutput,
        },
    )
    def post(self, request: Request, code: str) -> ApiResponse:
        from django.db import transaction

        campaign = self._campaign(request, code)
        upload = request.data.get("file")
        if upload is None:
            return ApiResponse({"file": [_("Upload a .csv or .xlsx file.")]}, status=400)
        send = str(request.data.get("send", "")).lower() in {"1", "true", "yes"}
        try:
            with transaction.atomic():
                result = firms_upload(
                    campaign=campaign, file_name=upload.name, content=upload.read()
                )
                if send and not result.errors:
                    outbox_enqueue(campaign_invitations_send.name, campaign.pk)
        except (ImportFileInvalid, DjangoValidationError) as error:
            return ApiResponse({"file": [str(getattr(error, "message", error))]}, status=400)
        if result.errors:
            return ApiResponse({"errors": result.errors}, status=status.HTTP_400_BAD_REQUEST)
        return ApiResponse(
            {
                "created": result.created,
                "existing": result.existing,
                "tracking": campaign_tracking(campaign),
            },
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )
