from django.core.management.base import BaseCommand

from analysis.demo import demo_open_link


class Command(BaseCommand):
    help = "Print the path of an unanswered demo survey link."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(demo_open_link() or "/")
