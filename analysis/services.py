"""Writes for analysis: start a run, store what it computed."""

import numpy as np
from django.db import transaction
from django.utils import timezone

from analysis.element_index import UnitEstimates
from analysis.models import AnalysisRun, Estimate, SurveyRound
from outbox.services import outbox_enqueue


@transaction.atomic
def analysis_run_start(*, survey_round: SurveyRound) -> AnalysisRun:
    """Queue a run of the round's analysis; the Celery task is published after commit
    (through the outbox, so a broker that is down delays the run but never loses it)."""
    from analysis.tasks import analysis_run_execute

    run = AnalysisRun.objects.create(round=survey_round)
    outbox_enqueue(analysis_run_execute.name, run.pk)
    return run


@transaction.atomic
def analysis_run_store(
    *,
    run: AnalysisRun,
    components: list[str],
    result: UnitEstimates,
    n_responses: int,
    fingerprint: str,
) -> int:
    """Replace the run's estimates (so a retried task stores them once) and close the run."""
    run.estimates.all().delete()
    rows = [
        Estimate(
            run=run,
            unit_id=int(unit),
            component=component,
            estimate=float(result.estimate[i, j]),
            se=float(result.se[i, j]),
            ci_low=float(result.ci_low[i, j]),
            ci_high=float(result.ci_high[i, j]),
            n=int(result.n[i, j]),
        )
        for i, unit in enumerate(result.domains.tolist())
        for j, component in enumerate(components)
        if np.isfinite(result.estimate[i, j])
    ]
    Estimate.objects.bulk_create(rows, batch_size=2000)
    run.status = AnalysisRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.n_responses = n_responses
    run.fingerprint = fingerprint
    run.error = ""
    run.save(update_fields=["status", "finished_at", "n_responses", "fingerprint", "error"])
    return len(rows)


def analysis_run_fail(*, run_id: int, error: str) -> None:
    AnalysisRun.objects.filter(pk=run_id).update(
        status=AnalysisRun.Status.FAILED, error=error[:5000], finished_at=timezone.now()
    )
