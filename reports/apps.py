from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        # Register the tasks with the Celery app in every process, not only in workers
        # (autodiscovery runs when a worker starts): with eager Celery (no broker) the
        # outbox runs a task by name in the web process, which must know it.
        from reports import tasks  # noqa: F401
