"""REST API of the questionnaire builder: questionnaires by code, their sections and
questions, publishing, copies, validation, import and export, frozen versions.

Reading needs a signed-in user; writing needs the ``change_questionnaire`` permission
(designers). Rejected definitions come back as 400 with every problem::

    {"errors": [{"where": "q3", "message": "...", "severity": "error"}]}
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from org.permissions import may_design, roles_of
from questionnaires import selectors, services, transfer
from questionnaires.models import Questionnaire, QuestionnaireVersion
from questionnaires.services import DefinitionInvalid
from questionnaires.validation import definition_problems


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


class QuestionnaireOutput(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()
    versions = serializers.SerializerMethodField()

    class Meta:
        model = Questionnaire
        fields = ["code", "title", "title_en", "kind", "status", "versions", "updated_at"]

    def get_status(self, obj: Questionnaire) -> str:
        return selectors.questionnaire_status(questionnaire=obj)

    def get_versions(self, obj: Questionnaire) -> list[dict[str, Any]]:
        return [
            {
                "id": v.pk,
                "number": v.number,
                "content_hash": v.content_hash,
                "published_at": v.published_at,
            }
            for v in obj.versions.order_by("-number")
        ]


class QuestionnaireDetailOutput(QuestionnaireOutput):
    definition = serializers.JSONField(source="draft")

    class Meta(QuestionnaireOutput.Meta):
        fields = [*QuestionnaireOutput.Meta.fields, "definition"]


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
            raise serializers.ValidationError(_("Send a JSON object."))
        return dict(data)


def _find_question(definition: dict[str, Any], code: str) -> dict[str, Any] | None:
    for section in definition.get("sections", []):
        for question in section.get("questions", []):
            if question.get("code") == code:
                return question
    return None


class QuestionnaireViewSet(viewsets.ViewSet):
    permission_classes = [CanDesign]
    lookup_field = "code"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def _get(self, code: str) -> Questionnaire:
        return get_object_or_404(Questionnaire, code=code)

    def list(self, request: Request) -> Response:
        items = Questionnaire.objects.prefetch_related("versions").order_by("code")
        return Response(QuestionnaireOutput(items, many=True).data)

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

    @action(detail=True, methods=["post"])
    def publish(self, request: Request, code: str) -> Response:
        try:
            version = services.questionnaire_publish(
                questionnaire=self._get(code), actor=request.user
            )
        except ValidationError as error:
            return _invalid(error)
        return Response(QuestionnaireVersionOutput(version).data, status=201)

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

    @action(detail=True, methods=["get"], url_path="validate")
    def validate_draft(self, request: Request, code: str) -> Response:
        problems = definition_problems(self._get(code).draft)
        return Response(
            {
                "valid": not any(p.severity == "error" for p in problems),
                "problems": [p.as_dict() for p in problems],
            }
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

    @action(detail=True, methods=["get"])
    def export(self, request: Request, code: str) -> HttpResponse:
        questionnaire = self._get(code)
        return _export(
            questionnaire.draft, request.query_params.get("as", "json"), questionnaire.code
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
            return Response(status=404)
        if request.method == "DELETE":
            return self._edit(code, services.section_delete, code_=section)
        data = ObjectInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._edit(
            code, services.section_save, section=data.validated_data, original_code=section
        )

    @action(detail=True, methods=["post"], url_path=r"sections/(?P<section>[A-Za-z0-9_]+)/move")
    def section_move(self, request: Request, code: str, section: str) -> Response:
        data = MoveInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._edit(
            code, services.section_move, code_=section, position=data.validated_data["position"]
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

    @action(
        detail=True,
        methods=["get", "put", "delete"],
        url_path=r"questions/(?P<question>[A-Za-z0-9_]+)",
    )
    def question_detail(self, request: Request, code: str, question: str) -> Response:
        questionnaire = self._get(code)
        if request.method == "GET":
            found = _find_question(questionnaire.draft, question)
            return Response(found) if found else Response(status=404)
        if request.method == "DELETE":
            return self._edit(code, services.question_delete, code_=question)
        data = ObjectInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._edit(
            code, services.question_save, question=data.validated_data, original_code=question
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
        response = HttpResponse(
            content,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        if notes:
            response["X-Export-Notes"] = str(len(notes))
        return response
    if kind != "json":
        return HttpResponse(_("Unknown format %(kind)s") % {"kind": kind}, status=400)
    response = HttpResponse(
        transfer.export_json(definition), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    return response


class QuestionnaireVersionOutput(serializers.ModelSerializer):
    questionnaire = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = QuestionnaireVersion
        fields = ["id", "questionnaire", "number", "content_hash", "published_at", "definition"]


class QuestionnaireVersionViewSet(viewsets.mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Frozen versions: read, export, restore as the draft, delete when never answered."""

    queryset = QuestionnaireVersion.objects.select_related("questionnaire")
    serializer_class = QuestionnaireVersionOutput
    permission_classes = [CanDesign]

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        code = self.request.query_params.get("questionnaire")
        return queryset.filter(questionnaire__code=code) if code else queryset

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

    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str) -> HttpResponse:
        version = self.get_object()
        return _export(
            version.definition,
            request.query_params.get("as", "json"),
            f"{version.questionnaire.code}-v{version.number}",
        )

    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: str) -> Response:
        questionnaire = services.questionnaire_draft_from_version(version=self.get_object())
        return Response(QuestionnaireDetailOutput(questionnaire).data)
