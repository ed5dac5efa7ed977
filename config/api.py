"""API-wide behaviour: error bodies in the visitor's language, and the list pagination.

Every refusal is JSON in the API's error shape (``{"detail", "code"}`` or field errors),
never Django's HTML error page: a body too large or not JSON, a wrong content type,
wrong credentials (401 with the challenge of the scheme that refused them) and bad
``limit`` / ``offset`` values.
"""

import re
from types import TracebackType
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import (
    AuthenticationFailed,
    NotAuthenticated,
    ParseError,
    ValidationError,
)
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from config.security import LockedOut

_JSON_ERROR_PREFIX = "JSON parse error - "
_MULTIPART_ERROR_PREFIX = "Multipart form parse error - "
_JSON_POSITION = re.compile(r"line (\d+) column (\d+)")
_PARSER_FILES = ("rest_framework/parsers.py", "json/__init__.py")

# The most rows one page of a list returns (?limit= above it is refused with a 400).
PAGE_MAX_LIMIT = 1000
# OFFSET is a 64-bit integer in PostgreSQL and SQLite; far above any real list.
PAGE_MAX_OFFSET = 2**31 - 1


def exception_handler(error: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with every refusal turned into translatable JSON."""
    error = _translated(error)
    if isinstance(error, NotAuthenticated) and _api_key_refused_here(context):
        # "Credentials were not provided" misleads a system that sent its key.
        error = NotAuthenticated(
            _(
                "This endpoint does not accept API keys (only the collection endpoints do): "
                "sign in as a staff member."
            ),
            code="api_key_not_accepted",
        )
        error.status_code = 403
    response = drf_exception_handler(error, context)
    if response is not None and isinstance(error, LockedOut):
        # The same body as a lockout answered by the axes middleware.
        response.data = error.get_full_details()
    return response


def _translated(error: Exception) -> Exception:
    if isinstance(error, ParseError) and str(error.detail).startswith(_JSON_ERROR_PREFIX):
        return ParseError(_json_error_message(str(error.detail)), code="invalid_json")
    if isinstance(error, ParseError) and str(error.detail).startswith(_MULTIPART_ERROR_PREFIX):
        return ParseError(_("The request body is not a valid multipart form."))
    if isinstance(error, RecursionError) and _raised_by_a_parser(error.__traceback__):
        # json.loads recurses once per nesting level: "[[[[…" a few thousand deep is
        # otherwise a 500, even before authentication (the body is parsed first).
        return ParseError(_("The request body is nested too deeply."))
    if isinstance(error, RequestDataTooBig):
        # Django refuses the body before any parser sees it; left alone, this is its
        # HTML "Bad Request (400)" page.
        return ParseError(request_too_large_message(), code="too_large")
    if isinstance(error, (TooManyFieldsSent, TooManyFilesSent)):
        return ParseError(_("The request has too many fields or files."), code="too_many_fields")
    if isinstance(error, ValidationError) and isinstance(error.detail, dict):
        # DRF says "No data provided" (a body of JSON null) without a translation.
        errors = error.detail.get(api_settings.NON_FIELD_ERRORS_KEY)
        if isinstance(errors, list) and "No data provided" in errors:
            return ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: [_("The request body is empty.")]},
                code="null",
            )
    if isinstance(error, (AuthenticationFailed, NotAuthenticated)):
        challenge = getattr(error, "challenge", None)
        if challenge:
            # DRF answers 401 only with the challenge of a view's first scheme (403 when
            # that is the session); wrong credentials get the challenge of their scheme.
            error.status_code = 401
            error.auth_header = challenge  # type: ignore[attr-defined]
    return error


def _api_key_refused_here(context: dict[str, Any]) -> bool:
    from survey.auth import ApiKeyAuthentication  # the collection API's scheme

    request, view = context.get("request"), context.get("view")
    if request is None or view is None:
        return False
    sent = request.META.get("HTTP_X_API_KEY") or request.META.get(
        "HTTP_AUTHORIZATION", ""
    ).lower().startswith("api-key ")
    accepted = any(isinstance(a, ApiKeyAuthentication) for a in view.get_authenticators())
    return bool(sent) and not accepted


def request_too_large_message() -> str:
    return _("The request body is too large: at most %(size)s.") % {
        "size": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    }


def _json_error_message(detail: str) -> str:
    position = _JSON_POSITION.search(detail)
    if "can't decode" in detail:
        return _("The request body is not valid JSON in UTF-8.")
    if position is None:
        # NaN / Infinity (refused by DRF), or an integer of more than 4,300 digits.
        return _("The request body is not valid JSON: a number is out of range.")
    return _("The request body is not valid JSON (line %(line)s, column %(column)s).") % {
        "line": position.group(1),
        "column": position.group(2),
    }


def _raised_by_a_parser(tb: TracebackType | None) -> bool:
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(_PARSER_FILES):
            return True
        tb = tb.tb_next
    return False


class _PageInput(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=PAGE_MAX_LIMIT, required=False)
    offset = serializers.IntegerField(min_value=0, max_value=PAGE_MAX_OFFSET, required=False)


class Pagination(LimitOffsetPagination):
    """``?limit=&offset=``: a bad value is a 400 with field errors, not silently the
    default (a client asking for 10⁹ rows learns the maximum instead of getting 500)."""

    max_limit = PAGE_MAX_LIMIT

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        given = {
            name: request.query_params[name]
            for name in (self.limit_query_param, self.offset_query_param)
            if request.query_params.get(name, "") != ""  # "?limit=" is the default
        }
        _PageInput(data=given).is_valid(raise_exception=True)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {
                "minimum": 1,
                "maximum": PAGE_MAX_LIMIT,
                "default": self.default_limit,
            },
            self.offset_query_param: {"minimum": 0, "maximum": PAGE_MAX_OFFSET, "default": 0},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["description"] = (
                    f"Number of results to return per page: {self.default_limit} by default, "
                    f"at most {PAGE_MAX_LIMIT} (a larger value is refused with a 400)."
                )
        return parameters
