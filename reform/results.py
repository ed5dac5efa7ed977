"""Totals, ranks, bands, rank intervals and changes of a scoring round: load → compute.

Loads the round's rows into arrays (a fixed number of queries, whatever the number of
units), then calls the pure core (reform.scoring). Nothing is written here.

Blocks: units are ranked among the units of their block (reform.blocks: the round's
named blocks, else one block per unit level).
"""

import contextlib
import hashlib
import json
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.core.cache import cache

from org.models import AdministrativeUnit
from reform.blocks import round_blocks, unit_blocks
from reform.models import Score, ScoringRound, SurveyPoints
from reform.scoring.framework import Framework, to_dict
from reform.scoring.simulation import drop_one_domain, rank_intervals, weight_sensitivity
from reform.scoring.totals import Change, aggregation, bands, block_ranks, changes, score
from reform.selectors import framework_pure, round_units, survey_history


@dataclass
class UnitResult:
    unit: AdministrativeUnit
    total: float
    domains: list[float]
    rank: int
    band: str
    complete: bool
    rank_low: int | None = None
    rank_high: int | None = None
    p_top: float | None = None
    p_bottom: float | None = None
    change: Change | None = None
    weight_low: int | None = None  # 90% rank interval when domain weights vary ±25%
    weight_high: int | None = None
    drop_one: dict[str, int] = field(default_factory=dict)  # domain → rank shift without it
    history: list[float | None] = field(default_factory=list)  # totals of past rounds
    block: str = ""  # the name of the ranking block
    block_code: str = ""


@dataclass
class RoundResults:
    scoring_round: ScoringRound
    framework: Framework
    rows: list[UnitResult]
    survey: bool  # False: the no-survey rescaling rule applied
    draws: int = 0
    k: int = 3
    values: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))
    se: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))


