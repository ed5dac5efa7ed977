"""Reads of reports: a job its reader may see (the requester, still allowed; or a sysadmin)."""

from typing import Any

from django.http import Http404

from org.permissions import is_system_admin
from reports.models import ReportJob
from reports.registry import kind_get


def report_for_user(*, user: Any, job_id: Any) -> ReportJob:
    """The job, or 404 — also when the reader lost access to what it shows."""
    job = ReportJob.objects.filter(pk=job_id).select_related("requested_by").first()
    if job is None or not user.is_authenticated:
        raise Http404
    mine = job.requested_by_id == user.pk or is_system_admin(user)
    try:
        allowed = kind_get(job.kind).allowed(user, job.params)
    except LookupError:
        allowed = False
    if not (mine and allowed):
        raise Http404
    return job


def reports_of(*, user: Any, limit: int = 20) -> list[ReportJob]:
    return list(ReportJob.objects.filter(requested_by=user)[:limit])
