"""Read-only API of the audit log: GET /api/v1/audit/ and /api/v1/audit/export.csv.

There is no write endpoint: entries are made by org.services.audit_record only.
"""

import csv
import io
import json
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.views import APIView

from config.openapi import FIELD_ERRORS
from org.access import HasAnyRole
from org.models import AuditEntry
from org.selectors import audit_entries_filter
from org.spreadsheets import spreadsheet_safe


class AuditFilter(serializers.Serializer):
    action = serializers.CharField(required=False, max_length=64)
    object_type = serializers.CharField(required=False, max_length=100)
    object_id = serializers.CharField(required=False, max_length=64)
    actor = serializers.CharField(required=False, max_length=200)
    unit = serializers.CharField(required=False, max_length=32)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


class AuditOutput(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name")
    unit = serializers.CharField(source="unit.code", default=None, allow_null=True)

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "actor",
            "action",
            "object_type",
            "object_id",
            "object_label",
            "unit",
            "before",
            "after",
            "reason",
        ]


def _entries(request: Request) -> Any:
    filters = AuditFilter(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return audit_entries_filter(user=request.user, **filters.validated_data)


class AuditList(ListAPIView):
    """GET ?action=&object_type=&object_id=&actor=&unit=&date_from=&date_to=&limit=&offset=

    System administrators read every entry; others the entries of objects they may see.
    """

    permission_classes = [HasAnyRole]
    serializer_class = AuditOutput

    def get_queryset(self) -> Any:
        return _entries(self.request)

    @extend_schema(
        summary="Audit log entries",
        parameters=[AuditFilter],
        responses={200: AuditOutput(many=True), 400: FIELD_ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        return super().get(request, *args, **kwargs)


class AuditExport(APIView):
    """The same filters, as CSV (UTF-8 with a BOM so spreadsheets show Vietnamese)."""

    permission_classes = [HasAnyRole]

    @extend_schema(
        summary="Audit log entries as CSV",
        parameters=[AuditFilter],
        responses={(200, "text/csv"): OpenApiTypes.STR, 400: FIELD_ERRORS},
    )
    def get(self, request: Request) -> HttpResponse:
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        writer.writerow(
            [
                _("When"),
                _("Actor"),
                _("Action"),
                _("Object type"),
                _("Object id"),
                _("Object"),
                _("Unit"),
                _("Before"),
                _("After"),
                _("Reason"),
            ]
        )
        for entry in _entries(request).iterator(chunk_size=2000):
            # Names, labels and reasons are typed by people: never run as formulas.
            writer.writerow(
                [
                    timezone.localtime(entry.at).isoformat(),
                    spreadsheet_safe(entry.actor_name),
                    entry.action,
                    entry.object_type,
                    spreadsheet_safe(entry.object_id),
                    spreadsheet_safe(entry.object_label),
                    entry.unit.code if entry.unit else "",
                    "" if entry.before is None else json.dumps(entry.before, ensure_ascii=False),
                    "" if entry.after is None else json.dumps(entry.after, ensure_ascii=False),
                    spreadsheet_safe(entry.reason),
                ]
            )
        reply = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        reply["Content-Disposition"] = 'attachment; filename="audit.csv"'
        return reply
