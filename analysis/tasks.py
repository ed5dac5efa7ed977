"""Celery tasks: load, call, store. Idempotent: re-running a run replaces its estimates,
and a redelivered task of a finished run does nothing."""

import hashlib
import json
import time
from typing import Any

import numpy as np
from celery import chord, group, shared_task
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from analysis.compute import Computed, round_compute
from analysis.extracts import extract_fingerprint, extract_refresh
from analysis.fanout import (
    CellStats,
    cell_stats,
    cell_stats_add,
    estimates_from_stats,
    rows_from_stats,
)
from analysis.loaders import (
    RoundData,
    round_eligible,
    round_frame,
    round_load,
    round_margins,
    round_versions,
)
from analysis.models import AnalysisRun, ChunkStatistics, ResponseExtract, SurveyRound
from analysis.round_config import publication_of, scheme_of, spec_of, variables_needed
from analysis.services import (
    RunInProgress,
    analysis_run_begin,
    analysis_run_fail,
    analysis_run_progress,
    analysis_run_start,
    analysis_run_store,
)
from analysis.weighting import WeightingError
from org.models import AdministrativeUnit
from org.permissions import subtree_ids
from questionnaires.definition import scored_items

# Part of every run's fingerprint: bump when the computation changes its numbers.
CODE_VERSION = "analysis-3"
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
        plan = fanout_plan(run.round)
        if plan is not None:
            stages.enter("compute")
            fanout_dispatch(run, plan, timings=stages.close())
            return 0  # the chord's callback stores the estimates
        stages.enter("load")
        scheme, spec = scheme_of(run.round), spec_of(run.round)
        data = round_load(run.round, variables_needed(scheme, spec))
        frame, margins = round_frame(run.round), round_margins(run.round)
        eligible = round_eligible(run.round) if _counts_invitations(scheme) else []
        stages.enter("compute")
        computed = round_compute(
            data=data,
            frame=frame,
            margins=margins,
            scheme=scheme,
            spec=spec,
            publication=publication_of(run.round),
            scope_id=run.round.scope_id,
            eligible=eligible,
        )
        stages.enter("store")
    except WeightingError as error:
        # The scheme does not fit the data: the run fails with the reason, and there is
        # nothing to retry or to log a traceback for.
        analysis_run_fail(run_id=run_id, error=failure_reason(error))
        return 0
    except Exception as error:
        analysis_run_fail(run_id=run_id, error=failure_reason(error))
        raise
    run.timings = stages.timings  # "store" is added by the service, inside its transaction
    return analysis_run_store(
        run=run,
        computed=computed,
        n_responses=len(data.leaf_unit),
        inputs=run_inputs(
            data.fingerprint, frame, margins, scheme, spec, run.round, eligible=eligible
        ),
        store_started=stages.since,
    )


def _counts_invitations(scheme: list[dict[str, Any]]) -> bool:
    return any(
        s.get("step") == "nonresponse" and s.get("counts", "invitations") == "invitations"
        for s in scheme
    )


def run_inputs(
    answers: str,
    frame: list,
    margins: dict,
    scheme: list,
    spec: dict,
    survey_round: Any,
    *,
    eligible: list | None = None,
) -> dict[str, str]:
    """A hash of each input of a run: the answers read, frame, margins, scheme, spec,
    publication rule and the code version (and the invitations issued, when the scheme
    counts them). The same inputs give the same estimates; two runs' inputs tell what
    changed between them."""
    parts: dict[str, Any] = {
        "answers": answers,
        "frame": sorted([sorted(keys.items()), count] for keys, count in frame),
        "margins": margins,
        "scheme": scheme,
        "spec": spec,
        "publication": publication_of(survey_round),
        "code": CODE_VERSION,
    }
    if eligible:
        parts["invitations"] = sorted([sorted(keys.items()), count] for keys, count in eligible)
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


# --- large rounds: a chord of chunk reductions, combined exactly --------------------------


