"""python manage.py import_questionnaire PATH [--publish]

Imports a questionnaire from our JSON format or an XLSForm workbook. On success it says
what it created; on an invalid file it prints every problem (with its row or question
code) and exits with code 2 having created nothing.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from org.management.base import StaffCommand
from questionnaires.definition import iter_questions
from questionnaires.models import Questionnaire
from questionnaires.transfer import import_path, import_save
from questionnaires.validation import ERROR


class Command(StaffCommand):
    help = _("Import a questionnaire from a JSON definition or an XLSForm (.xlsx) file.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help=_("a .json or .xlsx file"))
        parser.add_argument("--publish", action="store_true", help=_("publish a frozen version"))

    def handle(self, *args: object, path: Path, publish: bool, **options: object) -> None:
        result = import_path(path)
        errors = [p for p in result.problems if p.severity == ERROR]
        notes = [p for p in result.problems if p.severity != ERROR]
        for problem in notes:
            self.stdout.write(f"{problem.severity_label}: {problem}")
        if errors or result.definition is None:
            for problem in errors:
                self.stderr.write(f"{problem.severity_label}: {problem}")
            raise CommandError(
                _("%(path)s is not a valid questionnaire: %(n)s problem(s); nothing was created.")
                % {"path": path, "n": len(errors)},
                returncode=2,
            )
        existed = Questionnaire.objects.filter(code=result.definition["code"]).exists()
        try:
            questionnaire, version = import_save(result, publish=publish)
        except ValidationError as error:
            for message in error.messages:
                self.stderr.write(_("error: %(message)s") % {"message": message})
            raise CommandError(_("nothing was created"), returncode=2) from error
        definition = questionnaire.draft
        sections = definition.get("sections", [])
        questions = list(iter_questions(definition))
        self.stdout.write(
            (
                _("Updated the draft of questionnaire %(code)s")
                if existed
                else _("Created questionnaire %(code)s")
            )
            % {"code": questionnaire.code}
        )
        self.stdout.write(
            _(
                "%(questions)s questions in %(sections)s sections (%(names)s); languages: "
                "%(languages)s; %(calculations)s calculated values"
            )
            % {
                "questions": len(questions),
                "sections": len(sections),
                "names": ", ".join(s["code"] for s in sections),
                "languages": ", ".join(definition.get("languages") or ["vi"]),
                "calculations": len(definition.get("calculations", [])),
            }
        )
        if version is not None:
            self.stdout.write(
                _("Published version %(n)s (%(hash)s)")
                % {"n": version.number, "hash": version.content_hash[:12]}
            )
