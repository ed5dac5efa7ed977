"""API keys for one-stop-shop systems: ``Authorization: Api-Key <key>`` (or X-Api-Key)."""

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request
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
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        return AnonymousUser(), client

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


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


AUTHENTICATION = [
    ApiKeyAuthentication,
    authentication.SessionAuthentication,
    authentication.BasicAuthentication,
]
