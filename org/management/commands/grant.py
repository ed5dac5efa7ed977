from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from org.management.base import StaffCommand
from org.management.commands import _membership
from org.services import membership_grant


class Command(StaffCommand):
    help = _("Give USERNAME the ROLE over UNIT_CODE and its subtree (idempotent, audited).")

    def add_arguments(self, parser: CommandParser) -> None:
        _membership.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        user, role, unit = _membership.resolve(options)
        created = membership_grant(
            user=user, role=role, unit=unit, actor="manage.py grant", reason=options["reason"]
        )[1]
        message = (
            _("Granted: %(user)s is %(role)s of %(unit)s.")
            if created
            else _("Already granted: %(user)s is %(role)s of %(unit)s.")
        )
        self.stdout.write(
            message % {"user": user.get_username(), "role": role.label, "unit": unit.code}
        )
