from django.utils.translation import gettext as _

from org.management.base import StaffCommand
from survey.invitations import reminders_send


class Command(StaffCommand):
    help = _("Send the reminders due to firms that have not answered their invitation.")

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(_("%(n)s reminder(s) sent") % {"n": reminders_send()})
