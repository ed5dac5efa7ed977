"""Writes for analysis: start a run, follow its stages, store what it computed."""

import time
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone

from analysis.element_index import UnitEstimates
from analysis.models import AnalysisRun, Estimate, SurveyRound
from org.services import Action, audit_record
from outbox.services import outbox_enqueue


class RunInProgress(Exception):
    """The round already has a run queued or running."""

    def __init__(self, run: AnalysisRun) -> None:
        super().__init__(f"run {run.pk} of {run.round.code} is {run.status}")
        self.run = run


def analysis_run_start(
    *, survey_round: SurveyRound, actor: Any = None, reason: str = ""
) -> AnalysisRun:
    """Queue a run of the round's analysis; the Celery task is published after commit
    (through the outbox, so a broker that is down delays the run but never loses it).

    Raises RunInProgress when the round has an unfinished run (two concurrent starts
    meet the database's unique constraint: one wins, the other gets this error).
    ``actor`` (a user or a command's name) goes to the audit log.
    """
    from analysis.tasks import analysis_run_execute

    try:
        with transaction.atomic():
            run = AnalysisRun.objects.create(round=survey_round)
            audit_record(
                actor=actor,
                action=Action.RUN_START,
                obj=run,
                after={"round": survey_round.code, "run": run.pk},
                reason=reason,
                unit=survey_round.scope,
            )
            outbox_enqueue(analysis_run_execute.name, run.pk)
    except IntegrityError:
        active = AnalysisRun.objects.filter(
            round=survey_round, status__in=AnalysisRun.ACTIVE
        ).first()
        if active is None:
            raise
        raise RunInProgress(active) from None
    return run


@transaction.atomic
def analysis_run_begin(*, run_id: int) -> AnalysisRun | None:
    """Claim a run for this attempt; None when it has already finished (a redelivered
    task of a finished run does nothing). A second attempt is "retrying"."""
    run = AnalysisRun.objects.select_for_update().select_related("round").get(pk=run_id)
    if run.status in {AnalysisRun.Status.SUCCEEDED, AnalysisRun.Status.FAILED}:
        return None
    run.attempts += 1
    run.status = AnalysisRun.Status.RUNNING if run.attempts == 1 else AnalysisRun.Status.RETRYING
    run.started_at = timezone.now()
    run.stage, run.progress, run.timings = "", 0, {}
    run.save(update_fields=["attempts", "status", "started_at", "stage", "progress", "timings"])
    return run


def analysis_run_progress(
    *, run_id: int, stage: str, progress: int, timings: dict[str, float]
) -> None:
    """Record the stage a run has reached (its own small write, visible at once)."""
    AnalysisRun.objects.filter(pk=run_id, status__in=AnalysisRun.ACTIVE).update(
        stage=stage, progress=progress, timings=timings
    )


@transaction.atomic
def analysis_run_store(
    *,
    run: AnalysisRun,
    components: list[str],
    result: UnitEstimates,
    n_responses: int,
    fingerprint: str,
    store_started: float | None = None,
) -> int:
    """Replace the run's estimates (so a retried task stores them once) and close the run,
    in one transaction: a worker killed mid-store leaves the earlier state whole."""
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
    run.stage, run.progress = "", 100
    if store_started is not None:
        run.timings = {**run.timings, "store": round(time.perf_counter() - store_started, 3)}
    run.save(
        update_fields=[
            "status",
            "finished_at",
            "n_responses",
            "fingerprint",
            "error",
            "stage",
            "progress",
            "timings",
        ]
    )
    return len(rows)


def analysis_run_fail(*, run_id: int, error: str) -> None:
    AnalysisRun.objects.filter(pk=run_id).update(
        status=AnalysisRun.Status.FAILED, error=error[:5000], finished_at=timezone.now()
    )
