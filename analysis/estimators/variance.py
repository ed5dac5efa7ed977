"""Taylor-linearisation variance for stratified multistage designs.

Matches R ``survey``'s ``svyrecvar`` (survey 4.1): scores are first replaced by the
residuals of every weight adjustment (post-stratification, raking, calibration), then
summed to the units of each stage, centred within the stage strata and combined::

    V = sum_stage  prod_{earlier stages}(n_h / N_h)
                   * sum_h f_h n_h / (n_h - 1) * sum_{u in h} (T_u - mean_h T)^2

with ``f_h = (N_h - n_h) / N_h`` (1 without fpc). Later stages only count when the
design has an fpc (otherwise the first stage is the "ultimate cluster"). A stratum
with ``f_h ~ 0`` (all units taken) adds nothing. Strata with a single unit follow
``design.lonely_psu`` as in R (``survey.adjust.domain.lonely = FALSE``).

All domains and items are computed at once: per stage, one bincount pass per item
gives the unit totals of every domain; the rest works on (units x domains x items).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from ._groups import FloatArray, bincount
from .design import Design, Stage
from .errors import LonelyPSUError
from .scores import Scores, feature_cross, feature_group_sums

__all__ = ["taylor_variance"]

_MAX_CELLS = 20_000_000  # units x domains x items held at once


def taylor_variance(design: Design, scores: Scores) -> FloatArray:
    """Variances (D, k) of the domain x item estimators whose scores are ``scores``."""
    d = scores.n_domains
    k = scores.n_items
    widest = max(st.n_units for st in design.stages)
    if _rows_are_psus(design):
        widest = design.stages[0].n_strata  # held per stratum, not per unit
    for adj in design.adjustments:
        widest = max(widest, adj.features.n_features)
    step = max(1, _MAX_CELLS // max(1, widest * d))
    out = np.empty((d, k))
    for start in range(0, k, step):
        sl = slice(start, min(k, start + step))
        out[:, sl] = _variance_block(design, scores.chunk(sl))
    return out


def _variance_block(design: Design, sc: Scores) -> FloatArray:
    d, k = sc.n_domains, sc.n_items
    adjs = design.adjustments
    ks: list[FloatArray] = []
    for j, adj in enumerate(adjs):
        proj = sc.project(adj.features, adj.b)
        for prev, k_prev in zip(adjs[:j], ks, strict=True):
            cross = feature_cross(adj.features, adj.b * prev.a, prev.features)
            proj -= np.tensordot(cross, k_prev, axes=1)
        p = adj.features.n_features
        ks.append(adj.solve(proj.reshape(p, d * k)).reshape(p, d, k))
    if _rows_are_psus(design):
        return _adjusted_rows_variance(design, sc, ks)

    var = np.zeros((d, k))
    mult = np.ones(design.stages[0].n_units)
    for s, stage in enumerate(design.stages):
        if s > 0:
            if not design.has_fpc:
                break
            mult = mult[stage.unit_parent]
        totals = sc.grid(stage.unit, stage.n_units)
        for adj, k_adj in zip(adjs, ks, strict=True):
            g = feature_group_sums(adj.features, adj.a, stage.unit, stage.n_units)
            totals -= np.tensordot(g, k_adj, axes=1)
        present = None
        if design.lonely_psu == "average" and not adjs:
            # R subsets an uncalibrated design to the domain: strata without its rows
            # drop out of the count of strata that rescales the average
            present = sc.presence(stage.unit_stratum[stage.unit], stage.n_strata)
        var += _stage_variance(totals, stage, mult, design.lonely_psu, s + 1, present)
        samp = stage.stratum_sampsize[stage.unit_stratum]
        mult = mult * (samp / stage.unit_popsize)
    return var


def _rows_are_psus(design: Design) -> bool:
    """One stage whose units are the rows, with weight adjustments: the case of a
    round's cell-weight strata then raking or calibration (handled without a dense
    rows x domains x items array)."""
    stage = design.stages[0]
    return (
        bool(design.adjustments)
        and len(design.stages) == 1
        and stage.n_units == design.n
        and design.lonely_psu != "average"
    )


def _adjusted_rows_variance(design: Design, sc: Scores, ks: list[FloatArray]) -> FloatArray:
    """The variance of :func:`_variance_block` for one stage of single-row units.

    Row u's total is ``T_u = z_u - G_u K``: ``z_u`` its score (non-zero in its own
    domain only), ``G_u`` (P,) the adjustments' ``a_u F_u`` side by side and ``K``
    (P, D, k) their solved projections. With ``s_u`` the stratum scale ``f n/(n-1)``::

        V = sum_u s_u T_u^2 - sum_h s_h / n_h (sum_{u in h} T_u)^2
          = sum s z^2 - 2 sum s z (G K) + K' (G' S G) K - sum_h s_h/n_h (Z_h - G_h K)^2

    — sums over (domain), (row, own domain), a P x P Gram matrix and (stratum, domain):
    never rows x domains. A lone unit of a live stratum adds 0 (R's "remove",
    "certainty"), its uncentred square with "adjust".
    """
    stage = design.stages[0]
    n, d, k = design.n, sc.n_domains, sc.n_items
    unit_stratum = stage.unit_stratum
    nh = stage.stratum_sampsize
    scale, f = stage_scales(stage)
    live = bincount(unit_stratum, weights=(f >= 1e-7).astype(np.float64), minlength=stage.n_strata)
    live_h = live > 0
    lonely_h = (nh == 1) & live_h
    if lonely_h.any() and design.lonely_psu == "fail":
        h = int(np.flatnonzero(lonely_h)[0])
        raise LonelyPSUError(f"stratum {h} has only one PSU at stage 1")
    s_unit = scale * live_h[unit_stratum]
    row_unit = stage.unit
    s_row = s_unit[row_unit]
    stratum = unit_stratum[row_unit]
    s_h = np.zeros(stage.n_strata)
    s_h[unit_stratum] = scale  # the scale is the stratum's
    centre = np.where(lonely_h & (design.lonely_psu == "adjust"), 0.0, 1.0) * live_h
    centre = centre * s_h / np.maximum(nh, 1)

    dom = sc.domain
    inside = dom >= 0
    own = np.maximum(dom, 0)
    # z: each row's score in its own domain (n, k)
    z = sc.A * sc.alpha[own]
    if sc.B is not None and sc.beta is not None:
        b = sc.B[:, None] if sc.B.ndim == 1 else sc.B
        z = z + b * sc.beta[own]
    z = np.where(inside[:, None], z, 0.0)
    # G: the adjustments' a_u F_u as one sparse (n, P) matrix
    blocks = []
    for adj in design.adjustments:
        feats = adj.features
        if feats.codes is not None:
            blocks.append(
                sparse.csr_matrix((adj.a, (np.arange(n), feats.codes)), shape=(n, feats.n_features))
            )
        else:
            assert feats.matrix is not None
            blocks.append(sparse.csr_matrix(adj.a[:, None] * feats.matrix))
    g = sparse.hstack(blocks, format="csr")
    kk = np.concatenate(ks, axis=0)  # (P, D, k)
    p = kk.shape[0]
    flat = kk.reshape(p, d * k)

    def by_domain(values: FloatArray) -> FloatArray:
        return np.stack(
            [bincount(own[inside], weights=values[inside, j], minlength=d) for j in range(k)],
            axis=1,
        )

    # Σ s z²
    term_zz = by_domain(s_row[:, None] * z * z)
    # Σ s z (G K) in the row's own domain: G's entries times K at (feature, own domain)
    coo = g.tocoo()
    at = np.asarray(coo.row)
    own_k = kk[np.asarray(coo.col), own[at], :] * np.asarray(coo.data)[:, None]  # (nnz, k)
    gk_own = np.stack([bincount(at, weights=own_k[:, j], minlength=n) for j in range(k)], axis=1)
    term_zc = by_domain(s_row[:, None] * z * gk_own)
    # K' (G' S G) K
    gram = (g.T @ sparse.diags(s_row) @ g).tocsr()
    term_cc = np.einsum("pq,pq->q", flat, np.asarray(gram @ flat)).reshape(d, k)
    # Σ_h s_h/n_h (Z_h − G_h K)²
    keep = inside
    key = stratum[keep].astype(np.int64) * d + dom[keep]
    z_h = np.stack(
        [bincount(key, weights=z[keep, j], minlength=stage.n_strata * d) for j in range(k)],
        axis=1,
    ).reshape(stage.n_strata, d, k)
    members = sparse.csr_matrix((np.ones(n), (stratum, np.arange(n))), shape=(stage.n_strata, n))
    g_h = (members @ g).tocsr()
    t_h = z_h - np.asarray(g_h @ flat).reshape(stage.n_strata, d, k)
    term_h = np.einsum("h,hdk->dk", centre, t_h * t_h)
    out: FloatArray = term_zz - 2 * term_zc + term_cc - term_h
    return out


def stage_scales(stage: Stage) -> tuple[FloatArray, FloatArray]:
    """Per unit: ``f n/(n-1)`` (``f`` if n = 1) and ``f``, with ``f = (N - n)/N``."""
    nh = stage.stratum_sampsize[stage.unit_stratum].astype(np.float64)
    pop = stage.unit_popsize
    with np.errstate(invalid="ignore"):
        f = np.where(np.isinf(pop), 1.0, (pop - nh) / pop)
    scale = np.where(nh > 1, f * nh / np.maximum(nh - 1, 1), f)
    return scale, f


def _stage_variance(
    totals: FloatArray,
    stage: Stage,
    mult: FloatArray,
    lonely: str,
    stage_no: int,
    present: NDArray[np.bool_] | None = None,
) -> FloatArray:
    """Variance contribution of one stage from unit totals (U, D, k)."""
    st = stage.unit_stratum
    nh = stage.stratum_sampsize
    scale, f = stage_scales(stage)
    # R: a stratum whose units all have f < 1e-7 contributes nothing (certainty)
    live = bincount(st, weights=(f >= 1e-7).astype(np.float64), minlength=stage.n_strata) > 0
    agg = sparse.csr_matrix(
        (np.ones(st.shape[0]), (st, np.arange(st.shape[0]))),
        shape=(stage.n_strata, st.shape[0]),
    )
    flat = totals.reshape(totals.shape[0], -1)
    means = (np.asarray(agg @ flat) / nh[:, None]).reshape(stage.n_strata, *totals.shape[1:])
    dev = totals - means[st]
    lonely_h = (nh == 1) & live
    weight = mult * scale * live[st]
    if lonely_h.any():
        if lonely == "fail":
            h = int(np.flatnonzero(lonely_h)[0])
            raise LonelyPSUError(f"stratum {h} has only one PSU at stage {stage_no}")
        lonely_u = lonely_h[st]
        if lonely == "adjust":
            dev[lonely_u] = totals[lonely_u]
        elif lonely == "average":
            parent = stage.stratum_parent
            if present is None:
                present = np.ones((stage.n_strata, *totals.shape[1:]), dtype=bool)
            cols = present.reshape(stage.n_strata, -1).astype(np.float64)
            agg_p = sparse.csr_matrix(
                (np.ones(stage.n_strata), (parent, np.arange(stage.n_strata))),
                shape=(stage.n_parents, stage.n_strata),
            )
            nstrat = np.asarray(agg_p @ cols)
            nok = np.asarray(agg_p @ (cols * ~lonely_h[:, None]))
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = (nstrat / nok).reshape(stage.n_parents, *totals.shape[1:])
            unit_factor = np.where(lonely_u[:, None, None], 0.0, factor[parent[st]])
            out_avg: FloatArray = np.einsum("u,udk->dk", weight, unit_factor * dev * dev)
            return out_avg
        # remove, certainty: a lone unit is its own stratum mean, so dev is 0
    out: FloatArray = np.einsum("u,udk->dk", weight, dev * dev)
    return out
