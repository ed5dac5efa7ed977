"""The common case at full speed: one-stage Taylor designs without weight adjustments.

For a design whose variance only needs first-stage units (one stage, or several stages
without fpc) and no calibration, every number of a mean, total or ratio by domain
comes from three grids of sums over (PSU, domain) per item: ``w y``, ``w`` (or ``w x``)
and the respondent count. Each grid is one ``np.bincount`` per item, the same work as
the bare estimate; the Taylor variance is then computed on the (PSU x domain) grid.
Missing values only touch the grids through the (few) missing entries.

When the (PSU x domain) grid would be large — typically one respondent per PSU in a
stratified design, with hundreds of domains — the same sums are taken over the
(PSU, domain) pairs that hold rows and over (stratum, domain) groups: units of a
stratum outside a domain have a zero total, so their squared deviations are the group
mean squared times their summed weight. Memory and time are then O(n), whatever the
number of domains.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ._groups import FloatArray, IntArray, bincount
from .design import Design
from .errors import LonelyPSUError
from .variance import _stage_variance, stage_scales

__all__ = ["eligible", "linear_by_grid"]

Kind = Literal["mean", "total", "ratio"]
_MAX_CELLS = 8_000_000
# (PSU x domain) cells above which the pair form is used (lonely "average" excepted).
DENSE_LIMIT = 2_000_000


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
    if size > DENSE_LIMIT and design.lonely_psu != "average":
        return linear_by_pairs(design, dom, d, y, kind, x)
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


def linear_by_pairs(
    design: Design,
    dom: IntArray,
    n_domains: int,
    y: FloatArray,
    kind: Kind,
    x: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.intp], FloatArray]:
    """:func:`linear_by_grid` over the (PSU, domain) pairs present: O(n) memory."""
    stage = design.stages[0]
    d = n_domains
    k = y.shape[1]
    est, sa_all, sb_all, var = (np.zeros((d, k)) for _ in range(4))
    n_all = np.zeros((d, k), dtype=np.intp)
    if d == 0:
        return est, sa_all, sb_all, n_all, var
    inside = dom >= 0
    pair_key = stage.unit.astype(np.int64)[inside] * d + dom[inside]
    pairs, pair_of_row = np.unique(pair_key, return_inverse=True)
    m = len(pairs)
    pair_unit, pair_dom = pairs // d, pairs % d

    st = stage.unit_stratum
    nh = stage.stratum_sampsize.astype(np.float64)
    scale, f = stage_scales(stage)
    live = bincount(st, weights=(f >= 1e-7).astype(np.float64), minlength=stage.n_strata) > 0
    lonely_h = (stage.stratum_sampsize == 1) & live
    if lonely_h.any() and design.lonely_psu == "fail":
        h = int(np.flatnonzero(lonely_h)[0])
        raise LonelyPSUError(f"stratum {h} has only one PSU at stage 1")
    weight_u = scale * live[st]
    groups, group_of_pair = np.unique(st[pair_unit] * d + pair_dom, return_inverse=True)
    g = len(groups)
    group_h, group_d = groups // d, groups % d
    w_pair = weight_u[pair_unit]
    # Summed weight of the stratum's units with no row in the domain (their total is 0).
    outside = bincount(st, weights=weight_u, minlength=stage.n_strata)[group_h] - bincount(
        group_of_pair, weights=w_pair, minlength=g
    )
    adjust = design.lonely_psu == "adjust"
    lonely_pair = lonely_h[st[pair_unit]]

    w = design.weights[inside]
    counted = (w != 0).astype(np.float64)
    for j in range(k):
        a = w * y[inside, j]
        miss = np.isnan(a)
        if x is not None:
            b = w * x[inside, j]
            miss |= np.isnan(b)
            b[miss] = 0.0
        else:
            b = np.where(miss, 0.0, w)
        a[miss] = 0.0
        a_p = bincount(pair_of_row, weights=a, minlength=m)
        b_p = bincount(pair_of_row, weights=b, minlength=m)
        n_p = bincount(pair_of_row, weights=np.where(miss, 0.0, counted), minlength=m)
        sa = bincount(pair_dom, weights=a_p, minlength=d)
        sb = bincount(pair_dom, weights=b_p, minlength=d)
        with np.errstate(divide="ignore", invalid="ignore"):
            if kind == "total":
                e, z = sa, a_p
            else:
                e = sa / sb
                z = (a_p - e[pair_dom] * b_p) / sb[pair_dom]
            mean = bincount(group_of_pair, weights=z, minlength=g) / nh[group_h]
        dev = z - mean[group_of_pair]
        if adjust:  # R: a lone PSU is centred on zero, not on its own total
            dev = np.where(lonely_pair, z, dev)
        inner = bincount(group_of_pair, weights=w_pair * dev * dev, minlength=g)
        var[:, j] = bincount(group_d, weights=inner + outside * mean * mean, minlength=d)
        est[:, j], sa_all[:, j], sb_all[:, j] = e, sa, sb
        n_all[:, j] = np.rint(bincount(pair_dom, weights=n_p, minlength=d)).astype(np.intp)
    return est, sa_all, sb_all, n_all, var
