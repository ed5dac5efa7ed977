"""REST API of the questionnaire builder: questionnaires by code, their sections and
questions, publishing, copies, validation, import and export, frozen versions.

Reading needs a signed-in user; writing needs the ``change_questionnaire`` permission
(designers). Rejected definitions come back as 400 with every problem::

    {"errors": [{"where": "q3", "message": "...", "severity": "error"}]}
"""

from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from config.openapi import (
    BAD_REQUEST,
    DEFINITION_ERRORS,
    ERROR,
    FIELD_ERRORS,
    INPUT_OR_DEFINITION_ERRORS,
    PROBLEMS,
    VALIDATION_REPORT,
)
from org.permissions import may_design, roles_of
from questionnaires import selectors, services, transfer
from questionnaires.models import Questionnaire, QuestionnaireVersion
from questionnaires.services import DefinitionInvalid
from questionnaires.validation import definition_problems

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CanDesign(permissions.BasePermission):
    """Any role reads (statisticians pick versions for imports); designers write."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return bool(roles_of(request.user))
        return may_design(request.user)


def _invalid(error: ValidationError) -> Response:
    if isinstance(error, DefinitionInvalid):
        errors = [p.as_dict() for p in error.problems]
    else:
        errors = [{"where": "", "message": m, "severity": "error"} for m in error.messages]
    return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)


class VersionSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    content_hash = serializers.CharField()
    published_at = serializers.DateTimeField()


class QuestionnaireOutput(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()
    versions = serializers.SerializerMethodField()

    class Meta:
        model = Questionnaire
        fields = ["code", "title", "title_en", "kind", "status", "versions", "updated_at"]

    def get_status(self, obj: Questionnaire) -> str:
        return selectors.questionnaire_status(questionnaire=obj)

    @extend_schema_field(VersionSummaryOutput(many=True))
    def get_versions(self, obj: Questionnaire) -> list[dict[str, Any]]:
        return [
            {
                "id": v.pk,
                "number": v.number,
                "content_hash": v.content_hash,
                "published_at": v.published_at,
            }
            # sorted here, not in SQL, so that the list's prefetch is used (no N+1)
            for v in sorted(obj.versions.all(), key=lambda v: -v.number)
        ]


@extend_schema_field(OpenApiTypes.OBJECT)
class DefinitionField(serializers.JSONField):
    """A questionnaire definition (questionnaires/schema/definition.schema.json)."""


class QuestionnaireDetailOutput(QuestionnaireOutput):
    definition = DefinitionField(source="draft")

    class Meta(QuestionnaireOutput.Meta):
        fields = [*QuestionnaireOutput.Meta.fields, "definition"]


@extend_schema_field(PROBLEMS)
class ProblemsField(serializers.ListField):
    """Validator problems: {"where", "message", "severity"} each."""

    child = serializers.DictField()


class ImportOutput(QuestionnaireDetailOutput):
    """The imported questionnaire, the importer's notes and the version it published."""

    notes = ProblemsField()
    published_version = serializers.IntegerField(allow_null=True)

    class Meta(QuestionnaireDetailOutput.Meta):
        fields = [*QuestionnaireDetailOutput.Meta.fields, "notes", "published_version"]


class DefinitionInput(serializers.Serializer):
    definition = serializers.JSONField()

    def validate_definition(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("A definition must be a JSON object."))
        return value


class DuplicateInput(serializers.Serializer):
    code = serializers.SlugField(max_length=64)
    title_vi = serializers.CharField(max_length=300, required=False, default="")
    title_en = serializers.CharField(max_length=300, required=False, default="")


class MoveInput(serializers.Serializer):
    position = serializers.IntegerField(min_value=0)
    section = serializers.CharField(max_length=64, required=False)


class ImportInput(serializers.Serializer):
    file = serializers.FileField()
    publish = serializers.BooleanField(required=False, default=False)


