"""Reads for analysis: which runs and estimates a visitor may see."""

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from analysis.models import AnalysisRun, Estimate, SurveyRound
from org.permissions import Capability, units_in_scope


def _published_or_in_scope(user: Any, prefix: str = "") -> Q:
    """Published rounds for everyone; unpublished ones for those whose UNPUBLISHED scope
    contains the round's scope unit."""
    published = Q(**{f"{prefix}published": True})
    scope = units_in_scope(user, Capability.UNPUBLISHED)
    if scope.everything:
        return Q()
    return published | Q(**{f"{prefix}scope__in": scope.unit_ids}) if scope else published


def rounds_visible(*, user: Any) -> QuerySet[SurveyRound]:
    rounds = SurveyRound.objects.select_related("questionnaire", "scope")
    return rounds.filter(_published_or_in_scope(user))


def rounds_for_runs(*, user: Any) -> QuerySet[SurveyRound]:
    """Rounds whose runs the user may list and start (statisticians of the round's scope)."""
    return units_in_scope(user, Capability.RUNS).filter(SurveyRound.objects.all(), "scope")


def run_latest(*, survey_round: SurveyRound) -> AnalysisRun | None:
    return (
        survey_round.runs.filter(status=AnalysisRun.Status.SUCCEEDED)
        .order_by("-finished_at", "-pk")
        .first()
    )


def estimates_current(*, user: Any) -> QuerySet[Estimate]:
    """Estimates of each visible round's latest successful run."""
    newer = AnalysisRun.objects.filter(
        round=OuterRef("run__round"),
        status=AnalysisRun.Status.SUCCEEDED,
        finished_at__gt=OuterRef("run__finished_at"),
    )
    estimates = Estimate.objects.filter(run__status=AnalysisRun.Status.SUCCEEDED).exclude(
        Exists(newer)
    )
    estimates = estimates.filter(_published_or_in_scope(user, "run__round__"))
    # Suppressed cells (publication rule) are stored for statisticians, never public.
    seeing = units_in_scope(user, Capability.UNPUBLISHED)
    if not seeing.everything:
        hidden = Q(suppressed=True) & ~Q(run__round__scope__in=seeing.unit_ids)
        estimates = estimates.exclude(hidden) if seeing else estimates.exclude(suppressed=True)
    return estimates.select_related("run__round", "unit__level").order_by(
        "run__round__code", "unit__level__rank", "unit__code", "component"
    )