def fanout_plan(survey_round: Any) -> list[int] | None:
    """The extract chunks to reduce in parallel, or None for a single pass.

    Parallel when the spec asks for it — ``parallel`` "always", or "auto" (the default)
    with at least ANALYSIS_PARALLEL_MIN_ROWS answers in two chunks or more — and the
    round's statistics can be combined exactly: element indices and the overall index
    with Taylor variance, under any weighting scheme (see fanout_variables).
    """
    spec = spec_of(survey_round)
    mode = spec.get("parallel", "auto")
    combinable = (
        set(spec.get("statistics", [])) <= {"element_index", "overall"}
        and spec.get("variance", "taylor") == "taylor"
    )
    if mode == "never" or not combinable:
        return None
    chunks = list(
        ResponseExtract.objects.filter(version__in=round_versions(survey_round))
        .order_by("version_id", "first_response_id")
        .values_list("pk", "rows")
    )
    rows = sum(r for _pk, r in chunks)
    if len(chunks) < 2 or (mode == "auto" and rows < settings.ANALYSIS_PARALLEL_MIN_ROWS):
        return None
    return [pk for pk, _rows in chunks]


def fanout_variables(survey_round: Any) -> list[str] | None:
    """None for the default design (cell weights by unit × sector, the unit tree, the
    mean of the elements): its chunks keep statistics per (unit, sector) cell and the
    combine step estimates from them directly. Any other scheme or domain: the chunks
    keep statistics per *weighting cell* (unit × these variables — all the scheme, the
    frame and the domains read), and the combine step rebuilds rows with the same
    statistics and runs the single pass's code on them (analysis.fanout.rows_from_stats).
    """
    scheme, spec = scheme_of(survey_round), spec_of(survey_round)
    default_design = (
        len(scheme) == 1
        and scheme[0].get("step") == "cell_weights"
        and sorted(scheme[0].get("by", [])) == ["sector", "unit"]
        and not spec.get("profile_domains")
        and (spec.get("overall") or {}).get("rule", "mean_of_elements") == "mean_of_elements"
    )
    if default_design:
        return None
    # sector first: the cell key is (unit, sector, *the rest)
    names = [v for v in variables_needed(scheme, spec) if v not in ("unit", "sector")]
    return ["sector", *names]


def _components(survey_round: Any) -> tuple[list[str], list[int]]:
    """Every component of the round's versions (sorted) and the overall's elements."""
    components = sorted(
        {
            item["scoring"]["component"]
            for version in round_versions(survey_round)
            for item in scored_items(version.definition)
        }
    )
    rule = spec_of(survey_round).get("overall") or {}
    chosen = rule.get("elements") or [c for c in components if not c.endswith(".overall")]
    return components, [components.index(c) for c in chosen if c in components]


def fanout_dispatch(run: Any, chunk_ids: list[int], *, timings: dict[str, float]) -> None:
    components, elements = _components(run.round)
    variables = fanout_variables(run.round)
    analysis_run_progress(
        run_id=run.pk, stage="compute", progress=STAGES["compute"], timings=timings
    )
    header = group(run_chunk.s(run.pk, [pk], components, elements, variables) for pk in chunk_ids)
    callback = run_combine.s(run.pk, components, elements, timings, variables).on_error(
        run_chunks_failed.s(run_id=run.pk)
    )
    chord(header)(callback)


@shared_task(name="analysis.tasks.run_chunk", acks_late=True, ignore_result=False, time_limit=3600)
def run_chunk(
    run_id: int,
    chunk_ids: list[int],
    components: list[str],
    elements: list[int],
    variables: list[str] | None = None,
):
    """One share of a parallel run: its answers reduced to sufficient statistics per
    cell — (unit, sector), or (unit, *variables) for a weighting scheme of its own —
    kept per chunk and context, so a re-run only reads the chunks added since."""
    run = AnalysisRun.objects.select_related("round").get(pk=run_id)
    names = variables or ["sector"]
    context = chunk_context(run.round, components, elements, variables)
    parts = []
    for chunk_id in chunk_ids:
        kept = ChunkStatistics.objects.filter(chunk_id=chunk_id, context=context).first()
        if kept is None:
            data = round_load(
                run.round, ["unit", *names], chunk_ids=[chunk_id], components=components
            )
            stats = cell_stats(
                leaf_unit=data.leaf_unit,
                sector=data.columns["sector"],
                satisfied=data.satisfied,
                valid=data.valid,
                elements=elements,
                extra=[data.columns[v] for v in names[1:]],
            ).to_json()
            ChunkStatistics.objects.get_or_create(
                chunk_id=chunk_id, context=context, defaults={"stats": stats}
            )
            parts.append(CellStats.from_json(stats))
        else:
            parts.append(CellStats.from_json(kept.stats))
    return cell_stats_add(parts).to_json()


