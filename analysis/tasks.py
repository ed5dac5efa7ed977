"""Celery tasks: load, call, store. Idempotent: re-running a run replaces its estimates,
and a redelivered task of a finished run does nothing."""

import time

from celery import shared_task

from analysis.element_index import ancestor_levels, element_indices
from analysis.extracts import extract_refresh
from analysis.loaders import round_load, round_versions
from analysis.services import (
    analysis_run_begin,
    analysis_run_fail,
    analysis_run_progress,
    analysis_run_store,
)

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
        data = round_load(run.round)
        stages.enter("compute")
        levels = ancestor_levels(data.leaf_unit, data.unit_parent, stop_at=run.round.scope_id)
        result = element_indices(
            satisfied=data.satisfied,
            valid=data.valid,
            cell=data.cell,
            cell_population=data.cell_population,
            levels=levels,
        )
        stages.enter("store")
    except Exception as error:
        analysis_run_fail(run_id=run_id, error=repr(error))
        raise
    run.timings = stages.timings  # "store" is added by the service, inside its transaction
    return analysis_run_store(
        run=run,
        components=data.components,
        result=result,
        n_responses=len(data.leaf_unit),
        fingerprint=data.fingerprint,
        store_started=stages.since,
    )