class ObjectInput(serializers.Serializer):
    """A section or a question as in the definition format (checked by the validator)."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            # Keyed like every other 400: a bare list here made DRF fail with a 500.
            raise serializers.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: [_("Send a JSON object.")]}
            )
        return dict(data)


def _find_question(definition: dict[str, Any], code: str) -> dict[str, Any] | None:
    for section in definition.get("sections", []):
        for question in section.get("questions", []):
            if question.get("code") == code:
                return question
    return None


class QuestionnaireVersionOutput(serializers.ModelSerializer):
    questionnaire = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = QuestionnaireVersion
        fields = ["id", "questionnaire", "number", "content_hash", "published_at", "definition"]


class QuestionnaireFilter(django_filters.FilterSet):
    class Meta:
        model = Questionnaire
        fields = ["kind"]


POSITION = OpenApiParameter(
    "position", int, description="Where to insert (0 = first); at the end when absent."
)
SECTION_PATH = OpenApiParameter("section", str, OpenApiParameter.PATH, pattern="^[A-Za-z0-9_]+$")
QUESTION_PATH = OpenApiParameter("question", str, OpenApiParameter.PATH, pattern="^[A-Za-z0-9_]+$")
EXPORT_AS = OpenApiParameter(
    "as", str, enum=["json", "xlsform"], default="json", description="Our JSON or an XLSForm."
)
EXPORTED = {
    (200, "application/json"): OpenApiTypes.OBJECT,
    (200, XLSX): OpenApiTypes.BINARY,
    400: ERROR,
}
EDITED = {200: QuestionnaireDetailOutput, 400: INPUT_OR_DEFINITION_ERRORS}
ADDED = {201: QuestionnaireDetailOutput, 400: INPUT_OR_DEFINITION_ERRORS}


@extend_schema_view(
    list=extend_schema(
        summary="Questionnaires, by code",
        responses={200: QuestionnaireOutput(many=True), 400: FIELD_ERRORS},
    ),
    retrieve=extend_schema(summary="A questionnaire with its draft definition"),
    create=extend_schema(
        summary="Create a questionnaire from a definition", request=DefinitionInput, responses=ADDED
    ),
    update=extend_schema(
        summary="Replace the draft definition", request=DefinitionInput, responses=EDITED
    ),
    destroy=extend_schema(
        summary="Delete a questionnaire that was never answered",
        responses={204: None, 409: DEFINITION_ERRORS},
    ),
)
class QuestionnaireViewSet(viewsets.GenericViewSet):
    permission_classes = [CanDesign]
    lookup_field = "code"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    queryset = Questionnaire.objects.prefetch_related("versions").order_by("code")
    serializer_class = QuestionnaireDetailOutput
    filterset_class = QuestionnaireFilter

    def _get(self, code: str) -> Questionnaire:
        return get_object_or_404(Questionnaire, code=code)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(QuestionnaireOutput(page, many=True).data)

    def retrieve(self, request: Request, code: str) -> Response:
        return Response(QuestionnaireDetailOutput(self._get(code)).data)

    def create(self, request: Request) -> Response:
        data = DefinitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            questionnaire = services.questionnaire_create(
                definition=data.validated_data["definition"]
            )
        except ValidationError as error:
            return _invalid(error)
        return Response(QuestionnaireDetailOutput(questionnaire).data, status=201)

    def update(self, request: Request, code: str) -> Response:
        data = DefinitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            questionnaire = services.questionnaire_save_draft(
                definition=data.validated_data["definition"], questionnaire=self._get(code)
            )
        except ValidationError as error:
            return _invalid(error)
        return Response(QuestionnaireDetailOutput(questionnaire).data)

    def destroy(self, request: Request, code: str) -> Response:
        try:
            services.questionnaire_delete(questionnaire=self._get(code))
        except ValidationError as error:
            return Response(
                {
                    "errors": [
                        {"where": code, "message": m, "severity": "error"} for m in error.messages
                    ]
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Publish the draft as a frozen version",
        request=None,
        responses={201: QuestionnaireVersionOutput, 400: DEFINITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, code: str) -> Response:
        try:
            version = services.questionnaire_publish(
                questionnaire=self._get(code), actor=request.user
            )
        except ValidationError as error:
            return _invalid(error)
        return Response(QuestionnaireVersionOutput(version).data, status=201)

    @extend_schema(summary="Copy under a new code", request=DuplicateInput, responses=ADDED)
    @action(detail=True, methods=["post"])
    def duplicate(self, request: Request, code: str) -> Response:
        data = DuplicateInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            copy = services.questionnaire_duplicate(
                questionnaire=self._get(code), **data.validated_data
            )
        except ValidationError as error:
            return _invalid(error)
        return Response(QuestionnaireDetailOutput(copy).data, status=201)

    @extend_schema(summary="Check the draft", responses={200: VALIDATION_REPORT})
    @action(detail=True, methods=["get"], url_path="validate")
    def validate_draft(self, request: Request, code: str) -> Response:
        problems = definition_problems(self._get(code).draft)
        return Response(
            {
                "valid": not any(p.severity == "error" for p in problems),
                "problems": [p.as_dict() for p in problems],
            }
        )

    @extend_schema(
        summary="Check a definition without saving it",
        request=DefinitionInput,
        responses={200: VALIDATION_REPORT, 400: BAD_REQUEST},
    )
    @action(detail=False, methods=["post"], url_path="validate")
    def validate_definition(self, request: Request) -> Response:
        data = DefinitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        problems = definition_problems(data.validated_data["definition"])
        return Response(
            {
                "valid": not any(p.severity == "error" for p in problems),
                "problems": [p.as_dict() for p in problems],
            }
        )

    @extend_schema(summary="Download the draft", parameters=[EXPORT_AS], responses=EXPORTED)
    @action(detail=True, methods=["get"])
    def export(self, request: Request, code: str) -> HttpResponse:
        questionnaire = self._get(code)
        return _export(
            questionnaire.draft, request.query_params.get("as", "json"), questionnaire.code
        )

    @extend_schema(
        summary="Import our JSON or an XLSForm (.xlsx)",
        request={"multipart/form-data": ImportInput},
        responses={201: ImportOutput, 400: INPUT_OR_DEFINITION_ERRORS},
    )
    @action(detail=False, methods=["post"], url_path="import")
    def import_file(self, request: Request) -> Response:
        data = ImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        result = transfer.import_bytes(upload.read(), upload.name)
        if not result.ok:
            return Response({"errors": [p.as_dict() for p in result.problems]}, status=400)
        try:
            questionnaire, version = transfer.import_save(
                result, publish=data.validated_data["publish"]
            )
        except ValidationError as error:
            return _invalid(error)
        body = QuestionnaireDetailOutput(questionnaire).data
        body["notes"] = [p.as_dict() for p in result.problems]
        body["published_version"] = version.number if version else None
        return Response(body, status=201)

    # --- sections ---------------------------------------------------------------------

    @extend_schema(
        summary="Add a section",
        parameters=[POSITION],
        request=OpenApiTypes.OBJECT,
        responses=ADDED,
    )
    @action(detail=True, methods=["post"], url_path="sections")
    def section_create(self, request: Request, code: str) -> Response:
        section = ObjectInput(data=request.data)
        section.is_valid(raise_exception=True)
        position = request.query_params.get("position")
        return self._edit(
            code,
            services.section_save,
            section=section.validated_data,
            position=int(position) if position and position.isdigit() else None,
            created=True,
        )

    @extend_schema(
        methods=["GET"],
        summary="A section of the draft",
        parameters=[SECTION_PATH],
        responses=OpenApiTypes.OBJECT,
    )
    @extend_schema(
        methods=["PUT"],
        summary="Replace a section",
        parameters=[SECTION_PATH],
        request=OpenApiTypes.OBJECT,
        responses=EDITED,
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Remove a section",
        parameters=[SECTION_PATH],
        responses=EDITED,
    )
    @action(
        detail=True,
        methods=["get", "put", "delete"],
        url_path=r"sections/(?P<section>[A-Za-z0-9_]+)",
    )
    def section_detail(self, request: Request, code: str, section: str) -> Response:
        questionnaire = self._get(code)
        if request.method == "GET":
            for item in questionnaire.draft.get("sections", []):
                if item.get("code") == section:
                    return Response(item)
            raise NotFound(_("No section %(code)s in this questionnaire.") % {"code": section})
        if request.method == "DELETE":
            return self._edit(code, services.section_delete, code_=section)
        data = ObjectInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._edit(
            code, services.section_save, section=data.validated_data, original_code=section
        )

    @extend_schema(
        summary="Move a section", parameters=[SECTION_PATH], request=MoveInput, responses=EDITED
    )
    @action(detail=True, methods=["post"], url_path=r"sections/(?P<section>[A-Za-z0-9_]+)/move")
    def section_move(self, request: Request, code: str, section: str) -> Response:
        data = MoveInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._edit(
            code, services.section_move, code_=section, position=data.validated_data["position"]
        )

    @extend_schema(
        summary="Add a question to a section",
        parameters=[SECTION_PATH, POSITION],
        request=OpenApiTypes.OBJECT,
        responses=ADDED,
    )
    @action(
        detail=True, methods=["post"], url_path=r"sections/(?P<section>[A-Za-z0-9_]+)/questions"
    )
    def question_create(self, request: Request, code: str, section: str) -> Response:
        data = ObjectInput(data=request.data)
        data.is_valid(raise_exception=True)
        position = request.query_params.get("position")
        return self._edit(
            code,
            services.question_save,
            question=data.validated_data,
            section_code=section,
            position=int(position) if position and position.isdigit() else None,
            created=True,
        )

    # --- questions --------------------------------------------------------------------

    @extend_schema(
        methods=["GET"],
        summary="A question of the draft",
        parameters=[QUESTION_PATH],
        responses=OpenApiTypes.OBJECT,
    )
    @extend_schema(
        methods=["PUT"],
        summary="Replace a question",
        parameters=[QUESTION_PATH],
        request=OpenApiTypes.OBJECT,
        responses=EDITED,
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Remove a question",
        parameters=[QUESTION_PATH],
        responses=EDITED,
    )
    @action(
        detail=True,
        methods=["get", "put", "delete"],
        url_path=r"questions/(?P<question>[A-Za-z0-9_]+)",
    )
    def question_detail(self, request: Request, code: str, question: str) -> Response:
        questionnaire = self._get(code)
        if request.method == "GET":
            found = _find_question(questionnaire.draft, question)
            if found is None:
                raise NotFound(
                    _("No question %(code)s in this questionnaire.") % {"code": question}
                )
            return Response(found)
        if request.method == "DELETE":
            return self._edit(code, services.question_delete, code_=question)
        data = ObjectInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._edit(
            code, services.question_save, question=data.validated_data, original_code=question
        )

    @extend_schema(
        summary="Move a question (to another section too)",
        parameters=[QUESTION_PATH],
        request=MoveInput,
        responses=EDITED,
    )
    @action(detail=True, methods=["post"], url_path=r"questions/(?P<question>[A-Za-z0-9_]+)/move")
    def question_move(self, request: Request, code: str, question: str) -> Response:
        data = MoveInput(data=request.data)
        data.is_valid(raise_exception=True)
        section = data.validated_data.get("section")
        if not section:
            for item in self._get(code).draft.get("sections", []):
                if any(q.get("code") == question for q in item.get("questions", [])):
                    section = item["code"]
        return self._edit(
            code,
            services.question_move,
            code_=question,
            section_code=section or "",
            position=data.validated_data["position"],
        )

    def _edit(self, code: str, service: Any, created: bool = False, **kwargs: Any) -> Response:
        if "code_" in kwargs:
            kwargs["code"] = kwargs.pop("code_")
        try:
            questionnaire = service(questionnaire=self._get(code), **kwargs)
        except ValidationError as error:
            return _invalid(error)
        return Response(
            QuestionnaireDetailOutput(questionnaire).data, status=201 if created else 200
        )


def _export(definition: dict[str, Any], kind: str, name: str) -> HttpResponse:
    if kind == "xlsform":
        content, notes = transfer.export_xlsform(definition)
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        if notes:
            response["X-Export-Notes"] = str(len(notes))
        return response
    if kind != "json":
        return JsonResponse(
            {"detail": _("Unknown format %(kind)s") % {"kind": kind}},
            status=status.HTTP_400_BAD_REQUEST,
            json_dumps_params={"ensure_ascii": False},
        )
    response = HttpResponse(
        transfer.export_json(definition), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    return response


class QuestionnaireVersionFilter(django_filters.FilterSet):
    questionnaire = django_filters.CharFilter(
        field_name="questionnaire__code", help_text="Questionnaire code."
    )

    class Meta:
        model = QuestionnaireVersion
        fields = ["questionnaire"]


@extend_schema_view(
    list=extend_schema(
        summary="Frozen versions",
        responses={200: QuestionnaireVersionOutput(many=True), 400: FIELD_ERRORS},
    ),
    retrieve=extend_schema(summary="A frozen version with its definition"),
    destroy=extend_schema(
        summary="Delete a version that was never answered",
        responses={204: None, 409: DEFINITION_ERRORS},
    ),
)
class QuestionnaireVersionViewSet(viewsets.mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Frozen versions: read, export, restore as the draft, delete when never answered."""

    queryset = QuestionnaireVersion.objects.select_related("questionnaire").order_by("id")
    serializer_class = QuestionnaireVersionOutput
    permission_classes = [CanDesign]
    filterset_class = QuestionnaireVersionFilter

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            services.version_delete(version=self.get_object(), actor=request.user)
        except ValidationError as error:
            return Response(
                {
                    "errors": [
                        {"where": "", "message": m, "severity": "error"} for m in error.messages
                    ]
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Download a version", parameters=[EXPORT_AS], responses=EXPORTED)
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str) -> HttpResponse:
        version = self.get_object()
        return _export(
            version.definition,
            request.query_params.get("as", "json"),
            f"{version.questionnaire.code}-v{version.number}",
        )

    @extend_schema(
        summary="Make this version the draft again",
        request=None,
        responses=QuestionnaireDetailOutput,
    )
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: str) -> Response:
        questionnaire = services.questionnaire_draft_from_version(version=self.get_object())
        return Response(QuestionnaireDetailOutput(questionnaire).data)
