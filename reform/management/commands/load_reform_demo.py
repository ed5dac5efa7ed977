from django.core.management.base import BaseCommand, CommandError

from org.models import AdministrativeUnit
from reform.demo import ROUND, reform_demo_load


class Command(BaseCommand):
    help = "Load the reform-index demo (after load_demo): frameworks, a round, scores."

    def handle(self, *args: object, **options: object) -> None:
        try:
            summary = reform_demo_load()
        except AdministrativeUnit.DoesNotExist:
            raise CommandError("Run manage.py load_demo first.", returncode=2) from None
        self.stdout.write(
            f"Reform index: {summary['survey_points']} survey-based points, "
            f"{summary['scores']} new scores; ranking at /index/{ROUND}/"
        )
