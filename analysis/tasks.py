"""Celery tasks: load, call, store. Idempotent: re-running a run replaces its estimates,
and a redelivered task of a finished run does nothing."""

import hashlib
import json
import time
from typing import Any

from celery import shared_task
from django.utils import timezone

from analysis.compute import round_compute
from analysis.extracts import extract_refresh
from analysis.loaders import round_frame, round_load, round_margins, round_versions
from analysis.models import SurveyRound
from analysis.round_config import publication_of, scheme_of, spec_of, variables_needed
from analysis.services import (
    RunInProgress,
    analysis_run_begin,
    analysis_run_fail,
    analysis_run_progress,
    analysis_run_start,
    analysis_run_store,
)

# Part of every run's fingerprint: bump when the computation changes its numbers.
CODE_VERSION = "analysis-2"
# Stage → percent done when it starts.
STAGES = {"extract": 0, "load": 40, "compute": 60, "store": 90}


class _Stages:
    """Times each stage of an attempt and shows it on the run as it is entered."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.timings: dict[str, float] = {}
        self.current = ""
        self.since = time.perf_counter()

    def enter(self, name: str) -> None:
        self.close()
        self.current, self.since = name, time.perf_counter()
        analysis_run_progress(
            run_id=self.run_id, stage=name, progress=STAGES[name], timings=dict(self.timings)
        )

    def close(self) -> dict[str, float]:
        if self.current:
            self.timings[self.current] = round(time.perf_counter() - self.since, 3)
        return self.timings


@shared_task(bind=True, acks_late=True, max_retries=3, default_retry_delay=10, time_limit=3600)
def analysis_run_execute(self, run_id: int) -> int:
    """Compute the element indices of a run's round; returns the number of estimates."""
    run = analysis_run_begin(run_id=run_id)
    if run is None:
        return 0
    stages = _Stages(run_id)
    try:
        stages.enter("extract")
        for version in round_versions(run.round):
            extract_refresh(version=version)  # only the answers after the high-water mark
        stages.enter("load")
        scheme, spec = scheme_of(run.round), spec_of(run.round)
        data = round_load(run.round, variables_needed(scheme, spec))
        frame, margins = round_frame(run.round), round_margins(run.round)
        stages.enter("compute")
        computed = round_compute(
            data=data,
            frame=frame,
            margins=margins,
            scheme=scheme,
            spec=spec,
            publication=publication_of(run.round),
            scope_id=run.round.scope_id,
        )
        stages.enter("store")
    except Exception as error:
        analysis_run_fail(run_id=run_id, error=repr(error))
        raise
    run.timings = stages.timings  # "store" is added by the service, inside its transaction
    return analysis_run_store(
        run=run,
        computed=computed,
        n_responses=len(data.leaf_unit),
        inputs=run_inputs(data.fingerprint, frame, margins, scheme, spec, run.round),
        store_started=stages.since,
    )


def run_inputs(
    answers: str, frame: list, margins: dict, scheme: list, spec: dict, survey_round: Any
) -> dict[str, str]:
    """A hash of each input of a run: the answers read, frame, margins, scheme, spec,
    publication rule and the code version. The same inputs give the same estimates; two
    runs' inputs tell what changed between them."""
    parts = {
        "answers": answers,
        "frame": sorted([sorted(keys.items()), count] for keys, count in frame),
        "margins": margins,
        "scheme": scheme,
        "spec": spec,
        "publication": publication_of(survey_round),
        "code": CODE_VERSION,
    }
    return {
        name: hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[
            :16
        ]
        for name, value in parts.items()
    }


@shared_task(name="analysis.tasks.rounds_refresh", acks_late=True, time_limit=600)
def rounds_refresh() -> int:
    """Nightly (beat): a new run of every round open today; a round already running is
    left alone. Returns the number of runs started."""
    started = 0
    now = timezone.now()
    for survey_round in SurveyRound.objects.filter(period_start__lte=now, period_end__gte=now):
        try:
            analysis_run_start(survey_round=survey_round, actor="beat: nightly refresh")
            started += 1
        except RunInProgress:
            continue
    return started
