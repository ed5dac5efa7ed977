from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from questionnaires.services import (
    library_definition,
    questionnaire_publish,
    questionnaire_save_draft,
)


class Command(BaseCommand):
    help = "Load a questionnaire template from questionnaires/library/ (e.g. sipas)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="template name, e.g. sipas")
        parser.add_argument("--publish", action="store_true", help="publish a frozen version")

    def handle(self, *args: object, name: str, publish: bool, **options: object) -> None:
        try:
            questionnaire = questionnaire_save_draft(definition=library_definition(name))
            self.stdout.write(f"Loaded questionnaire {questionnaire.code}")
            if publish:
                version = questionnaire_publish(questionnaire=questionnaire)
                self.stdout.write(
                    f"Published version {version.number} ({version.content_hash[:12]})"
                )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages), returncode=2) from error
