"""OpenAPI (drf-spectacular): the error shapes every endpoint shares.

Views declare their bodies and their own errors (400, 409, 410 …) with
``@extend_schema``; this AutoSchema adds the errors that follow from how a view is
guarded, so that no operation forgets them: 401/403 when it needs a signed-in user or
an API key, 429 when HTTP Basic (under the login lockout) is accepted, 404 when the
path names an object.
"""

from typing import Any

from drf_spectacular import openapi
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.permissions import AllowAny

_ERROR_PROPERTIES = {
    "detail": {"type": "string", "description": "What went wrong, in the caller's language."},
    "code": {"type": "string", "description": "A stable code, e.g. locked_out."},
    "reason": {"type": "string", "description": "Why a survey link is closed."},
}

# Schemas added to components by the add_components hook.
COMPONENTS: dict[str, Any] = {
    "schemas": {
        "Error": {
            "type": "object",
            "properties": _ERROR_PROPERTIES,
            "required": ["detail"],
        },
        "FieldErrors": {
            "type": "object",
            "description": (
                "Rejected input: each field name (or non_field_errors) with its messages; "
                "an object for nested input (list positions, keys)."
            ),
            "additionalProperties": {
                "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]
            },
        },
        "Problem": {
            "type": "object",
            "properties": {
                "where": {"type": "string"},
                "message": {"type": "string"},
                "severity": {"type": "string", "enum": ["error", "warning"]},
                "row": {"type": "integer"},
                "sheet": {"type": "string"},
            },
            "required": ["where", "message", "severity"],
        },
        "DefinitionErrors": {
            "type": "object",
            "description": "A questionnaire definition refused by the validator.",
            "properties": {
                "errors": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}}
            },
            "required": ["errors"],
        },
    }
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


ERROR = ref("Error")
PROBLEMS = {"type": "array", "items": ref("Problem")}
VALIDATION_REPORT = {
    "type": "object",
    "properties": {"valid": {"type": "boolean"}, "problems": PROBLEMS},
    "required": ["valid", "problems"],
}
FIELD_ERRORS = ref("FieldErrors")
DEFINITION_ERRORS = ref("DefinitionErrors")
# A 400 on a request with a body: field errors, or {"detail"} for a body that is not
# JSON (or not multipart) at all.
BAD_REQUEST = {"anyOf": [FIELD_ERRORS, ERROR]}
# … and from the questionnaire API also the validator's problems.
INPUT_OR_DEFINITION_ERRORS = {"anyOf": [FIELD_ERRORS, DEFINITION_ERRORS, ERROR]}

_DESCRIPTIONS = {
    "400": "A bad `limit` or `offset` (field errors).",
    "401": (
        "Wrong credentials (HTTP Basic or API key), answered with the challenge of their "
        "scheme in WWW-Authenticate; collection endpoints also ask anonymous callers for "
        "an API key."
    ),
    "403": "Not allowed (not signed in through a session, or missing a permission).",
    "404": "No such object.",
    "415": "A body of a media type the operation does not read (or none given).",
    "429": "Too many failed sign-in attempts (HTTP Basic): locked out for a while.",
}


class AutoSchema(openapi.AutoSchema):
    def _default_errors(self) -> list[str]:
        codes = []
        if self.method == "GET" and self._get_pagination_parameters():
            codes.append("400")
        permissions = self.view.get_permissions()
        if not all(isinstance(p, AllowAny) for p in permissions):
            codes += ["401", "403"]
        authenticators = self.view.get_authenticators()
        if any(not isinstance(a, SessionAuthentication) for a in authenticators):
            codes.append("401")  # wrong Basic credentials or API key, even where optional
        if any(isinstance(a, BasicAuthentication) for a in authenticators):
            codes.append("429")
        if "{" in self.path:
            codes.append("404")
        if self._get_request_body() is not None:
            codes.append("415")  # a body of a type the operation does not parse
        return list(dict.fromkeys(codes))

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self._default_errors():
            responses.setdefault(
                code,
                {
                    "content": {
                        "application/json": {"schema": FIELD_ERRORS if code == "400" else ERROR}
                    },
                    "description": _DESCRIPTIONS[code],
                },
            )
        return dict(sorted(responses.items()))


def add_components(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: the shared error schemas the operations refer to."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(COMPONENTS["schemas"])
    return result
