"""SIPAS element indices per administrative unit: pure numpy, no Django.

The index of an element in a unit is the weighted share of valid answers that count as
satisfied: a ratio R = Σ w·y / Σ w·x over the respondents of the unit and everything
below it, with y = satisfied answers and x = valid answers of the respondent.

Weights are transactions / responses in each unit × sector cell; the cells are the strata
of a stratified simple random sample with a finite population correction, so the
standard error is the Taylor-linearised SE of a ratio under that design (as R's
``svyratio`` on ``svydesign(ids=~1, strata=~cell, fpc=~N)``). A cell with a single
response (and a sampling fraction below one) contributes no variance — R's
``survey.lonely.psu = "remove"``.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats


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


def element_indices(
    *,
    satisfied: np.ndarray,
    valid: np.ndarray,
    cell: np.ndarray,
    cell_population: np.ndarray,
    domain_of_row: np.ndarray,
    row: np.ndarray,
    confidence: float = 0.95,
) -> UnitEstimates:
    """Ratio estimates for every domain and component in one pass.

    satisfied, valid: (n, k) per respondent; cell: (n,) stratum index; cell_population:
    (n_cells,) frame counts. Domains are given as an expanded membership list: respondent
    ``row[m]`` belongs to domain ``domain_of_row[m]`` (a respondent sits in its unit and
    in every ancestor). Strata must nest within domains, as unit × sector cells do.
    """
    weight = cell_weights(cell, cell_population)
    domains, d = np.unique(domain_of_row, return_inverse=True)
    n_domains, k = len(domains), satisfied.shape[1]
    w = weight[row]
    y, x = satisfied[row], valid[row]
    strata_keys, stratum = np.unique(
        d * (len(cell_population) + 1) + cell[row], return_inverse=True
    )
    stratum_domain = (strata_keys // (len(cell_population) + 1)).astype(np.int64)
    stratum_cell = strata_keys % (len(cell_population) + 1)
    n_h = np.bincount(stratum).astype(float)
    population_h = np.maximum(cell_population[stratum_cell], n_h)
    fpc = 1.0 - n_h / population_h
    lonely = n_h < 2
    scale = np.where(lonely, 0.0, fpc * n_h / np.where(lonely, 1.0, n_h - 1.0))

    estimate = np.full((n_domains, k), np.nan)
    se = np.full((n_domains, k), np.nan)
    counts = np.zeros((n_domains, k), dtype=np.int64)
    for j in range(k):
        y_total = np.bincount(d, weights=w * y[:, j], minlength=n_domains)
        x_total = np.bincount(d, weights=w * x[:, j], minlength=n_domains)
        counts[:, j] = np.bincount(d, weights=(x[:, j] > 0), minlength=n_domains).astype(np.int64)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = y_total / x_total
            z = w * (y[:, j] - ratio[d] * x[:, j]) / x_total[d]
        z = np.nan_to_num(z)
        z_sum = np.bincount(stratum, weights=z, minlength=len(n_h))
        z_square = np.bincount(stratum, weights=z * z, minlength=len(n_h))
        within = np.maximum(z_square - z_sum * z_sum / n_h, 0.0) * scale
        variance = np.bincount(stratum_domain, weights=within, minlength=n_domains)
        estimate[:, j] = np.where(x_total > 0, ratio, np.nan)
        se[:, j] = np.where(x_total > 0, np.sqrt(variance), np.nan)

    strata_per_domain = np.bincount(stratum_domain, minlength=n_domains)
    respondents = np.bincount(d, minlength=n_domains)
    df = np.maximum(respondents - strata_per_domain, 1)
    t = stats.t.ppf(0.5 + confidence / 2, df)[:, None]
    return UnitEstimates(
        domains=domains,
        estimate=estimate,
        se=se,
        ci_low=np.clip(estimate - t * se, 0.0, 1.0),
        ci_high=np.clip(estimate + t * se, 0.0, 1.0),
        n=counts,
    )


def ancestor_membership(
    leaf_unit: np.ndarray, unit_parent: dict[int, int | None], stop_at: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Expand respondents into (domain, row) pairs: each unit and all its ancestors.

    The walk goes up the tree once per distinct leaf unit, not once per respondent.
    """
    leaves, leaf_index = np.unique(leaf_unit, return_inverse=True)
    domain_parts, row_parts = [], []
    order = np.argsort(leaf_index, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(leaf_index, minlength=len(leaves)))])
    for position, leaf in enumerate(leaves.tolist()):
        members = order[bounds[position] : bounds[position + 1]]
        unit: int | None = leaf
        while unit is not None:
            domain_parts.append(np.full(len(members), unit, dtype=np.int64))
            row_parts.append(members)
            if unit == stop_at:
                break
            unit = unit_parent.get(unit)
    if not domain_parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(domain_parts), np.concatenate(row_parts)
