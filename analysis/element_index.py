"""SIPAS element indices per administrative unit: pure numpy, no Django.

The index of an element in a unit is the weighted share of valid answers that count as
satisfied: a ratio R = Σ w·y / Σ w·x over the respondents of the unit and everything
below it, with y = satisfied answers and x = valid answers of the respondent.

Weights are transactions / responses in each unit × sector cell; the cells are the strata
of a stratified simple random sample with a finite population correction, so the
standard error is the Taylor-linearised SE of a ratio under that design, computed by
``analysis.estimators`` exactly as R's ``svyby(~y, ~unit, svydesign(ids=~1,
strata=~cell, fpc=~N), svyratio, denominator=~x)``. A cell with a single response (and a
sampling fraction below one) contributes no variance — R's
``options(survey.lonely.psu = "remove")``.
"""

from dataclasses import dataclass

import numpy as np

from analysis.estimators import estimate_ratio, make_design


@dataclass(frozen=True)
class UnitEstimates:
    """Per (domain, component) arrays of shape (n_domains, n_components)."""

    domains: np.ndarray
    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    n: np.ndarray


def cell_weights(cell: np.ndarray, cell_population: np.ndarray) -> np.ndarray:
    """w_i = N_c / n_c for the cell c of respondent i (N_c never below n_c)."""
    sampled = np.bincount(cell, minlength=len(cell_population)).astype(float)
    population = np.maximum(cell_population, sampled)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_cell = np.where(sampled > 0, population / sampled, 0.0)
    return per_cell[cell]


def ancestor_levels(
    leaf_unit: np.ndarray, unit_parent: dict[int, int | None], stop_at: int | None = None
) -> np.ndarray:
    """(n, depth) float array: column j holds each respondent's unit at depth j below the
    top (``stop_at`` or the root), NaN where the respondent's unit is shallower.

    A unit sits at one depth only, so each column is one set of disjoint domains. The
    tree is walked once per distinct leaf unit, not once per respondent.
    """
    leaves, leaf_index = np.unique(leaf_unit, return_inverse=True)
    paths = []
    for leaf in leaves.tolist():
        path: list[int] = []
        unit: int | None = leaf
        while unit is not None:
            path.append(unit)
            if unit == stop_at:
                break
            unit = unit_parent.get(unit)
        paths.append(path[::-1])
    depth = max((len(p) for p in paths), default=0)
    table = np.full((len(leaves), depth), np.nan)
    for i, path in enumerate(paths):
        table[i, : len(path)] = path
    return table[leaf_index]


def _respondents_with_answers(
    column: np.ndarray, valid: np.ndarray, units: np.ndarray
) -> np.ndarray:
    """(len(units), k): respondents of each unit with at least one valid answer."""
    inside = ~np.isnan(column)
    position = np.searchsorted(units, column[inside].astype(np.int64))
    answered = (valid[inside] > 0).astype(np.int64)
    counts = np.zeros((len(units), valid.shape[1]), dtype=np.int64)
    np.add.at(counts, position, answered)
    return counts


def element_indices(
    *,
    satisfied: np.ndarray,
    valid: np.ndarray,
    cell: np.ndarray,
    cell_population: np.ndarray,
    levels: np.ndarray,
    confidence: float = 0.95,
) -> UnitEstimates:
    """Ratio estimates for every unit (all depths) and component.

    satisfied, valid: (n, k) per respondent; cell: (n,) stratum index; cell_population:
    (n_cells,) frame counts; levels: (n, depth) from ``ancestor_levels``. One vectorised
    estimator call per tree depth covers every unit at that depth and every component.
    """
    n, k = satisfied.shape
    if n == 0:
        empty = np.zeros((0, k))
        return UnitEstimates(np.zeros(0, dtype=np.int64), empty, empty, empty, empty, empty)
    if n == 1:  # one respondent: the ratio is exact for itself, no variance to estimate
        ratio = np.where(valid > 0, satisfied / np.where(valid > 0, valid, 1), np.nan)
        units = levels[0][~np.isnan(levels[0])].astype(np.int64)
        repeated = np.repeat(ratio, len(units), axis=0)
        zeros = np.zeros_like(repeated)
        counts = np.repeat((valid > 0).astype(np.int64), len(units), axis=0)
        return UnitEstimates(units, repeated, zeros, repeated, repeated, counts)
    weights = cell_weights(cell, cell_population)
    population = np.maximum(cell_population, np.bincount(cell, minlength=len(cell_population)))
    design = make_design(
        weights=weights, strata=cell, fpc=population[cell].astype(float), lonely_psu="remove"
    )
    parts: list[tuple[np.ndarray, ...]] = []
    for column in levels.T:
        result = estimate_ratio(design, satisfied, valid, by=column)
        low, high = result.confint(level=confidence, method="wald")
        units = np.asarray(result.domains, dtype=float).astype(np.int64)
        parts.append(
            (
                units,
                result.estimate,
                result.se,
                np.clip(low, 0.0, 1.0),
                np.clip(high, 0.0, 1.0),
                _respondents_with_answers(column, valid, units),
            )
        )
    domains, estimate, se, ci_low, ci_high, counts = (
        np.concatenate(p) for p in zip(*parts, strict=True)
    )
    return UnitEstimates(domains, estimate, se, ci_low, ci_high, counts)
