from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from org.management.base import StaffCommand
from org.management.commands import _membership
from org.services import membership_revoke


class Command(StaffCommand):
    help = _("Take ROLE over UNIT_CODE away from USERNAME (idempotent, audited).")

    def add_arguments(self, parser: CommandParser) -> None:
        _membership.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        user, role, unit = _membership.resolve(options)
        removed = membership_revoke(
            user=user, role=role, unit=unit, actor="manage.py revoke", reason=options["reason"]
        )
        message = (
            _("Revoked: %(user)s is no longer %(role)s of %(unit)s.")
            if removed
            else _("Nothing to revoke: %(user)s is not %(role)s of %(unit)s.")
        )
        self.stdout.write(
            message % {"user": user.get_username(), "role": role.label, "unit": unit.code}
        )
