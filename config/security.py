"""Login lockout (django-axes): who is counted, and what a locked-out visitor is told.

The admin form and HTTP Basic on the API both go through ``authenticate()``, so axes
counts their failures alike. A locked-out page visitor gets a page in their language
(Vietnamese first); an API caller gets JSON, both with HTTP 429 and Retry-After.
"""

import math
from datetime import timedelta
from typing import Any

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, status
from rest_framework.authentication import BasicAuthentication
from rest_framework.request import Request

from survey.privacy import client_address


def client_ip(request: HttpRequest) -> str:
    """The address axes keys lockouts on: the same rule as the survey rate limits."""
    return client_address(request)


def _minutes(cool_off: timedelta | None) -> int:
    return max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 0


def lockout_message(cool_off: timedelta | None) -> str:
    if cool_off:
        return _(
            "Too many failed sign-in attempts. Try again in %(minutes)d minutes, or ask an "
            "administrator to unlock the account."
        ) % {"minutes": _minutes(cool_off)}
    return _("Too many failed sign-in attempts. Ask an administrator to unlock the account.")


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "json" in request.headers.get("Accept", "")


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: 429, a page or JSON, with Retry-After when it ends."""
    cool_off = get_cool_off(request)
    message = lockout_message(cool_off)
    if _wants_json(request):
        response: HttpResponse = JsonResponse(
            {"detail": message, "code": "locked_out"},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
        )
    else:
        response = render(
            request,
            "account/lockout.html",
            {"message": message},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
        )
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = gettext_lazy("Too many failed sign-in attempts.")
    default_code = "locked_out"

    def get_full_details(self) -> dict[str, str]:
        return {"detail": str(self.detail), "code": self.default_code}


class LockoutBasicAuthentication(BasicAuthentication):
    """HTTP Basic that says "locked out" (429) instead of "wrong password" (401).

    Axes marks the DRF request, not the Django one its middleware looks at, so the
    lockout is turned into its reply here. Wrong credentials carry the Basic challenge,
    which config.api.exception_handler answers with 401 whichever scheme the view
    lists first (DRF would say 403 behind the session scheme).
    """

    www_authenticate_realm = "api"

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed as error:
            error.challenge = self.authenticate_header(request)  # type: ignore[attr-defined]
            raise

    def authenticate_credentials(
        self, userid: str, password: str, request: Request | None = None
    ) -> tuple[Any, None]:
        try:
            return super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            if request is not None and getattr(request, "axes_locked_out", False):
                cool_off = get_cool_off(request)
                error = LockedOut(lockout_message(cool_off))
                if cool_off:
                    error.wait = cool_off.total_seconds()  # type: ignore[attr-defined]
                raise error from None
            raise


class LockoutBasicScheme(OpenApiAuthenticationExtension):
    target_class = LockoutBasicAuthentication
    name = "basicAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "basic"}
