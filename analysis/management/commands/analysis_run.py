import time

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from analysis.models import AnalysisRun, SurveyRound
from analysis.services import RunInProgress, analysis_run_start
from org.management.base import StaffCommand


class Command(StaffCommand):
    help = "Start an analysis run of a survey round and wait for its result."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("round", help="the round's code")
        parser.add_argument("--wait", type=float, default=600, help="seconds to wait (0: don't)")

    def handle(self, *args: object, round: str, wait: float, **options: object) -> None:
        survey_round = SurveyRound.objects.filter(code=round).first()
        if survey_round is None:
            codes = ", ".join(SurveyRound.objects.values_list("code", flat=True)) or "—"
            raise CommandError(
                _("No survey round %(code)s (rounds: %(codes)s)") % {"code": round, "codes": codes},
                returncode=2,
            )
        try:
            run = analysis_run_start(survey_round=survey_round, actor="manage.py analysis_run")
        except RunInProgress as busy:
            raise CommandError(
                _("Round %(code)s already has run %(run)s (%(status)s)")
                % {"code": round, "run": busy.run.pk, "status": busy.run.get_status_display()}
            ) from None
        deadline = time.monotonic() + wait
        finished = {AnalysisRun.Status.SUCCEEDED, AnalysisRun.Status.FAILED}
        while run.status not in finished and time.monotonic() < deadline:
            time.sleep(0.2)
            run.refresh_from_db()
        if run.status == AnalysisRun.Status.FAILED:
            raise CommandError(
                _("Run %(run)s failed: %(error)s") % {"run": run.pk, "error": run.error}
            )
        self.stdout.write(
            _("Run %(run)s: %(status)s, %(n)s responses, %(estimates)s estimates")
            % {
                "run": run.pk,
                "status": run.get_status_display(),
                "n": run.n_responses,
                "estimates": run.estimates.count(),
            }
        )
