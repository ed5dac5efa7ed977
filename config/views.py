from functools import cache

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static

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
