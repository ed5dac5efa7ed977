"""Rank intervals and weight sensitivity: how sure is a unit's rank?

Rank intervals (``rank_intervals``): the survey-based leaves are redrawn from their
sampling distributions N(estimate, SE) ``draws`` times, re-converted to points (min–max
rules re-compare the drawn values), re-totalled and re-ranked within each block. The
assessed leaves are fixed. Reported per unit: the central ``level`` rank interval
(quantiles with numpy's inverted-CDF method, so bounds are ranks that occurred), the
median rank and the probabilities of being in the top and the bottom ``k`` of its block.

Vectorised: the fixed part of every total is computed once; the drawn part is a
(chunk, units, survey leaves) float32 array converted by rule groups and reduced by one
matrix product. Seeded (numpy's PCG64), so a result is reproducible.

Correlated components (``covariance``): the survey components of one unit estimated
from the same respondents are correlated. Given a per-unit covariance matrix of the
leaves (units, leaves, leaves), the leaves with a non-zero covariance to another leaf
are drawn jointly per unit from the multivariate normal N(estimates, Σᵤ), y = μ + Fᵤz
with FᵤFᵤᵀ = Σᵤ (a square root from the eigendecomposition, so a singular Σ — perfectly
correlated components — is fine); the others keep the independent paths. As for
independent leaves, the linear leaves whose clip cannot bind enter only through their
weighted sum S = Σ cⱼxⱼ, so a unit's joint vector is (S, the other rules' leaves, its
linear cells near a clip), padded to the longest: the draw costs draws × units × m²
with m ≤ 1 + correlated leaves (``_joint_layout``). Without ``covariance`` the components are
independent, which understates the spread of a total when they are positively
correlated: Var(Σcⱼxⱼ) = Σcⱼ²σⱼ² + Σ_{i≠j} cᵢcⱼσᵢⱼ.

Weight sensitivity (``weight_sensitivity``, ``drop_one_domain``) follows the
composite-indicator practice (OECD/JRC handbook, COINr): perturb the domain weights
(each multiplied by U(1 − spread, 1 + spread), renormalised to the same total) or drop
one domain (rescaled to the full total), and report how ranks move.
"""

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from reform.scoring.framework import Framework, Node
from reform.scoring.rules import History, leaf_points
from reform.scoring.totals import aggregation, block_ranks

CHUNK_CELLS = 4_000_000  # floats per drawn chunk (16 MB in float32)
SAFE_SD = 5.0


@dataclass(frozen=True)
class RankIntervals:
    low: np.ndarray  # (units,) best rank of the interval
    high: np.ndarray  # (units,) worst rank
    median: np.ndarray
    p_top: np.ndarray  # P(rank ≤ k)
    p_bottom: np.ndarray  # P(rank > block size − k)
    k: int
    draws: int
    level: float


def _summarise(
    ranks: np.ndarray, blocks: Sequence[Hashable], k: int, level: float
) -> RankIntervals:
    tail = (1 - level) / 2
    low, median, high = np.quantile(ranks, [tail, 0.5, 1 - tail], axis=0, method="inverted_cdf")
    labels = np.asarray(blocks)
    size = np.empty(len(labels), dtype=np.int32)
    for block in dict.fromkeys(labels.tolist()):
        size[labels == block] = int((labels == block).sum())
    return RankIntervals(
        low=low.astype(int),
        high=high.astype(int),
        median=median.astype(int),
        p_top=(ranks <= k).mean(axis=0),
        p_bottom=(ranks > size - k).mean(axis=0),
        k=k,
        draws=ranks.shape[0],
        level=level,
    )


