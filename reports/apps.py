from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        # The outbox publishes tasks by name: a web process must have imported the task
        # for eager mode (no broker) to run it in process; otherwise Celery's send_task
        # ignores task_always_eager and the report stays "queued" for ever.
        from reports import tasks  # noqa: F401
