from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReformConfig(AppConfig):
    name = "reform"
    verbose_name = _("Reform index")

    def ready(self) -> None:
        from reform.reports import report_kinds_register

        report_kinds_register()
