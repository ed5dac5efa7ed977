from functools import cache

import redis
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views import defaults

from config.api import request_too_large_message
from config.workspace import workspace_memberships, workspace_sections
from outbox.services import outbox_pending_count


def home(request: HttpRequest) -> HttpResponse:
    """The public home for visitors; the staff workspace for signed-in users."""
    if not request.user.is_authenticated:
        return render(request, "home.html")
    context = {
        "sections": workspace_sections(request.user),
        "memberships": workspace_memberships(request.user),
        "is_superuser": request.user.is_superuser,
    }
    return render(request, "workspace.html", context)


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)


def _redis_state() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    try:
        _redis().ping()
    except (redis.RedisError, OSError):
        return "down"
    return "ok"


def healthz(request: HttpRequest) -> JsonResponse:
    """Health for docker compose, load balancers and operators, each part on its own.

    The database is the source of truth: without it the service is unhealthy (503).
    Redis (broker, cache, rate limits) is a helper: without it answers are still stored
    and their tasks wait in the outbox, so the service is degraded but serving (200).
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        pending: int | None = outbox_pending_count()
        database = "ok"
    except DatabaseError:
        database, pending = "down", None
    redis_state = _redis_state()
    status = "unhealthy" if database != "ok" else "degraded" if redis_state == "down" else "ok"
    return JsonResponse(
        {
            "status": status,
            "database": database,
            "redis": redis_state,
            "outbox_pending": pending,
        },
        status=503 if status == "unhealthy" else 200,
    )


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on every page: the icon in static/."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: Django's own 400 (a body too large, too many fields) outside the API's
    views, JSON under /api/ and a page in the visitor's language elsewhere."""
    too_large = isinstance(exception, RequestDataTooBig)
    message = request_too_large_message() if too_large else _("Bad request.")
    if _is_api(request):
        code = "too_large" if too_large else "bad_request"
        return JsonResponse({"detail": message, "code": code}, status=400)
    context = {"message": message if too_large else ""}
    return render(request, "400.html", context, status=400)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: JSON under /api/ (a mistyped path is not an HTML page to an API client)."""
    if _is_api(request):
        return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: Django's page is English (with an inline style the CSP blocks);
    a citizen whose form expired, or whose browser blocks cookies, reads why in theirs."""
    message = _(
        "The page was open for too long, or your browser blocks cookies for this site. "
        "Go back, reload the page and send it again."
    )
    if _is_api(request):
        return JsonResponse({"detail": message, "code": "csrf_failed"}, status=403)
    return render(request, "403_csrf.html", status=403)
