"""Leaf points → domain points → totals; ranks within blocks (ties shared); bands; changes.

Both aggregations are linear in the leaf points, which is what lets the simulation
re-score thousands of draws with one matrix product:
- PAR: domain = Σ its leaves; total = Σ domains + bonus − penalty.
- DDCI/PCI: sub-index = mean of its indicators; composite = Σ wᵢ·sᵢ / 10 with weights
  in percent (PCI's published formula, max 100; for DDCI the same as 10 · Σ (wᵢ/100)·sᵢ).
"""

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from reform.scoring.framework import Framework
from reform.scoring.rules import History, leaf_points


@dataclass(frozen=True)
class Aggregation:
    """leaf → domain coefficients (leaves, domains) and domain → total (domains,)."""

    leaf_domain: np.ndarray
    domain_total: np.ndarray

    @property
    def leaf_total(self) -> np.ndarray:
        return self.leaf_domain @ self.domain_total


def aggregation(framework: Framework) -> Aggregation:
    leaves, domains = framework.leaves, framework.domains
    column = {d.code: k for k, d in enumerate(domains)}
    leaf_domain = np.zeros((len(leaves), len(domains)))
    for j, leaf in enumerate(leaves):
        leaf_domain[j, column[framework.domain_of(leaf.code).code]] = 1.0
    if framework.weighted:
        counts = leaf_domain.sum(axis=0)
        leaf_domain /= np.where(counts > 0, counts, 1)
    domain_total = np.array(
        [
            -1.0
            if d.kind == "penalty"
            else 1.0
            if d.kind == "bonus" or not framework.weighted
            else (d.weight or 0.0) / 10
            for d in domains
        ]
    )
    return Aggregation(leaf_domain=leaf_domain, domain_total=domain_total)


def rescale_without_survey(appraised: np.ndarray | float, *, survey_max: float, total: float = 100):
    """A level that ran no survey: appraised / (total − survey max) × total."""
    return np.asarray(appraised) / (total - survey_max) * total


@dataclass(frozen=True)
class Scores:
    leaf_points: np.ndarray  # (units, leaves)
    domain_points: np.ndarray  # (units, domains): points (PAR) or sub-index (DDCI/PCI)
    total: np.ndarray  # (units,)


def score(
    framework: Framework,
    values: np.ndarray,
    *,
    survey: bool = True,
    history: History | None = None,
) -> Scores:
    """Score ``values`` (units, leaves in ``framework.leaves`` order).

    ``survey=False``: the level ran no survey, its survey-based leaves count nothing and
    the total is rescaled by ``rescale_without_survey`` (PAR only).
    """
    values = np.asarray(values, dtype=float)
    points = leaf_points(framework.leaves, values, history=history)
    if not survey:
        is_survey = np.array([n.leaf == "survey" for n in framework.leaves])
        points[:, is_survey] = 0.0
    agg = aggregation(framework)
    domain_points = points @ agg.leaf_domain
    total = domain_points @ agg.domain_total
    if not survey:
        total = rescale_without_survey(
            total, survey_max=framework.survey_max, total=framework.total
        )
    return Scores(leaf_points=points, domain_points=domain_points, total=total)


def min_ranks(scores: np.ndarray) -> np.ndarray:
    """Competition ranks along the last axis, highest first, ties shared (1, 2, 2, 4).

    Scores are rounded to 9 decimals first so float noise never splits a tie.
    """
    scores = np.round(np.asarray(scores, dtype=float), 9)
    order = np.argsort(-scores, axis=-1, kind="stable")
    ordered = np.take_along_axis(scores, order, axis=-1)
    n = scores.shape[-1]
    position = np.broadcast_to(np.arange(n), ordered.shape)
    starts = np.ones(ordered.shape, dtype=bool)
    starts[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    first = np.maximum.accumulate(np.where(starts, position, 0), axis=-1)
    ranks = np.empty(scores.shape, dtype=np.int32)
    np.put_along_axis(ranks, order, (first + 1).astype(np.int32), axis=-1)
    return ranks


def block_ranks(total: np.ndarray, blocks: Sequence[Hashable]) -> np.ndarray:
    """Ranks within each block (e.g. departments; districts; communes) along the last axis."""
    total = np.asarray(total, dtype=float)
    labels = np.asarray(blocks)
    ranks = np.empty(total.shape, dtype=np.int32)
    for block in dict.fromkeys(labels.tolist()):
        idx = np.flatnonzero(labels == block)
        ranks[..., idx] = min_ranks(total[..., idx])
    return ranks


def bands(total: np.ndarray, table: Sequence[tuple[float, str]]) -> list[str]:
    """The label of the highest band whose lower bound the total reaches ('' if none)."""
    ordered = sorted(table, reverse=True)
    out = []
    for value in np.asarray(total, dtype=float):
        out.append(next((label for lo, label in ordered if value >= lo - 1e-9), ""))
    return out


@dataclass(frozen=True)
class Change:
    points: float | None
    ranks: int | None  # positive = climbed


def changes(
    current: Mapping[Hashable, tuple[float, int]],
    previous: Mapping[Hashable, tuple[float, int]],
    predecessors: Mapping[Hashable, Sequence[Hashable]],
) -> dict[Hashable, Change]:
    """Change against last year per unit, through successors for merged units.

    A unit's past is itself, else its predecessors (``predecessors[unit]``). With one
    predecessor points and ranks compare; with several (a merge) points compare with
    their mean and the rank change is None: the old ranks were of other units.
    """
    out: dict[Hashable, Change] = {}
    for unit, (total, rank) in current.items():
        past = [unit] if unit in previous else predecessors.get(unit, ())
        past = [p for p in past if p in previous]
        if not past:
            out[unit] = Change(None, None)
        elif len(past) == 1:
            old_total, old_rank = previous[past[0]]
            out[unit] = Change(round(total - old_total, 6), old_rank - rank)
        else:
            mean = sum(previous[p][0] for p in past) / len(past)
            out[unit] = Change(round(total - mean, 6), None)
    return out
