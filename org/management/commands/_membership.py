"""What grant and revoke share: look up USERNAME ROLE UNIT_CODE or fail with exit code 2."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from org.models import AdministrativeUnit, Role


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("username")
    parser.add_argument("role", help=", ".join(Role.values))
    parser.add_argument("unit_code")
    parser.add_argument("--reason", default="", help=_("why (kept in the audit log)"))


def resolve(options: dict[str, Any]) -> tuple[Any, Role, AdministrativeUnit]:
    """The user, role and unit named on the command line; CommandError(returncode=2)
    naming what is unknown, before anything is written."""
    user = get_user_model().objects.filter(username=options["username"]).first()
    if user is None:
        raise CommandError(
            _("Unknown user: %(name)s") % {"name": options["username"]}, returncode=2
        )
    if options["role"] not in Role.values:
        raise CommandError(
            _("Unknown role: %(role)s (one of: %(roles)s)")
            % {"role": options["role"], "roles": ", ".join(Role.values)},
            returncode=2,
        )
    unit = AdministrativeUnit.objects.filter(code=options["unit_code"]).first()
    if unit is None:
        raise CommandError(
            _("Unknown administrative unit: %(code)s") % {"code": options["unit_code"]},
            returncode=2,
        )
    return user, Role(options["role"]), unit
