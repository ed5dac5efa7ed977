"""Writes for analysis: start a run, store what it computed."""

from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from analysis.element_index import UnitEstimates
from analysis.models import AnalysisRun, Estimate, SurveyRound
from org.services import Action, audit_record


@transaction.atomic
def analysis_run_start(
    *, survey_round: SurveyRound, actor: Any = None, reason: str = ""
) -> AnalysisRun:
    """Queue a run of the round's analysis; the Celery task starts after commit.
    ``actor`` (a user or a command's name) goes to the audit log."""
    from analysis.tasks import analysis_run_execute

    run = AnalysisRun.objects.create(round=survey_round)
    audit_record(
        actor=actor,
        action=Action.RUN_START,
        obj=run,
        after={"round": survey_round.code, "run": run.pk},
        reason=reason,
        unit=survey_round.scope,
    )
    transaction.on_commit(lambda: analysis_run_execute.delay(run.pk))
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
