"""Replicate-weight designs: JK1, JKn, bootstrap, BRR and Fay (R ``as.svrepdesign``).

A :class:`ReplicateDesign` holds the full-sample weights and a matrix of replicate
*multipliers* (n, R) (R's ``combined.weights = FALSE``): replicate r has weights
``weights * repweights[:, r]``. The variance of a statistic is::

    scale * sum_r rscales[r] * (theta_r - centre)^2

with ``centre`` the mean of the replicates (R's default ``mse = FALSE``) or the
full-sample estimate (``mse = True``). The estimators of :mod:`.estimates` accept a
replicate design directly; domains and items are still one pass (a sparse domain
indicator times the weighted replicate matrix).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse

from ._groups import FloatArray, IntArray, bincount
from .design import Design
from .errors import DesignError, LonelyPSUError

__all__ = [
    "ReplicateDesign",
    "bootstrap_design",
    "brr_design",
    "jk1_design",
    "jkn_design",
    "replicate_design",
    "replicate_variance",
]


@dataclass(frozen=True, eq=False)
class ReplicateDesign:
    """Full-sample weights (n,), replicate multipliers (n, R), scale, rscales (R,)."""

    weights: FloatArray
    repweights: FloatArray
    scale: float
    rscales: FloatArray
    mse: bool = False
    type: str = "custom"
    df: int | None = None

    @property
    def n(self) -> int:
        return int(self.weights.shape[0])

    @property
    def n_replicates(self) -> int:
        return int(self.repweights.shape[1])

    @property
    def degrees_of_freedom(self) -> int:
        """R's ``degf`` for replicate designs: rank of the replicate weights minus one."""
        if self.df is not None:
            return self.df
        rank = np.linalg.matrix_rank(self.weights[:, None] * self.repweights, tol=None)
        return int(rank) - 1


def replicate_design(
    weights: ArrayLike,
    repweights: ArrayLike,
    *,
    scale: float,
    rscales: ArrayLike | None = None,
    mse: bool = False,
    combined: bool = False,
    type: str = "custom",
) -> ReplicateDesign:
    """A replicate design from given replicate weights (R ``svrepdesign``).

    With ``combined=True`` the replicate columns are final weights and are turned into
    multipliers.
    """
    w = np.asarray(weights, dtype=np.float64)
    rw = np.asarray(repweights, dtype=np.float64)
    if rw.ndim != 2 or rw.shape[0] != w.shape[0]:
        raise DesignError("replicate weights must be (n, R)")
    if combined:
        with np.errstate(divide="ignore", invalid="ignore"):
            rw = np.where(w[:, None] == 0, 0.0, rw / w[:, None])
    rs = np.ones(rw.shape[1]) if rscales is None else np.asarray(rscales, dtype=np.float64)
    return ReplicateDesign(w, rw, float(scale), rs, mse, type)


def _first_stage(design: Design) -> tuple[IntArray, IntArray, FloatArray]:
    st = design.stages[0]
    return st.unit, st.unit_stratum, st.unit_popsize


def jk1_design(design: Design) -> ReplicateDesign:
    """Delete-one-PSU jackknife for an unstratified design (R ``type="JK1"``)."""
    if design.has_strata:
        raise DesignError("JK1 needs an unstratified design; use JKn")
    unit, _, pop = _first_stage(design)
    n_psu = int(unit.max()) + 1
    rw = np.full((design.n, n_psu), n_psu / (n_psu - 1))
    rw[np.arange(design.n), unit] = 0.0
    fpc = 1.0 if not design.has_fpc else float((pop[0] - n_psu) / pop[0])
    return ReplicateDesign(
        design.weights, rw, fpc * (n_psu - 1) / n_psu, np.ones(n_psu), type="JK1"
    )


def jkn_design(design: Design) -> ReplicateDesign:
    """Stratified delete-one-PSU jackknife (R ``type="JKn"``), one replicate per PSU."""
    unit, ustrat, pop = _first_stage(design)
    n_units = int(unit.max()) + 1
    nh = bincount(ustrat).astype(np.float64)[ustrat]
    fpc = np.where(np.isinf(pop), 1.0, (pop - nh) / pop) if design.has_fpc else np.ones(n_units)
    lonely = nh == 1
    if np.any(lonely & (fpc != 0)):
        if design.lonely_psu in ("fail",):
            raise LonelyPSUError("a stratum has only one PSU")
        if design.lonely_psu == "adjust":
            raise DesignError("lonely_psu='adjust' is not supported for JKn")
    keep = ~(lonely & (fpc != 0))
    cols = np.flatnonzero(keep)
    row_stratum = ustrat[unit]
    # replicate for unit u: units of the same stratum get nh/(nh-1), u gets 0, others 1
    rw = np.ones((design.n, cols.shape[0]))
    same = row_stratum[:, None] == ustrat[cols][None, :]
    with np.errstate(divide="ignore"):
        factor = np.where(nh[cols] > 1, nh[cols] / (nh[cols] - 1), 1.0)
    rw = np.where(same, factor[None, :], rw)
    rw[unit[:, None] == cols[None, :]] = 0.0
    rscales = fpc[cols] * (nh[cols] - 1) / nh[cols]
    scale = 1.0
    if design.lonely_psu == "average" and cols.shape[0] < n_units:
        scale = n_units / cols.shape[0]
    return ReplicateDesign(design.weights, rw, scale, rscales, type="JKn")


