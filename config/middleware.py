"""Language selection: Vietnamese unless the visitor chose English.

Django's LocaleMiddleware follows the browser's Accept-Language; a citizen's phone set to
English would then see an English survey by default. We follow only an explicit choice:
``?lang=en`` on any page (kept in a cookie) or the cookie set by Django's set_language view.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

_SUPPORTED = {code for code, _name in settings.LANGUAGES}


class VietnameseFirstLocaleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        asked = request.GET.get("lang")
        chosen = asked if asked in _SUPPORTED else None
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen or (cookie if cookie in _SUPPORTED else settings.LANGUAGE_CODE)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        if chosen:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, chosen, max_age=365 * 24 * 3600, samesite="Lax"
            )
        translation.deactivate()
        return response
