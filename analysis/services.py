"""Writes for analysis: start a run, follow its stages, store what it computed."""

import hashlib
import json
import time
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone

from analysis.compute import Computed
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
    computed: Computed,
    n_responses: int,
    inputs: dict[str, str],
    store_started: float | None = None,
) -> int:
    """Replace the run's estimates (so a retried task stores them once) and close the run,
    in one transaction: a worker killed mid-store leaves the earlier state whole.

    Profile-variable domains are stored on the round's scope unit.
    """
    run.estimates.all().delete()
    scope_id = run.round.scope_id
    rows = [
        Estimate(
            run=run,
            statistic=row.statistic,
            component=row.item,
            unit_id=int(row.domain_value) if row.domain_variable == "unit" else scope_id,
            domain_variable=row.domain_variable,
            domain_value="" if row.domain_variable == "unit" else row.domain_value[:200],
            estimate=row.estimate,
            se=_finite(row.se, 0.0),
            ci_low=_finite(row.ci_low, row.estimate),
            ci_high=_finite(row.ci_high, row.estimate),
            ci_method=row.ci_method,
            df=_finite(row.df),
            n=row.n,
            n_effective=_finite(row.n_effective),
            deff=_finite(row.deff),
            unweighted=_finite(row.unweighted),
            suppressed=row.suppressed,
            suppressed_reason=row.reason[:200],
        )
        for row in computed.rows
    ]
    Estimate.objects.bulk_create(rows, batch_size=2000)
    run.status = AnalysisRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.n_responses = n_responses
    run.inputs = inputs
    run.fingerprint = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    run.error = ""
    run.stage, run.progress = "", 100
    run.diagnostics = computed.diagnostics
    if store_started is not None:
        run.timings = {**run.timings, "store": round(time.perf_counter() - store_started, 3)}
    run.save(
        update_fields=[
            "status",
            "finished_at",
            "n_responses",
            "fingerprint",
            "inputs",
            "error",
            "stage",
            "progress",
            "timings",
            "diagnostics",
        ]
    )
    return len(rows)


def _finite(value: float, default: float | None = None) -> float | None:
    """NaN and infinities are not numbers a database column or a reader should get."""
    return float(value) if np.isfinite(value) else default


@transaction.atomic
def round_instrument_update(
    *, survey_round: SurveyRound, changes: dict[str, Any], actor: Any = None, reason: str = ""
) -> SurveyRound:
    """Replace parts of a round's instrument (already validated), audited old → new."""
    fields = [f for f in ("sample_plan", "weighting", "estimation", "publication") if f in changes]
    before = {f: getattr(survey_round, f) for f in fields}
    for name in fields:
        setattr(survey_round, name, changes[name])
    survey_round.save(update_fields=fields)
    audit_record(
        actor=actor,
        action=Action.ROUND_CONFIG,
        obj=survey_round,
        before=before,
        after={f: changes[f] for f in fields},
        reason=reason,
        unit=survey_round.scope,
    )
    return survey_round


def analysis_run_fail(*, run_id: int, error: str) -> None:
    AnalysisRun.objects.filter(pk=run_id).update(
        status=AnalysisRun.Status.FAILED, error=error[:5000], finished_at=timezone.now()
    )