def bootstrap_design(
    design: Design, replicates: int = 50, *, rng: np.random.Generator | None = None
) -> ReplicateDesign:
    """Rao–Wu bootstrap with ``n_h`` PSUs drawn with replacement per stratum.

    As R's ``bootweights`` without fpc: multiplier = times drawn (R's
    ``as.svrepdesign(type="bootstrap")``); ``scale = m / ((m - 1) (R - 1))`` with ``m``
    the harmonic mean of PSUs per stratum. Random: pass ``rng`` for reproducibility; to
    reproduce R exactly, export its replicate weights and use :func:`replicate_design`.
    """
    gen = np.random.default_rng() if rng is None else rng
    unit, ustrat, _ = _first_stage(design)
    n_units = int(unit.max()) + 1
    counts = np.zeros((n_units, replicates))
    order = np.argsort(ustrat, kind="stable")
    bounds = np.searchsorted(ustrat[order], np.arange(int(ustrat.max()) + 2))
    for h in range(bounds.shape[0] - 1):  # per stratum (few), vectorised over replicates
        members = order[bounds[h] : bounds[h + 1]]
        draws = gen.integers(0, members.shape[0], size=(members.shape[0], replicates))
        for r in range(replicates):
            counts[members, r] = bincount(draws[:, r], minlength=members.shape[0])
    per = bincount(ustrat).astype(np.float64)
    m = 1 / np.mean(1 / per)
    return ReplicateDesign(
        design.weights,
        counts[unit],
        float(m / ((m - 1) * (replicates - 1))),
        np.ones(replicates),
        type="bootstrap",
    )


def _sylvester(size: int) -> FloatArray:
    h = np.ones((1, 1))
    while h.shape[0] < size:
        h = np.block([[h, h], [h, -h]])
    return h


def brr_design(
    design: Design, *, fay_rho: float = 0.0, hadamard: ArrayLike | None = None
) -> ReplicateDesign:
    """Balanced repeated replication (Fay's variant with ``fay_rho > 0``).

    Every stratum must have exactly two PSUs. Replicate r keeps weight ``2 - rho`` for
    one PSU of stratum h and ``rho`` for the other, as row ``h + 1`` of a Hadamard
    matrix (±1) says. By default a Sylvester matrix of the smallest power-of-two order
    above the number of strata; pass R's matrix to reproduce R's replicates.
    """
    unit, ustrat, _ = _first_stage(design)
    n_units = int(unit.max()) + 1
    n_strata = int(ustrat.max()) + 1
    if np.any(bincount(ustrat, minlength=n_strata) != 2):
        raise DesignError("BRR needs exactly two PSUs in every stratum")
    if hadamard is None:
        size = 4
        while size < n_strata + 1:
            size *= 2
        hm = _sylvester(size)
    else:
        hm = np.asarray(hadamard, dtype=np.float64)
        hm = np.where(hm == hm.flat[0], 1.0, -1.0) if np.unique(hm).shape[0] == 2 else hm
    first = np.zeros(n_units, dtype=bool)
    seen = np.zeros(n_strata, dtype=bool)
    for u in range(n_units):  # PSUs (not respondents): mark the first PSU of each stratum
        if not seen[ustrat[u]]:
            first[u] = True
            seen[ustrat[u]] = True
    signs = hm[1 : n_strata + 1, :]  # (strata, R)
    plus = signs[ustrat] > 0
    keep = np.where(first[:, None], plus, ~plus)
    mult = np.where(keep, 2 - fay_rho, fay_rho)
    reps = hm.shape[1]
    return ReplicateDesign(
        design.weights,
        mult[unit],
        1 / (reps * (1 - fay_rho) ** 2),
        np.ones(reps),
        type="BRR" if fay_rho == 0 else "Fay",
    )


def replicate_sums(
    rdesign: ReplicateDesign, dom: IntArray, n_domains: int, values: FloatArray
) -> FloatArray:
    """Domain sums under every replicate: (R, D, k) for (n, k) weighted values."""
    keep = dom >= 0
    ind = sparse.csr_matrix(
        (np.ones(int(keep.sum())), (dom[keep], np.flatnonzero(keep))),
        shape=(n_domains, rdesign.n),
    )
    vals = values if values.ndim == 2 else values[:, None]
    out = np.empty((rdesign.n_replicates, n_domains, vals.shape[1]))
    for j in range(vals.shape[1]):
        out[:, :, j] = np.asarray(ind @ (rdesign.repweights * vals[:, j][:, None])).T
    return out


def replicate_variance(
    rdesign: ReplicateDesign, thetas: FloatArray, estimate: FloatArray
) -> FloatArray:
    """R ``svrVar``: variance from replicate estimates (R, ...) around their mean."""
    rs = rdesign.rscales
    good = np.isfinite(thetas)  # R drops replicates that give NA (svrVar's na.omit)
    th = np.where(good, thetas, 0.0)
    if rdesign.mse:
        centre = estimate
    else:
        use = good & (rs > 0).reshape((-1,) + (1,) * (thetas.ndim - 1))
        with np.errstate(invalid="ignore", divide="ignore"):
            centre = np.sum(np.where(use, th, 0.0), axis=0) / np.sum(use, axis=0)
    dev = np.where(good, th - centre, 0.0)
    out: FloatArray = rdesign.scale * np.tensordot(rs, dev * dev, axes=1)
    return out
