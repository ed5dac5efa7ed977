"""Writes of reports: ask for one (checked, queued through the outbox), build it, purge old ones."""

import datetime
import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from outbox.services import outbox_enqueue
from reports.models import ReportJob
from reports.registry import kind_get

logger = logging.getLogger(__name__)
Status = ReportJob.Status


@transaction.atomic
def report_request(
    *, user: Any, kind: str, params: Mapping[str, Any], language: str | None = None
) -> ReportJob:
    """Check, record and queue a report; the task builds it after commit.

    Raises PermissionDenied when the user may not see what the report shows, and
    django's ValidationError for bad parameters; nothing is written then.
    """
    report_kind = kind_get(kind)
    cleaned = report_kind.clean(params)
    if not report_kind.allowed(user, cleaned):
        raise PermissionDenied
    job = ReportJob(
        kind=kind,
        params=cleaned,
        title=report_kind.title(cleaned)[:300],
        requested_by=user,
        language=language or translation.get_language() or settings.LANGUAGE_CODE,
    )
    job.full_clean()
    job.save()
    outbox_enqueue("reports.tasks.report_build", str(job.pk))
    return job


def report_progress(*, job_id: str, percent: int, stage: str = "") -> None:
    """Saved at once (outside the build's transaction) so the page can show it live."""
    ReportJob.objects.filter(pk=job_id).update(
        progress=max(0, min(100, percent)), stage=stage[:200]
    )


def report_build(*, job_id: str, redelivered: bool = False) -> ReportJob | None:
    """Build one job; idempotent (a finished job is left alone, a redelivered one restarts)."""
    job = ReportJob.objects.filter(pk=job_id).first()
    if job is None or job.status == Status.SUCCEEDED:
        return job
    kind = kind_get(job.kind)
    status = Status.RETRYING if (redelivered or job.attempts) else Status.RUNNING
    ReportJob.objects.filter(pk=job.pk).update(
        status=status,
        attempts=job.attempts + 1,
        started_at=timezone.now(),
        progress=0,
        error="",
    )

    def progress(percent: int, stage: str = "") -> None:
        report_progress(job_id=str(job.pk), percent=percent, stage=stage)

    try:
        with translation.override(job.language):
            built = kind.build(job.params, progress)
    except Exception as error:
        logger.exception("report %s (%s) failed", job.pk, job.kind)
        ReportJob.objects.filter(pk=job.pk).update(
            status=Status.FAILED,
            finished_at=timezone.now(),
            error=(_("The report could not be built: %(error)s") % {"error": error})[:1000],
        )
        job.refresh_from_db()
        return job
    with transaction.atomic():
        job = ReportJob.objects.select_for_update().get(pk=job.pk)
        if job.file:
            job.file.delete(save=False)
        job.file.save(built.filename, ContentFile(built.content), save=False)
        job.filename = built.filename
        job.content_type = built.content_type
        job.size = len(built.content)
        job.status = Status.SUCCEEDED
        job.progress = 100
        job.stage = ""
        job.finished_at = timezone.now()
        job.save()
    return job


def reports_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete reports (and their files) older than REPORTS_KEEP_DAYS; returns the count."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.REPORTS_KEEP_DAYS)
    count = 0
    for job in ReportJob.objects.filter(created_at__lt=cutoff).iterator():
        if job.file:
            job.file.delete(save=False)
        job.delete()
        count += 1
    return count
