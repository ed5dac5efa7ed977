"""Reads for analysis: which runs and estimates a visitor may see."""

from django.db.models import Exists, OuterRef, QuerySet

from analysis.models import AnalysisRun, Estimate, SurveyRound


def rounds_visible(*, staff: bool) -> QuerySet[SurveyRound]:
    rounds = SurveyRound.objects.select_related("questionnaire", "scope")
    return rounds if staff else rounds.filter(published=True)


def run_latest(*, survey_round: SurveyRound) -> AnalysisRun | None:
    return (
        survey_round.runs.filter(status=AnalysisRun.Status.SUCCEEDED)
        .order_by("-finished_at", "-pk")
        .first()
    )


def estimates_current(*, staff: bool) -> QuerySet[Estimate]:
    """Estimates of each visible round's latest successful run."""
    newer = AnalysisRun.objects.filter(
        round=OuterRef("run__round"),
        status=AnalysisRun.Status.SUCCEEDED,
        finished_at__gt=OuterRef("run__finished_at"),
    )
    estimates = Estimate.objects.filter(run__status=AnalysisRun.Status.SUCCEEDED).exclude(
        Exists(newer)
    )
    if not staff:
        estimates = estimates.filter(run__round__published=True)
    return estimates.select_related("run__round", "unit__level").order_by(
        "run__round__code", "unit__level__rank", "unit__code", "component"
    )
