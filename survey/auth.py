"""API keys for one-stop-shop systems: ``Authorization: Api-Key <key>`` (or X-Api-Key)."""

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from org.access import capability
from org.permissions import Capability, Scope, has_capability, units_in_scope
from survey.models import ApiClient
from survey.services import api_client_authenticate

KEYWORD = "Api-Key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticates a system, not a person: ``request.auth`` is the ApiClient."""

    def authenticate(self, request: Request) -> tuple[AnonymousUser, ApiClient] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        key = ""
        if header[: len(KEYWORD) + 1].lower() == f"{KEYWORD.lower()} ":
            key = header[len(KEYWORD) + 1 :].strip()
        key = key or request.META.get("HTTP_X_API_KEY", "").strip()
        if not key:
            return None
        client = api_client_authenticate(key)
        if client is None:
            error = exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
            # 401 with this challenge (config.api), whichever scheme the view lists first.
            error.challenge = self.authenticate_header(request)  # type: ignore[attr-defined]
            raise error
        return AnonymousUser(), client

    def authenticate_header(self, request: Request) -> str:
        return f'{KEYWORD} realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """The key goes in either header: two schemes, either one is enough."""

    target_class = ApiKeyAuthentication
    name = ["ApiKeyAuthorization", "ApiKeyHeader"]

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[str]]]:
        return [{name: []} for name in self.name]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, str]]:
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Authorization: Api-Key <key>` (survey_api_client prints it).",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "X-Api-Key",
                "description": "`X-Api-Key: <key>`, for clients that cannot set Authorization.",
            },
        ]


def api_client_of(request: Request) -> ApiClient | None:
    return request.auth if isinstance(request.auth, ApiClient) else None


class IsApiClientOrRawAnswers(permissions.BasePermission):
    """A system with an API key (scoped to its units by the client), or a person holding
    the raw-answers capability (scoped by org.permissions.units_in_scope)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if api_client_of(request) is not None:
            return True
        return has_capability(request.user, Capability.RAW_ANSWERS)


# Reading raw answers, importing, firm lists: people with the capability, never keys.
CanReadRawAnswers = capability(Capability.RAW_ANSWERS)


def raw_answers_scope(request: Request) -> Scope:
    return units_in_scope(request.user, Capability.RAW_ANSWERS)


# The API key first, then the project's defaults (session, HTTP Basic under the lockout).
AUTHENTICATION = [ApiKeyAuthentication, *api_settings.DEFAULT_AUTHENTICATION_CLASSES]
