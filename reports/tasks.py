"""Celery: build a report (load, call the kind's builder, store the file)."""

from celery import shared_task

from reports.services import report_build, reports_purge


@shared_task(
    bind=True,
    name="reports.tasks.report_build",
    acks_late=True,
    soft_time_limit=1200,
    time_limit=1300,
)
def report_build_task(self, job_id: str) -> str | None:  # type: ignore[no-untyped-def]
    redelivered = bool(self.request.delivery_info and self.request.delivery_info.get("redelivered"))
    job = report_build(job_id=job_id, redelivered=redelivered)
    return job.status if job else None


@shared_task(name="reports.tasks.reports_purge", acks_late=True, time_limit=600)
def reports_purge_task() -> int:
    return reports_purge()
