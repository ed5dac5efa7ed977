"""API-wide behaviour: error bodies in the visitor's language."""

from types import TracebackType
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.security import LockedOut

_JSON_ERROR_PREFIX = "JSON parse error - "
_PARSER_FILES = ("rest_framework/parsers.py", "json/__init__.py")


def exception_handler(error: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with its untranslatable "JSON parse error - …" made translatable."""
    if isinstance(error, ParseError) and str(error.detail).startswith(_JSON_ERROR_PREFIX):
        reason = str(error.detail)[len(_JSON_ERROR_PREFIX) :]
        error = ParseError(
            _("The request body is not valid JSON (%(reason)s).") % {"reason": reason}
        )
    if isinstance(error, RecursionError) and _raised_by_a_parser(error.__traceback__):
        # json.loads recurses once per nesting level: "[[[[…" a few thousand deep is
        # otherwise a 500, even before authentication (the body is parsed first).
        error = ParseError(_("The request body is nested too deeply."))
    response = drf_exception_handler(error, context)
    if response is not None and isinstance(error, LockedOut):
        # The same body as a lockout answered by the axes middleware.
        response.data = error.get_full_details()
    return response


def _raised_by_a_parser(tb: TracebackType | None) -> bool:
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(_PARSER_FILES):
            return True
        tb = tb.tb_next
    return False