def _arrays(
    scoring_round: ScoringRound, tree: Framework, units: list[AdministrativeUnit], survey: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """values, SE (units, leaves) and whether each unit has every leaf that counts."""
    row = {u.pk: i for i, u in enumerate(units)}
    column = {n.code: j for j, n in enumerate(tree.leaves)}
    values = np.zeros((len(units), len(column)))
    se = np.zeros_like(values)
    filled = np.zeros(values.shape, dtype=bool)
    for unit_id, code, self_points, appraised in Score.objects.filter(
        round=scoring_round
    ).values_list("unit_id", "criterion__code", "self_points", "appraised_points"):
        points = appraised if appraised is not None else self_points
        if unit_id in row and code in column and points is not None:
            values[row[unit_id], column[code]] = points
            filled[row[unit_id], column[code]] = True
    for unit_id, code, value, error in SurveyPoints.objects.filter(round=scoring_round).values_list(
        "unit_id", "criterion__code", "value", "se"
    ):
        if unit_id in row and code in column:
            values[row[unit_id], column[code]] = value
            se[row[unit_id], column[code]] = error
            filled[row[unit_id], column[code]] = True
    optional = np.array(
        [n.is_extra or (not survey and n.leaf == "survey") for n in tree.leaves], dtype=bool
    )
    return values, se, (filled | optional).all(axis=1)


def _uncertainty(
    tree: Framework, values: np.ndarray, se: np.ndarray, scores: Any, blocks: list[Hashable],
    *, survey: bool, draws: int, k: int, seed: int, history: dict,
) -> dict[str, list[Any]]:  # fmt: skip
    """Per-unit columns of UnitResult: rank intervals (survey leaves redrawn) and the
    ranks' sensitivity to the domain weights."""
    out: dict[str, list[Any]] = {}
    if survey:
        # Independent components: analysis.models.Estimate stores each component's SE but
        # no covariance between the components of one unit (estimated from the same
        # respondents). rank_intervals takes a per-unit ``covariance`` once one is stored;
        # until then positively correlated components make these intervals too narrow.
        intervals = rank_intervals(
            tree, values, se, blocks, draws=draws, k=k, seed=seed, history=history
        )
        out["rank_low"] = [int(x) for x in intervals.low]
        out["rank_high"] = [int(x) for x in intervals.high]
        out["p_top"] = [float(x) for x in intervals.p_top]
        out["p_bottom"] = [float(x) for x in intervals.p_bottom]
    contributions = scores.domain_points * aggregation(tree).domain_total
    if not survey:
        contributions = contributions * tree.total / (tree.total - tree.survey_max)
    spread = weight_sensitivity(tree, contributions, blocks, draws=draws, seed=seed)
    dropped = drop_one_domain(tree, contributions, blocks)
    out["weight_low"] = [int(x) for x in spread.low]
    out["weight_high"] = [int(x) for x in spread.high]
    out["drop_one"] = [
        {code: int(shift[i]) for code, shift in dropped.items()} for i in range(len(blocks))
    ]
    return out


def _uncertainty_cached(tree: Framework, values: np.ndarray, se: np.ndarray, *args: Any,
                        **kwargs: Any) -> dict[str, list[Any]]:  # fmt: skip
    """The simulation is the slow part: cached under a hash of everything it reads
    (framework, values, SEs, blocks, draws, seed), so a changed score is a new key.
    A cache that is down only costs the recomputation."""
    blocks = args[1]
    digest = hashlib.sha256()
    digest.update(json.dumps(to_dict(tree), sort_keys=True, default=str).encode())
    digest.update(np.ascontiguousarray(values).tobytes())
    digest.update(np.ascontiguousarray(se).tobytes())
    digest.update(json.dumps([blocks, sorted(kwargs.items())], default=str).encode())
    key = f"reform:uncertainty:{digest.hexdigest()}"
    try:
        found = cache.get(key)
    except Exception:  # Redis down: compute
        found = None
    if found is not None:
        return found
    computed = _uncertainty(tree, values, se, *args, **kwargs)
    with contextlib.suppress(Exception):  # a cache that is down only costs the recomputation
        cache.set(key, computed, timeout=24 * 3600)
    return computed


def _predecessors() -> dict[int, list[int]]:
    through = AdministrativeUnit.successors.through
    backward: dict[int, list[int]] = {}
    for old, new in through.objects.values_list(
        "from_administrativeunit_id", "to_administrativeunit_id"
    ):
        backward.setdefault(new, []).append(old)
    return backward


def _past(scoring_round: ScoringRound, rows: list[UnitResult], years: int = 5) -> None:
    """Change against last year and the totals of up to ``years`` past rounds (oldest
    first), each mapped onto this year's units through their predecessors."""
    predecessors = _predecessors()
    now = {r.unit.pk: (r.total, r.rank) for r in rows}
    current, seen = scoring_round.previous, 0
    mapped_now = {r.unit.pk: [r.unit.pk] for r in rows}
    while current is not None and seen < years:
        past = round_results(scoring_round=current, draws=0)
        before = {r.unit.pk: (r.total, r.rank) for r in past.rows}
        found = changes(now, before, predecessors)
        for result in rows:
            if seen == 0:
                result.change = found[result.unit.pk]
            own = [u for u in mapped_now[result.unit.pk] if u in before] or [
                p
                for u in mapped_now[result.unit.pk]
                for p in predecessors.get(u, ())
                if p in before
            ]
            mapped_now[result.unit.pk] = own or mapped_now[result.unit.pk]
            totals = [before[u][0] for u in own]
            result.history.insert(0, round(sum(totals) / len(totals), 2) if totals else None)
        current, seen = current.previous, seen + 1


def round_results(
    *, scoring_round: ScoringRound, draws: int = 1000, k: int = 3, seed: int = 0
) -> RoundResults:
    """Every unit's result; ``draws`` > 0 adds rank intervals (survey leaves redrawn)."""
    tree = framework_pure(framework=scoring_round.framework)
    defined = round_blocks(scoring_round=scoring_round)
    units = list(round_units(scoring_round=scoring_round, blocks=defined))
    survey = scoring_round.survey_round_id is not None or tree.survey_max == 0
    values, se, complete = _arrays(scoring_round, tree, units, survey)
    history = survey_history(scoring_round=scoring_round, tree=tree)
    scores = score(tree, values, survey=survey, history=history)
    found = unit_blocks(scoring_round=scoring_round, units=units, blocks=defined)
    blocks: list[Hashable] = [b.code for b in found]
    ranks = block_ranks(scores.total, blocks) if units else np.zeros(0, dtype=int)
    labels = bands(scores.total, tree.bands)
    rows = [
        UnitResult(
            unit=unit,
            total=round(float(scores.total[i]), 2),
            domains=[round(float(x), 2) for x in scores.domain_points[i]],
            rank=int(ranks[i]),
            band=labels[i],
            complete=bool(complete[i]),
            block=found[i].name,
            block_code=found[i].code,
        )
        for i, unit in enumerate(units)
    ]
    if draws and units:
        uncertainty = _uncertainty_cached(
            tree, values, se, scores, blocks, survey=survey, draws=draws, k=k, seed=seed,
            history=history,
        )  # fmt: skip
        for i, result in enumerate(rows):
            for name, column in uncertainty.items():
                setattr(result, name, column[i])
    if scoring_round.previous_id is not None:
        _past(scoring_round, rows)
    # Named blocks first, in their order; then the level blocks, top of the tree first.
    order = {
        b.code: (1, u.level.rank) if b.position < 0 else (0, b.position)
        for b, u in zip(found, units, strict=True)
    }
    rows.sort(key=lambda r: (order[r.block_code], r.block_code, r.rank, r.unit.code))
    return RoundResults(
        scoring_round=scoring_round,
        framework=tree,
        rows=rows,
        survey=survey,
        draws=draws if survey else 0,
        k=k,
        values=values,
        se=se,
    )
