from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from org.management.base import StaffCommand
from questionnaires.services import (
    library_definition,
    questionnaire_publish,
    questionnaire_save_draft,
)


class Command(StaffCommand):
    help = _("Load a questionnaire template from questionnaires/library/ (e.g. sipas).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help=_("template name, e.g. sipas"))
        parser.add_argument("--publish", action="store_true", help=_("publish a frozen version"))

    def handle(self, *args: object, name: str, publish: bool, **options: object) -> None:
        try:
            questionnaire = questionnaire_save_draft(definition=library_definition(name))
            self.stdout.write(_("Loaded questionnaire %(code)s") % {"code": questionnaire.code})
            if publish:
                version = questionnaire_publish(questionnaire=questionnaire)
                self.stdout.write(
                    _("Published version %(n)s (%(hash)s)")
                    % {"n": version.number, "hash": version.content_hash[:12]}
                )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages), returncode=2) from error
