"""Publish the outbox's pending tasks (once, or every N seconds with --every)."""

import time
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from org.management.base import StaffCommand
from outbox.services import outbox_pending_count, outbox_relay


class Command(StaffCommand):
    help = _("Publish the tasks that the broker refused while it was down.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, default=0, help=_("repeat every N seconds"))

    def handle(self, *args: Any, every: float, **options: Any) -> None:
        while True:
            published = outbox_relay()
            self.stdout.write(
                _("%(published)d published, %(pending)d pending")
                % {"published": published, "pending": outbox_pending_count()}
            )
            if every <= 0:
                return
            time.sleep(every)