def _linear_split(
    leaves: Sequence[Node], mean: np.ndarray, sd: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linear leaves, split per (unit, leaf) cell.

    Where the clip to [0, scale] lies beyond SAFE_SD standard errors, the cell's points
    are linear in its draw, so the cells of a unit add up to one normal draw with mean
    Σ c·μ and variance Σ (c·σ)² (c = weight · max / scale): exact in distribution up to
    the clip's probability (< 6e-7). The other cells are drawn one by one.
    Returns the unit means (units,), unit SDs (units,) and the cells to draw (bool).
    """
    scale = np.array([float(n.rule.get("scale", 1)) for n in leaves])
    c = weights * np.array([n.maximum or 0.0 for n in leaves]) / scale
    safe = (mean - SAFE_SD * sd >= 0) & (mean + SAFE_SD * sd <= scale)
    unit_mean = np.where(safe, mean * c, 0.0).sum(axis=1)
    unit_sd = np.sqrt(np.where(safe, (sd * c) ** 2, 0.0).sum(axis=1))
    return unit_mean, unit_sd, ~safe


def covariance_from_correlation(se: np.ndarray, rho: float, columns: np.ndarray) -> np.ndarray:
    """A per-unit covariance (units, leaves, leaves): σᵢ² on the diagonal and ρ·σᵢ·σⱼ
    between two of the ``columns`` (bool or indices), 0 elsewhere."""
    se = np.nan_to_num(np.asarray(se, dtype=float))
    chosen = np.zeros(se.shape[1], dtype=bool)
    chosen[columns] = True
    pair = np.outer(chosen, chosen) & ~np.eye(se.shape[1], dtype=bool)
    outer = se[:, :, None] * se[:, None, :]
    return np.where(pair, rho * outer, 0.0) + np.eye(se.shape[1]) * se[:, :, None] ** 2


def _square_root(covariance: np.ndarray) -> np.ndarray:
    """F with F·Fᵀ = Σ for each (…, J, J) PSD matrix; negative eigenvalues (rounding)
    are cut to 0."""
    eigenvalues, vectors = np.linalg.eigh(covariance)
    return vectors * np.sqrt(np.clip(eigenvalues, 0, None))[..., None, :]


@dataclass(frozen=True)
class _Joint:
    """Correlated leaves of every unit as one padded vector per unit (see _joint_layout):
    slot 0 the sum of the safe linear cells, then the leaves of other rules, then the
    unit's linear cells near a clip."""

    root: np.ndarray  # (units, m, m) float32, F·Fᵀ = the vector's covariance
    mean: np.ndarray  # (units, m)
    other: list[Node]  # leaves of other rules (slots 1 … len(other))
    other_w: np.ndarray
    cell_scale: np.ndarray  # (units, m − 1 − len(other)) for the clipped linear cells
    cell_points: np.ndarray  # max · weight, 0 on padding

    def draw(self, rng: np.random.Generator, n: int, history: History | None) -> np.ndarray:
        """(n, units) drawn parts of the totals. Unit-major arrays (units, n, m) so the
        product is one (n, m) @ (m, m) per unit and the elementwise work is contiguous."""
        units, m = self.mean.shape
        y = rng.standard_normal((units, n, m), dtype=np.float32) @ self.root.transpose(0, 2, 1)
        y += self.mean[:, None, :]
        total = y[:, :, 0].T.copy()
        k = len(self.other)
        if k:
            x = y[:, :, 1 : 1 + k].transpose(1, 0, 2)  # (n, units, k): rules compare units
            total += leaf_points(self.other, x, history=history) @ self.other_w
        if self.cell_scale.shape[1]:
            cells = y[:, :, 1 + k :]
            cells /= self.cell_scale[:, None, :]
            np.clip(cells, 0, 1, out=cells)
            cells *= self.cell_points[:, None, :]
            total += cells.sum(axis=-1).T
        return total


def _joint_layout(
    leaves: Sequence[Node], mean: np.ndarray, covariance: np.ndarray, weights: np.ndarray
) -> _Joint:
    """``mean`` (units, J), ``covariance`` (units, J, J), ``weights`` (J,) of the
    correlated leaves → the padded vectors (S, other rules, linear cells near a clip)."""
    units = mean.shape[0]
    sd = np.sqrt(np.clip(np.diagonal(covariance, axis1=1, axis2=2), 0, None))
    linear = np.array([(n.rule or {}).get("type") == "linear" for n in leaves])
    scale = np.array([float((n.rule or {}).get("scale", 1)) if lin else 1.0
                      for n, lin in zip(leaves, linear, strict=True)])  # fmt: skip
    maximum = np.array([n.maximum or 0.0 for n in leaves])
    safe = linear & (mean - SAFE_SD * sd >= 0) & (mean + SAFE_SD * sd <= scale)
    c = np.where(safe, weights * maximum / scale, 0.0)  # (units, J)
    others = np.flatnonzero(~linear)
    cells = linear & ~safe
    width = int(cells.sum(axis=1).max(initial=0))
    # Each unit's cells first (stable order), then padding that points at leaf 0.
    order = np.argsort(~cells, axis=1, kind="stable")[:, :width]
    valid = np.take_along_axis(cells, order, axis=1)
    index = np.concatenate([np.broadcast_to(others, (units, others.size)), order], axis=1)
    used = np.concatenate([np.ones((units, others.size), dtype=bool), valid], axis=1)
    m = 1 + index.shape[1]
    joint = np.zeros((units, m, m))
    joint[:, 0, 0] = np.einsum("uj,ujk,uk->u", c, covariance, c)
    cross = np.take_along_axis(np.einsum("uj,ujk->uk", c, covariance), index, axis=1) * used
    joint[:, 0, 1:] = cross
    joint[:, 1:, 0] = cross
    rows = np.take_along_axis(covariance, index[:, :, None], axis=1)
    block = np.take_along_axis(rows, index[:, None, :], axis=2)
    joint[:, 1:, 1:] = block * (used[:, :, None] & used[:, None, :])
    centre = np.concatenate(
        [(c * mean).sum(axis=1, keepdims=True), np.take_along_axis(mean, index, axis=1) * used],
        axis=1,
    )
    cell_index = index[:, others.size :]
    return _Joint(
        root=_square_root(joint).astype(np.float32),
        mean=centre.astype(np.float32),
        other=[leaves[j] for j in others],
        other_w=weights[others].astype(np.float32),
        cell_scale=scale[cell_index].astype(np.float32),
        cell_points=((maximum * weights)[cell_index] * valid).astype(np.float32),
    )


def simulate_totals(
    framework: Framework,
    values: np.ndarray,
    se: np.ndarray,
    *,
    draws: int = 1000,
    seed: int = 0,
    history: History | None = None,
    covariance: np.ndarray | None = None,
) -> Iterator[np.ndarray]:
    """Yield (chunk, units) arrays of drawn totals, ``draws`` rows in all.

    Leaves without SE are fixed; linear leaves are summed per unit analytically where
    their clip cannot bind (``_linear_split``); the cells left and the leaves of other
    rules (bands, comparisons across units) are drawn value by value. ``covariance``
    (units, leaves, leaves), or (leaves, leaves) for every unit: its diagonal replaces
    ``se``²; leaves correlated with another leaf are drawn jointly per unit.
    """
    values = np.asarray(values, dtype=float)
    se = np.nan_to_num(np.asarray(se, dtype=float))
    leaves = framework.leaves
    weights = aggregation(framework).leaf_total
    correlated = np.zeros(len(leaves), dtype=bool)
    if covariance is not None:
        shape = (values.shape[0], len(leaves), len(leaves))
        covariance = np.broadcast_to(np.nan_to_num(np.asarray(covariance, dtype=float)), shape)
        se = np.sqrt(np.clip(np.diagonal(covariance, axis1=1, axis2=2), 0, None))
        off_diagonal = (covariance != 0) & ~np.eye(len(leaves), dtype=bool)
        correlated = off_diagonal.any(axis=(0, 1))
    noisy = (se > 0).any(axis=0)
    linear = np.array(
        [n.leaf == "survey" and (n.rule or {}).get("type") == "linear" for n in leaves]
    )
    fixed = np.flatnonzero(~noisy)
    joint = np.flatnonzero(noisy & correlated)
    lin = np.flatnonzero(noisy & linear & ~correlated)
    other = np.flatnonzero(noisy & ~linear & ~correlated)
    layout = (
        _joint_layout([leaves[j] for j in joint], values[:, joint],
                      covariance[:, joint][:, :, joint], weights[joint])
        if joint.size
        else None
    )  # fmt: skip
    # Rules that compare units see every unit's value, so the fixed part uses all units.
    base = (
        leaf_points([leaves[j] for j in fixed], values[:, fixed], history=history) @ weights[fixed]
    )
    lin_leaves = [leaves[j] for j in lin]
    unit_mean, unit_sd, cells = _linear_split(lin_leaves, values[:, lin], se[:, lin], weights[lin])
    base = base + unit_mean
    # Cells near a clip bound, grouped by unit for one reduceat per chunk.
    cell_unit, cell_leaf = np.nonzero(cells)
    cell_mu = values[:, lin][cells].astype(np.float32)
    cell_sd = se[:, lin][cells].astype(np.float32)
    cell_max = np.array([lin_leaves[j].maximum or 0.0 for j in cell_leaf], dtype=np.float32)
    cell_scale = np.array(
        [float(lin_leaves[j].rule.get("scale", 1)) for j in cell_leaf], dtype=np.float32
    )
    cell_w = weights[lin][cell_leaf].astype(np.float32)
    units_hit, starts = np.unique(cell_unit, return_index=True)
    other_leaves = [leaves[j] for j in other]
    other_mu = values[:, other].astype(np.float32)
    other_sd = se[:, other].astype(np.float32)
    other_w = weights[other].astype(np.float32)
    units = values.shape[0]
    joint_size = layout.root.shape[1] if layout is not None else 0
    per_draw = max(1, cell_unit.size + (other.size + joint_size) * units)
    chunk = max(1, CHUNK_CELLS // per_draw)
    rng = np.random.default_rng(seed)
    done = 0
    while done < draws:
        n = min(chunk, draws - done)
        total = base + unit_sd * rng.standard_normal((n, units), dtype=np.float32)
        if cell_unit.size:
            x = rng.standard_normal((n, cell_unit.size), dtype=np.float32)
            x *= cell_sd
            x += cell_mu
            points = np.clip(x / cell_scale, 0, 1) * (cell_max * cell_w)
            total[:, units_hit] += np.add.reduceat(points, starts, axis=1)
        if other.size:
            x = rng.standard_normal((n, units, other.size), dtype=np.float32)
            x *= other_sd
            x += other_mu
            total += leaf_points(other_leaves, x, history=history) @ other_w
        if layout is not None:
            total += layout.draw(rng, n, history)
        yield total
        done += n


def rank_intervals(
    framework: Framework,
    values: np.ndarray,
    se: np.ndarray,
    blocks: Sequence[Hashable],
    *,
    draws: int = 1000,
    k: int = 3,
    level: float = 0.9,
    seed: int = 0,
    history: History | None = None,
    covariance: np.ndarray | None = None,
) -> RankIntervals:
    """``values``/``se`` (units, leaves): SE 0 (or NaN) where a leaf is not drawn;
    ``covariance`` as ``simulate_totals`` takes it (None: independent components)."""
    totals = simulate_totals(
        framework, values, se, draws=draws, seed=seed, history=history, covariance=covariance
    )
    ranks = np.concatenate([block_ranks(t, blocks) for t in totals])
    return _summarise(ranks, blocks, k, level)


def _regular(framework: Framework) -> tuple[np.ndarray, np.ndarray]:
    """Per domain: its base weight (max points or weight) and whether it may move."""
    regular = np.array([not d.is_extra for d in framework.domains])
    base = np.array(
        [(d.weight if framework.weighted else d.maximum) or 0.0 for d in framework.domains]
    )
    return base, regular


@dataclass(frozen=True)
class Sensitivity:
    base_rank: np.ndarray
    low: np.ndarray
    high: np.ndarray
    mean_shift: np.ndarray  # mean |rank − base rank| over the draws


def weight_sensitivity(
    framework: Framework,
    contributions: np.ndarray,
    blocks: Sequence[Hashable],
    *,
    draws: int = 1000,
    spread: float = 0.25,
    level: float = 0.9,
    seed: int = 0,
) -> Sensitivity:
    """``contributions`` (units, domains): each domain's share of the total
    (``Scores.domain_points * aggregation(framework).domain_total``)."""
    base, regular = _regular(framework)
    rng = np.random.default_rng(seed)
    factors = np.ones((draws, len(base)))
    factors[:, regular] = rng.uniform(1 - spread, 1 + spread, (draws, int(regular.sum())))
    # Renormalise so the perturbed weights keep the framework's total.
    norm = base[regular].sum() / (factors[:, regular] * base[regular]).sum(axis=1)
    factors[:, regular] *= norm[:, None]
    totals = factors @ contributions.T  # (draws, units)
    ranks = block_ranks(totals, blocks)
    base_rank = block_ranks(contributions.sum(axis=1), blocks)
    tail = (1 - level) / 2
    low, high = np.quantile(ranks, [tail, 1 - tail], axis=0, method="inverted_cdf")
    return Sensitivity(
        base_rank=base_rank,
        low=low.astype(int),
        high=high.astype(int),
        mean_shift=np.abs(ranks - base_rank).mean(axis=0),
    )


def drop_one_domain(
    framework: Framework, contributions: np.ndarray, blocks: Sequence[Hashable]
) -> dict[str, np.ndarray]:
    """Domain code → each unit's rank shift (positive = climbs) without that domain,
    the others rescaled to the full total."""
    base, regular = _regular(framework)
    base_rank = block_ranks(contributions.sum(axis=1), blocks)
    out: dict[str, np.ndarray] = {}
    for d, domain in enumerate(framework.domains):
        if not regular[d]:
            continue
        factors = np.ones(len(base))
        factors[d] = 0.0
        factors[regular] *= base[regular].sum() / (base[regular].sum() - base[d])
        out[domain.code] = base_rank - block_ranks(contributions @ factors, blocks)
    return out
