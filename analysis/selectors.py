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


def estimates_visible(*, user: Any) -> QuerySet[Estimate]:
    """Estimates of successful runs of the rounds the user may see; suppressed cells
    (publication rule) only for those who may see the round unpublished."""
    estimates = Estimate.objects.filter(run__status=AnalysisRun.Status.SUCCEEDED)
    estimates = estimates.filter(_published_or_in_scope(user, "run__round__"))
    seeing = units_in_scope(user, Capability.UNPUBLISHED)
    if not seeing.everything:
        hidden = Q(suppressed=True) & ~Q(run__round__scope__in=seeing.unit_ids)
        estimates = estimates.exclude(hidden) if seeing else estimates.exclude(suppressed=True)
    return estimates.select_related("run__round", "unit__level").order_by(
        "run__round__code", "statistic", "unit__level__rank", "unit__code", "component"
    )


def estimates_current(*, user: Any) -> QuerySet[Estimate]:
    """Estimates of each visible round's latest successful run."""
    newer = AnalysisRun.objects.filter(
        round=OuterRef("run__round"),
        status=AnalysisRun.Status.SUCCEEDED,
        finished_at__gt=OuterRef("run__finished_at"),
    )
    return estimates_visible(user=user).exclude(Exists(newer))


def run_previous(*, run: AnalysisRun) -> AnalysisRun | None:
    """The round's latest successful run before ``run``."""
    return (
        AnalysisRun.objects.filter(
            round_id=run.round_id, status=AnalysisRun.Status.SUCCEEDED, pk__lt=run.pk
        )
        .order_by("-pk")
        .first()
    )


def runs_compare(*, run: AnalysisRun, earlier: AnalysisRun) -> dict[str, Any]:
    """What changed between two runs: which inputs, and each estimate that moved (by how
    much, and by how many of its standard errors), appeared or disappeared."""

    def key(e: Estimate) -> tuple[Any, ...]:
        return (e.statistic, e.component, e.unit.code, e.domain_variable, e.domain_value)

    fields = ("estimate", "se", "n", "suppressed")
    before = {key(e): e for e in earlier.estimates.select_related("unit")}
    rows, unchanged = [], 0
    for e in run.estimates.select_related("unit").order_by("statistic", "unit__code", "component"):
        old = before.pop(key(e), None)
        if old is not None and all(getattr(old, f) == getattr(e, f) for f in fields):
            unchanged += 1
            continue
        delta = None if old is None else e.estimate - old.estimate
        rows.append(
            {
                "statistic": e.statistic,
                "component": e.component,
                "unit": e.unit.code,
                "domain_variable": e.domain_variable,
                "domain_value": e.domain_value,
                "before": None if old is None else old.estimate,
                "after": e.estimate,
                "delta": delta,
                "delta_in_se": delta / e.se if delta is not None and e.se > 0 else None,
                "n_before": None if old is None else old.n,
                "n_after": e.n,
            }
        )
    for (statistic, component, unit, variable, value), old in sorted(before.items()):
        rows.append(
            {
                "statistic": statistic,
                "component": component,
                "unit": unit,
                "domain_variable": variable,
                "domain_value": value,
                "before": old.estimate,
                "after": None,
                "delta": None,
                "delta_in_se": None,
                "n_before": old.n,
                "n_after": None,
            }
        )
    inputs = sorted(set(run.inputs) | set(earlier.inputs))
    return {
        "run": run.pk,
        "earlier": earlier.pk,
        "inputs_changed": [k for k in inputs if run.inputs.get(k) != earlier.inputs.get(k)],
        "unchanged": unchanged,
        "changed": rows,
    }
