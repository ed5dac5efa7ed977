"""Celery tasks: load, call, store. Idempotent: re-running a run replaces its estimates."""

from celery import shared_task

from analysis.element_index import ancestor_levels, element_indices
from analysis.extracts import extract_refresh
from analysis.loaders import round_load, round_versions
from analysis.models import AnalysisRun
from analysis.services import analysis_run_fail, analysis_run_store


@shared_task(bind=True, acks_late=True, max_retries=3, default_retry_delay=10, time_limit=3600)
def analysis_run_execute(self, run_id: int) -> int:
    """Compute the element indices of a run's round; returns the number of estimates."""
    run = AnalysisRun.objects.select_related("round").get(pk=run_id)
    AnalysisRun.objects.filter(pk=run_id).update(status=AnalysisRun.Status.RUNNING)
    try:
        for version in round_versions(run.round):
            extract_refresh(version=version)  # only the answers after the high-water mark
        data = round_load(run.round)
        levels = ancestor_levels(data.leaf_unit, data.unit_parent, stop_at=run.round.scope_id)
        result = element_indices(
            satisfied=data.satisfied,
            valid=data.valid,
            cell=data.cell,
            cell_population=data.cell_population,
            levels=levels,
        )
    except Exception as error:
        analysis_run_fail(run_id=run_id, error=repr(error))
        raise
    return analysis_run_store(
        run=run,
        components=data.components,
        result=result,
        n_responses=len(data.leaf_unit),
        fingerprint=data.fingerprint,
    )
