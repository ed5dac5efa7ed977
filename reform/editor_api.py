"""API of the framework editor (reform.editor), administrators only: add a node, change
or move it, remove it. Each answer carries the tree's problems, each naming its node;
a framework a scoring round uses answers 400 (frozen)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.openapi import BAD_REQUEST
from org.access import capability
from org.permissions import Capability
from reform.editor import (
    UNSET,
    criterion_add,
    criterion_move,
    criterion_remove,
    criterion_update,
    framework_problems,
)
from reform.models import Criterion, Framework

FIELDS = ("name", "name_en", "kind", "maximum", "weight", "leaf", "rule", "component")


class NodeOutput(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Criterion
        fields = [
            "code", "parent", "name", "name_en", "kind", "position", "maximum", "weight",
            "leaf", "rule", "component",
        ]  # fmt: skip


class ProblemOutput(serializers.Serializer):
    code = serializers.CharField(allow_null=True, help_text="The node it names (null: all).")
    message = serializers.CharField()


class EditOutput(serializers.Serializer):
    node = NodeOutput(allow_null=True)
    problems = ProblemOutput(many=True)


class NodeChange(serializers.Serializer):
    name = serializers.CharField(max_length=300, required=False)
    name_en = serializers.CharField(max_length=300, required=False, allow_blank=True)
    kind = serializers.CharField(
        max_length=16, required=False, help_text="domain, bonus or penalty (top-level nodes)."
    )
    maximum = serializers.FloatField(required=False, allow_null=True, min_value=0)
    weight = serializers.FloatField(required=False, allow_null=True, min_value=0)
    leaf = serializers.ChoiceField(Criterion.Leaf.choices, required=False)
    rule = serializers.JSONField(
        required=False, allow_null=True,
        help_text='e.g. {"type": "minmax", "direction": "negative", "years": 3}',
    )  # fmt: skip
    component = serializers.CharField(max_length=64, required=False, allow_blank=True)
    parent = serializers.CharField(
        max_length=32,
        required=False,
        allow_null=True,
        help_text="Move under this node (null: top).",
    )
    move = serializers.IntegerField(
        required=False, min_value=-1000, max_value=1000,
        help_text="Places to move among its siblings (−1 up, +1 down).",
    )  # fmt: skip


class NodeNew(NodeChange):
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=300)


def _framework(code: str) -> Framework:
    return get_object_or_404(Framework, code=code)


def _parent(framework: Framework, data: dict[str, Any]) -> Any:
    if "parent" not in data:
        return UNSET
    if data["parent"] in (None, ""):
        return None
    found = framework.criteria.filter(code=data["parent"]).first()
    if found is None:
        raise ApiValidationError({"parent": ["no such node in this framework"]})
    return found


def _invalid(error: ValidationError) -> ApiValidationError:
    if hasattr(error, "error_dict"):
        return ApiValidationError(error.message_dict)
    return ApiValidationError({"detail": error.messages})


def _answer(framework: Framework, node: Criterion | None, code: int = 200) -> Response:
    problems = [
        {"code": p.code, "message": p.message} for p in framework_problems(framework=framework)
    ]
    body = {"node": NodeOutput(node).data if node else None, "problems": problems}
    return Response(body, status=code)


class Nodes(APIView):
    """POST a new node of a draft framework."""

    permission_classes = [capability(Capability.ADMIN)]

    @extend_schema(
        summary="Add a node to a draft framework (administrators, audited)",
        request=NodeNew,
        responses={201: EditOutput, 400: BAD_REQUEST},
    )
    def post(self, request: Request, code: str) -> Response:
        framework = _framework(code)
        data = NodeNew(data=request.data)
        data.is_valid(raise_exception=True)
        values = {k: v for k, v in data.validated_data.items() if k in FIELDS}
        parent = _parent(framework, data.validated_data)
        try:
            node = criterion_add(
                framework=framework, parent=None if parent is UNSET else parent,
                code=data.validated_data["code"], actor=request.user, **values,
            )  # fmt: skip
        except ValidationError as error:
            raise _invalid(error) from None
        return _answer(framework, node, status.HTTP_201_CREATED)


class Node(APIView):
    """PATCH a node (fields, parent, move among siblings); DELETE it with its subtree."""

    permission_classes = [capability(Capability.ADMIN)]

    @extend_schema(
        summary="Change or move a node of a draft framework (administrators, audited)",
        request=NodeChange,
        responses={200: EditOutput, 400: BAD_REQUEST},
    )
    def patch(self, request: Request, code: str, node: str) -> Response:
        framework = _framework(code)
        criterion = get_object_or_404(framework.criteria, code=node)
        data = NodeChange(data=request.data)
        data.is_valid(raise_exception=True)
        values = {k: v for k, v in data.validated_data.items() if k in FIELDS}
        parent = _parent(framework, data.validated_data)
        try:
            if values or parent is not UNSET:
                criterion = criterion_update(
                    criterion=criterion, parent=parent, actor=request.user, **values
                )
            if data.validated_data.get("move"):
                criterion = criterion_move(
                    criterion=criterion, offset=data.validated_data["move"], actor=request.user
                )
        except ValidationError as error:
            raise _invalid(error) from None
        return _answer(framework, criterion)

    @extend_schema(
        summary="Remove a node and its subtree (administrators, audited)",
        responses={200: EditOutput, 400: BAD_REQUEST},
    )
    def delete(self, request: Request, code: str, node: str) -> Response:
        framework = _framework(code)
        criterion = get_object_or_404(framework.criteria, code=node)
        try:
            criterion_remove(criterion=criterion, actor=request.user)
        except ValidationError as error:
            raise _invalid(error) from None
        return _answer(framework, None)
