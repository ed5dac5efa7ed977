from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from org.management.base import StaffCommand
from org.models import AdministrativeUnit
from survey.services import api_client_create


class Command(StaffCommand):
    help = _("Create an API key for a one-stop-shop system, scoped to units (and below them).")

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("name")
        parser.add_argument("units", nargs="+", help=_("unit codes"))

    def handle(self, *args: object, **options: object) -> None:
        codes = list(options["units"])  # type: ignore[call-overload]
        units = list(AdministrativeUnit.objects.filter(code__in=codes))
        missing = set(codes) - {u.code for u in units}
        if missing:
            raise CommandError(
                _("Unknown administrative units: %(codes)s")
                % {"codes": ", ".join(sorted(missing))},
                returncode=2,
            )
        client, key = api_client_create(
            name=str(options["name"]), units=units, actor="manage.py survey_api_client"
        )
        self.stdout.write(
            _("API client %(id)s: %(key)s\n(shown only once: store it now)")
            % {"id": client.pk, "key": key}
        )
