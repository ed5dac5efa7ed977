from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from config.workspace import workspace_memberships, workspace_sections


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


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for docker-compose and load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