def chunk_context(
    survey_round: Any,
    components: list[str],
    elements: list[int],
    variables: list[str] | None = None,
) -> str:
    """What a chunk's statistics depend on besides its answers."""
    units = sorted(subtree_ids([survey_round.scope_id]))
    payload: list[Any] = [
        components,
        elements,
        units,
        survey_round.period_start.isoformat(),
        survey_round.period_end.isoformat(),
        CODE_VERSION,
    ]
    if variables:
        payload.append(variables)
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


@shared_task(name="analysis.tasks.run_combine", acks_late=True, time_limit=3600)
def run_combine(
    results: list[dict[str, Any]],
    run_id: int,
    components: list[str],
    elements: list[int],
    timings: dict[str, float],
    variables: list[str] | None = None,
) -> int:
    """Add the shares' statistics, estimate, store — as a single pass would."""
    run = AnalysisRun.objects.select_related("round").get(pk=run_id)
    if run.status not in AnalysisRun.ACTIVE:
        return 0  # a redelivered callback of a finished run
    started = time.perf_counter()
    survey_round = run.round
    stats = cell_stats_add([CellStats.from_json(r) for r in results])
    if variables:
        return _combine_weighted(run, stats, components, variables, timings, len(results))
    frame = round_frame(survey_round)
    population: dict[tuple[int, str], float] = {}
    for keys, count in frame:
        cell = (int(keys["unit"]), str(keys["sector"]))
        population[cell] = population.get(cell, 0.0) + count
    if population and stats.cells and not any(tuple(c) in population for c in stats.cells):
        error = WeightingError(
            "the frame covers none of the answered cells",
            code="frame_covers_no_cell",
            params={"cells": len(stats.cells), "by": "unit × sector"},
        )
        analysis_run_fail(run_id=run_id, error=failure_reason(error))
        return 0
    spec = spec_of(survey_round)
    rows = estimates_from_stats(
        stats=stats,
        components=components,
        population=population,
        unit_parent=dict(AdministrativeUnit.objects.values_list("id", "parent_id")),
        scope_id=survey_round.scope_id,
        elements=elements,
        spec=spec,
        publication=publication_of(survey_round),
    )
    weights = np.maximum(
        np.array([population.get(c, 0.0) for c in stats.cells]), stats.n
    ) / np.where(stats.n > 0, stats.n, 1)
    run.timings = {**timings, "compute": round(time.perf_counter() - started, 3)}
    answers = json.dumps(
        {
            "extracts": [extract_fingerprint(version=v) for v in round_versions(survey_round)],
            "cells": stats.cells,
            "n": stats.n.tolist(),
        },
        default=str,
    )
    return analysis_run_store(
        run=run,
        computed=Computed(rows, _cell_weight_summary(weights, stats.n, len(results))),
        n_responses=int(stats.n.sum()),
        inputs=run_inputs(
            answers, frame, round_margins(survey_round), scheme_of(survey_round), spec, survey_round
        ),
        store_started=time.perf_counter(),
    )


