from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from org.management.base import StaffCommand
from reform.models import ScoringRound
from reform.services import survey_points_refresh


class Command(StaffCommand):
    help = (
        "Convert the published estimates of a scoring round's survey (its latest successful "
        "run) into the points of its survey-based criteria."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("round", help="the scoring round's code")

    def handle(self, *args: object, round: str, **options: object) -> None:
        scoring_round = ScoringRound.objects.filter(code=round).first()
        if scoring_round is None:
            raise CommandError(_("No scoring round %(code)s") % {"code": round}, returncode=2)
        written = survey_points_refresh(
            scoring_round=scoring_round, actor="manage.py index_survey_points"
        )
        self.stdout.write(_("%(count)d survey-based points written") % {"count": written})
