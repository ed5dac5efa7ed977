"""The common case at full speed: one-stage Taylor designs without weight adjustments.

For a design whose variance only needs first-stage units (one stage, or several stages
without fpc) and no calibration, every number of a mean, total or ratio by domain
comes from three grids of sums over (PSU, domain) per item: ``w y``, ``w`` (or ``w x``)
and the respondent count. Each grid is one ``np.bincount`` per item, the same work as
the bare estimate; the Taylor variance is then computed on the (PSU x domain) grid.
Missing values only touch the grids through the (few) missing entries.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ._groups import FloatArray, IntArray, bincount
from .design import Design
from .variance import _stage_variance

__all__ = ["eligible", "linear_by_grid"]

Kind = Literal["mean", "total", "ratio"]
_MAX_CELLS = 8_000_000


def eligible(design: object) -> bool:
    """Whether :func:`linear_by_grid` gives the exact Taylor variance for ``design``."""
    return (
        isinstance(design, Design)
        and not design.adjustments
        and (len(design.stages) == 1 or not design.has_fpc)
    )


def linear_by_grid(
    design: Design,
    dom: IntArray,
    n_domains: int,
    y: FloatArray,
    kind: Kind,
    x: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.intp], FloatArray]:
    """Estimate, ``sum(w y)``, ``sum(w)`` (ratio: ``sum(w x)``), n and variance (D, k).

    ``y`` (n, k) items with NaN for missing; ``x`` (n, k) denominators for ratios.
    """
    stage = design.stages[0]
    d = n_domains
    u = stage.n_units
    width = d + 1  # the last column collects rows outside every domain
    size = u * width
    key = stage.unit.astype(np.int64) * width + np.where(dom < 0, d, dom)
    w = design.weights
    gw = bincount(key, weights=w, minlength=size)
    gc = bincount(key, weights=(w != 0).astype(np.float64), minlength=size)
    k = y.shape[1]
    est = np.empty((d, k))
    sa_all = np.empty((d, k))
    sb_all = np.empty((d, k))
    n_all = np.empty((d, k), dtype=np.intp)
    var = np.empty((d, k))
    step = max(1, _MAX_CELLS // size)
    ones = np.ones(u)
    for start in range(0, k, step):
        cols = range(start, min(k, start + step))
        kc = len(cols)
        # layout (unit, item, domain): each item's grid is written in contiguous rows
        ga = np.empty((u, kc, d))
        gb = np.empty((u, kc, d))
        gn = np.empty((u, kc, d))
        for c, j in enumerate(cols):
            a = w * y[:, j]
            miss = np.isnan(a)
            if x is not None:
                b = w * x[:, j]
                miss |= np.isnan(b)
            if miss.any():
                idx = np.flatnonzero(miss)
                a[idx] = 0.0
                kidx = key[idx]
                if x is not None:
                    b[idx] = 0.0
                    gbj = bincount(key, weights=b, minlength=size)
                else:
                    gbj = gw - bincount(kidx, weights=w[idx], minlength=size)
                gnj = gc - bincount(kidx, weights=(w[idx] != 0).astype(np.float64), minlength=size)
            else:
                gbj = gw if x is None else bincount(key, weights=b, minlength=size)
                gnj = gc
            ga[:, c, :] = bincount(key, weights=a, minlength=size).reshape(u, width)[:, :d]
            gb[:, c, :] = gbj.reshape(u, width)[:, :d]
            gn[:, c, :] = gnj.reshape(u, width)[:, :d]
        sa = ga.sum(axis=0)
        sb = gb.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            if kind == "total":
                e = sa
                totals = ga
            else:
                e = sa / sb
                totals = (ga - e * gb) / sb
        present = None
        if design.lonely_psu == "average":
            agg = np.zeros((stage.n_strata, kc, d))
            np.add.at(agg, stage.unit_stratum, gn)
            present = agg > 0
        sl = slice(start, start + kc)
        var[:, sl] = _stage_variance(totals, stage, ones, design.lonely_psu, 1, present).T
        est[:, sl] = e.T
        sa_all[:, sl] = sa.T
        sb_all[:, sl] = sb.T
        n_all[:, sl] = np.rint(gn.sum(axis=0)).astype(np.intp).T
    return est, sa_all, sb_all, n_all, var
