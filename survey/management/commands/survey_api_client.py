from django.core.management.base import BaseCommand, CommandError

from org.models import AdministrativeUnit
from survey.services import api_client_create


class Command(BaseCommand):
    help = "Create an API key for a one-stop-shop system, scoped to units (and below them)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("name")
        parser.add_argument("units", nargs="+", help="unit codes")

    def handle(self, *args: object, **options: object) -> None:
        codes = list(options["units"])  # type: ignore[call-overload]
        units = list(AdministrativeUnit.objects.filter(code__in=codes))
        missing = set(codes) - {u.code for u in units}
        if missing:
            raise CommandError(f"unknown units: {', '.join(sorted(missing))}")
        client, key = api_client_create(
            name=str(options["name"]), units=units, actor="manage.py survey_api_client"
        )
        self.stdout.write(f"client {client.pk}: {key}\n(shown once: store it now)")
