import json

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from org.management.base import StaffCommand
from reform.catalog import SHIPPED_DIR, shipped_codes
from reform.models import Framework
from reform.services import framework_import


class Command(StaffCommand):
    help = (
        "Load the shipped reform-index frameworks (reform/frameworks/*.json); frozen ones are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("codes", nargs="*", help="only these (default: all shipped)")

    def handle(self, *args: object, codes: list[str], **options: object) -> None:
        for code in codes or shipped_codes():
            if code not in shipped_codes():
                raise CommandError(
                    _("No shipped framework %(code)s") % {"code": code}, returncode=2
                )
            if Framework.objects.filter(code=code, frozen=True).exists():
                self.stdout.write(_("%(code)s: frozen, kept") % {"code": code})
                continue
            data = json.loads((SHIPPED_DIR / f"{code}.json").read_text(encoding="utf-8"))
            try:
                framework = framework_import(data=data, actor="manage.py load_frameworks")
            except ValidationError as invalid:
                raise CommandError("; ".join(invalid.messages), returncode=2) from None
            self.stdout.write(
                _("%(code)s: %(count)d criteria")
                % {"code": code, "count": framework.criteria.count()}
            )
