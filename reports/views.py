"""Report pages: ask for one, watch its progress, download it."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from reports.registry import kind_get
from reports.selectors import report_for_user, reports_of
from reports.services import report_request


def _status(job: Any) -> dict[str, Any]:
    return {
        "id": str(job.pk),
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "progress": job.progress,
        "stage": job.stage,
        "error": job.error,
        "download_url": reverse("reports:download", args=[job.pk]) if job.file else None,
    }


@login_required
@require_POST
def report_new(request: HttpRequest, kind: str) -> HttpResponse:
    """Ask for a report; the form's fields (but the CSRF token) are its parameters."""
    try:
        kind_get(kind)
    except LookupError:
        raise Http404 from None
    params = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    try:
        job = report_request(
            user=request.user, kind=kind, params=params, language=request.LANGUAGE_CODE
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        return render(request, "reports/invalid.html", {"errors": error.messages}, status=400)
    return redirect("reports:job", job_id=job.pk)


@login_required
@require_GET
def report_page(request: HttpRequest, job_id: Any) -> HttpResponse:
    job = report_for_user(user=request.user, job_id=job_id)
    return render(
        request,
        "reports/job.html",
        {"job": job, "status": _status(job), "recent": reports_of(user=request.user)},
    )


@login_required
@require_GET
def report_status(request: HttpRequest, job_id: Any) -> JsonResponse:
    job = report_for_user(user=request.user, job_id=job_id)
    return JsonResponse(_status(job))


@login_required
@require_GET
def report_download(request: HttpRequest, job_id: Any) -> FileResponse:
    job = report_for_user(user=request.user, job_id=job_id)
    if not job.file:
        raise Http404
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=job.filename,
        content_type=job.content_type,
    )