def _combine_weighted(
    run: Any,
    stats: CellStats,
    components: list[str],
    variables: list[str],
    timings: dict[str, float],
    shares: int,
) -> int:
    """A scheme of its own: rows rebuilt from the weighting cells' statistics, then the
    single pass's weighting and estimation on them (exact: fanout.rows_from_stats)."""
    started = time.perf_counter()
    survey_round = run.round
    scheme, spec = scheme_of(survey_round), spec_of(survey_round)
    frame, margins = round_frame(survey_round), round_margins(survey_round)
    eligible = round_eligible(survey_round) if _counts_invitations(scheme) else []
    unit, columns, satisfied, valid, answered, anyone = rows_from_stats(
        stats=stats, variables=variables
    )
    answers = json.dumps(
        {
            "extracts": [extract_fingerprint(version=v) for v in round_versions(survey_round)],
            "cells": stats.cells,
            "n": stats.n.tolist(),
        },
        default=str,
    )
    data = RoundData(
        components=components,
        satisfied=satisfied,
        valid=valid,
        items=[],
        values=np.zeros((len(unit), 0)),
        item_satisfied=[],
        leaf_unit=unit,
        unit_parent=dict(AdministrativeUnit.objects.values_list("id", "parent_id")),
        columns=columns,
        fingerprint=answers,
        answered=answered,
        any_answered=anyone,
    )
    try:
        computed = round_compute(
            data=data,
            frame=frame,
            margins=margins,
            scheme=scheme,
            spec=spec,
            publication=publication_of(survey_round),
            scope_id=survey_round.scope_id,
            eligible=eligible,
        )
    except WeightingError as error:
        analysis_run_fail(run_id=run.pk, error=failure_reason(error))
        return 0
    run.timings = {**timings, "compute": round(time.perf_counter() - started, 3)}
    computed.diagnostics["parallel_shares"] = shares
    return analysis_run_store(
        run=run,
        computed=computed,
        n_responses=len(unit),
        inputs=run_inputs(answers, frame, margins, scheme, spec, survey_round, eligible=eligible),
        store_started=time.perf_counter(),
    )


@shared_task(name="analysis.tasks.run_chunks_failed")
def run_chunks_failed(*args: Any, run_id: int) -> None:
    """A share failed: the run fails with the reason (nothing was stored)."""
    error = next((a for a in args if isinstance(a, BaseException)), None)
    analysis_run_fail(
        run_id=run_id,
        error=failure_reason(error) if error else _("A share of the run failed."),
    )


def _cell_weight_summary(weights: np.ndarray, n: np.ndarray, shares: int) -> dict[str, Any]:
    """Diagnostics of cell weights (one weight per cell, n respondents each)."""
    total, squares = float((weights * n).sum()), float((weights**2 * n).sum())
    count = float(n.sum())
    order = np.argsort(weights)
    cumulative = np.cumsum(n[order]) / max(count, 1)
    quantiles = {
        f"{q:g}": float(weights[order][min(np.searchsorted(cumulative, q), len(order) - 1)])
        for q in (0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0)
    }
    return {
        "n": int(count),
        "sum_weights": total,
        "kish_deff": count * squares / total**2 if total else 1.0,
        "effective_n": total**2 / squares if squares else 0.0,
        "quantiles": quantiles,
        "g_range": [1.0, 1.0],
        "trimmed": 0,
        "margins": [],
        "parallel_shares": shares,
    }


def failure_reason(error: BaseException) -> str:
    """What a failed run shows the statistician: the weighting's reason in their language,
    anything else as the exception (a bug to report)."""
    if isinstance(error, WeightingError):
        texts = {
            "no_margin": _(
                "No margins were uploaded for %(variable)s: upload them on the round's page "
                "or take %(variable)s out of the weighting scheme."
            ),
            "unknown_variable": _("The weighting scheme names an unknown variable: %(variable)s."),
            "nonresponse_no_counts": _(
                "No %(source)s were counted for any of the %(classes)s nonresponse classes "
                "(%(by)s): check the round's invitations or frame, or change the classes."
            ),
            "frame_covers_no_cell": _(
                "The frame covers none of the %(cells)s cells (%(by)s) that have answers: "
                "check its unit and sector codes, or build it from the registered transactions."
            ),
        }
        if error.code in texts:
            params = dict(error.params)
            if "source" in params:
                sources = {"invitations": _("invitations"), "frame": _("frame counts")}
                params["source"] = sources.get(params["source"], params["source"])
            return texts[error.code] % params
        return _("The weighting scheme cannot be applied: %(reason)s") % {"reason": error}
    return repr(error)
