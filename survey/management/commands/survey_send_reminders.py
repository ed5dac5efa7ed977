from django.core.management.base import BaseCommand

from survey.invitations import reminders_send


class Command(BaseCommand):
    help = "Send the reminders due to firms that have not answered their invitation."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(f"{reminders_send()} reminder(s) sent")
