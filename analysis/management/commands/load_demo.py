import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analysis.demo import EARLIER_ROUND_CODE, ROUND_CODE, demo_load
from analysis.models import AnalysisRun, SurveyRound
from analysis.selectors import run_latest
from analysis.services import analysis_run_start


class Command(BaseCommand):
    FINISHED = frozenset({AnalysisRun.Status.SUCCEEDED, AnalysisRun.Status.FAILED})
    help = (
        "Load the demo province, SIPAS questionnaire, transactions and responses; run the analysis."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--transactions", type=int, default=4000)
        parser.add_argument(
            "--wait", type=float, default=120, help="seconds to wait for the analysis run"
        )

    def handle(self, *args: object, transactions: int, wait: float, **options: object) -> None:
        started = time.perf_counter()
        summary = demo_load(transactions=transactions)
        self.stdout.write(
            f"Demo: {summary['units']} units, {summary['transactions']} transactions, "
            f"{summary['responses']} responses"
        )
        for code in (EARLIER_ROUND_CODE, ROUND_CODE):
            self._analyse(SurveyRound.objects.get(code=code), wait)
        self.stdout.write(f"Done in {time.perf_counter() - started:.1f} s")

    def _analyse(self, survey_round: SurveyRound, wait: float) -> None:
        if run_latest(survey_round=survey_round) is None:
            run = analysis_run_start(survey_round=survey_round, actor="manage.py load_demo")
            self.stdout.write(f"Analysis run {run.pk} started")
            deadline = time.monotonic() + wait
            while run.status not in self.FINISHED and time.monotonic() < deadline:
                time.sleep(0.2)
                run.refresh_from_db()
            if run.status == AnalysisRun.Status.SUCCEEDED:
                self.stdout.write(f"Analysis: {run.estimates.count()} estimates stored")
            elif run.status == AnalysisRun.Status.FAILED:
                raise CommandError(f"Analysis run {run.pk} failed: {run.error}")
            else:
                self.stdout.write(f"Analysis run {run.pk} is still {run.status} (is a worker up?)")
