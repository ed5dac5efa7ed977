"""Weighted means, totals, ratios, proportions and quantiles, by domain, with SEs.

All items and all domains go through one vectorised pass (see :mod:`.scores`). The
variance is the Taylor linearisation of :mod:`.variance` and equals R ``survey``'s
``svymean``/``svytotal``/``svyratio``/``svyquantile`` with ``svyby`` for domains.

Missing values: for each item the non-missing rows are a domain of the whole design
(R ``na.rm = TRUE``); rows whose ``by`` value is missing are in no domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import fastpath
from ._groups import FloatArray, IntArray, bincount, factorize_missing
from .design import Design, degrees_of_freedom
from .errors import EstimatorError
from .intervals import beta_interval, logit_interval, t_quantile, wald_interval
from .replicates import ReplicateDesign, replicate_sums, replicate_variance
from .scores import Scores
from .variance import taylor_variance

__all__ = [
    "Estimates",
    "estimate_mean",
    "estimate_proportion",
    "estimate_quantile",
    "estimate_ratio",
    "estimate_total",
]

IntervalMethod = Literal["wald", "logit", "beta"]
AnyDesign = Design | ReplicateDesign


@dataclass(frozen=True, eq=False)
class Estimates:
    """Estimates of ``k`` items in ``D`` domains (D = 1 without ``by``).

    ``estimate``, ``variance``, ``n`` (respondents used), ``deff`` and the optional
    precomputed ``ci_low``/``ci_high`` (quantiles) all have shape (D, k). ``df`` is the
    design degrees of freedom, a scalar or (D, 1) for quantiles by domain. ``n_rows``
    (D, 1) counts the rows of the design (domain) for the Korn–Graubard interval.
    """

    statistic: str
    items: tuple[str, ...]
    domains: NDArray[Any] | None
    estimate: FloatArray
    variance: FloatArray
    n: IntArray
    df: FloatArray
    n_rows: FloatArray
    deff: FloatArray | None = None
    ci_low: FloatArray | None = None
    ci_high: FloatArray | None = None

    @property
    def se(self) -> FloatArray:
        out: FloatArray = np.sqrt(self.variance)
        return out

    def confint(
        self, level: float = 0.95, method: IntervalMethod = "wald"
    ) -> tuple[FloatArray, FloatArray]:
        """Confidence limits (D, k). Quantiles carry their Woodruff interval."""
        if self.ci_low is not None and self.ci_high is not None:
            return self.ci_low, self.ci_high
        if method == "wald":
            return wald_interval(self.estimate, self.se, self.df, level)
        if method == "logit":
            return logit_interval(self.estimate, self.se, self.df, level)
        if method == "beta":
            return beta_interval(self.estimate, self.variance, self.df, self.n_rows, level)
        raise EstimatorError(f"unknown interval method {method!r}")


def _items(y: ArrayLike, names: Sequence[str] | None) -> tuple[FloatArray, tuple[str, ...]]:
    arr = np.asarray(y, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise EstimatorError("items must be an array (n,) or (n, k)")
    k = arr.shape[1]
    labels = tuple(names) if names is not None else tuple(f"y{j + 1}" for j in range(k))
    if len(labels) != k:
        raise EstimatorError("one name per item")
    return arr, labels


def _domains(design: AnyDesign, by: ArrayLike | None) -> tuple[IntArray, int, NDArray[Any] | None]:
    if by is None:
        return np.zeros(design.n, dtype=np.intp), 1, None
    codes, levels = factorize_missing(np.asarray(by))
    if codes.shape[0] != design.n:
        raise EstimatorError("by has the wrong length")
    return codes, int(levels.shape[0]), levels


def _dsum(dom: IntArray, d: int, values: FloatArray) -> FloatArray:
    """Domain sums (D, k) of (n, k) values; rows with domain -1 are dropped."""
    keep = dom >= 0
    idx = dom[keep]
    vals = values[keep]
    if vals.ndim == 1:
        return bincount(idx, weights=vals, minlength=d)[:, None]
    out = np.empty((d, vals.shape[1]))
    for j in range(vals.shape[1]):
        out[:, j] = bincount(idx, weights=vals[:, j], minlength=d)
    return out


def _variance(
    design: AnyDesign,
    scores: Scores,
    estimate: FloatArray,
    a: FloatArray,
    b: FloatArray | None,
) -> FloatArray:
    """Taylor variance, or replicate variance of the same ratio/total."""
    if isinstance(design, ReplicateDesign):
        dom, d = scores.domain, scores.n_domains
        sa = replicate_sums(design, dom, d, a)
        with np.errstate(divide="ignore", invalid="ignore"):
            thetas = sa if b is None else sa / replicate_sums(design, dom, d, b)
        return replicate_variance(design, thetas, estimate)
    return taylor_variance(design, scores)


def _df_and_rows(design: AnyDesign, dom: IntArray, d: int) -> tuple[FloatArray, FloatArray]:
    dof = (
        design.degrees_of_freedom
        if isinstance(design, ReplicateDesign)
        else degrees_of_freedom(design)
    )
    df = np.full((d, 1), float(dof))
    rows = bincount(dom[dom >= 0], minlength=d).astype(np.float64)[:, None]
    if d == 1:
        rows[:] = design.n
    return df, rows


def _weighted_var(
    dom: IntArray,
    d: int,
    w: FloatArray,
    ok: NDArray[np.bool_],
    resid: FloatArray,
    n: IntArray,
    wsum: FloatArray,
) -> FloatArray:
    """R ``svyvar``: ``n/(n-1) * sum(w r^2) / sum(w)`` per domain and item."""
    ss = _dsum(dom, d, w[:, None] * ok * resid * resid)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = ss / wsum * n / (n - 1)
    return out


def _count(design: AnyDesign, dom: IntArray, d: int, ok: NDArray[np.bool_]) -> IntArray:
    """Respondents with a positive weight per domain and item."""
    counted = (ok & (design.weights != 0)[:, None]).astype(np.float64)
    out: IntArray = np.rint(_dsum(dom, d, counted)).astype(np.intp)
    return out


def _prepare(design: AnyDesign, y: FloatArray) -> tuple[NDArray[np.bool_], FloatArray, FloatArray]:
    if y.shape[0] != design.n:
        raise EstimatorError("items have the wrong length")
    ok = ~np.isnan(y)
    w = design.weights
    a = w[:, None] * np.where(ok, y, 0.0)
    b = w if ok.all() else w[:, None] * ok
    return ok, a, b


def estimate_mean(
    design: AnyDesign,
    y: ArrayLike,
    *,
    by: ArrayLike | None = None,
    names: Sequence[str] | None = None,
    deff: bool = False,
) -> Estimates:
    """Weighted means of items ``y`` (n,) or (n, k), per domain of ``by`` (R ``svymean``).

    Score of row i for (d, j): ``w_i (y_ij - mean_dj) / W_dj`` on the non-missing rows of
    domain d. ``deff`` compares with SRS without replacement of the same size (R
    ``deff=TRUE``).
    """
    arr, labels = _items(y, names)
    dom, d, levels = _domains(design, by)
    if arr.shape[0] != design.n:
        raise EstimatorError("items have the wrong length")
    if fastpath.eligible(design):
        assert isinstance(design, Design)
        mean, _, sb, n, var = fastpath.linear_by_grid(design, dom, d, arr, "mean")
    else:
        ok, a, b = _prepare(design, arr)
        sa = _dsum(dom, d, a)
        sb = np.broadcast_to(_dsum(dom, d, b), sa.shape).copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = sa / sb
            alpha = 1.0 / sb
        var = _variance(design, Scores(dom, d, a, alpha, b, -mean * alpha, ok), mean, a, b)
        n = _count(design, dom, d, ok)
    df, rows = _df_and_rows(design, dom, d)
    dft = None
    if deff:
        ok = ~np.isnan(arr)
        resid = np.where(ok, arr, 0.0) - mean[np.maximum(dom, 0)]
        s2 = _weighted_var(dom, d, design.weights, ok, resid, n, sb)
        with np.errstate(divide="ignore", invalid="ignore"):
            dft = var / (s2 * (sb - n) / (sb * n))
    return Estimates("mean", labels, levels, mean, var, n, df, rows, dft)


def estimate_total(
    design: AnyDesign,
    y: ArrayLike,
    *,
    by: ArrayLike | None = None,
    names: Sequence[str] | None = None,
    deff: bool = False,
) -> Estimates:
    """Weighted totals of items ``y`` per domain (R ``svytotal``, ``svyby``)."""
    arr, labels = _items(y, names)
    dom, d, levels = _domains(design, by)
    if arr.shape[0] != design.n:
        raise EstimatorError("items have the wrong length")
    if fastpath.eligible(design):
        assert isinstance(design, Design)
        sa, _, sb, n, var = fastpath.linear_by_grid(design, dom, d, arr, "total")
    else:
        ok, a, b = _prepare(design, arr)
        sa = _dsum(dom, d, a)
        sb = np.broadcast_to(_dsum(dom, d, b), sa.shape)
        var = _variance(design, Scores(dom, d, a, np.ones_like(sa), ok=ok), sa, a, None)
        n = _count(design, dom, d, ok)
    df, rows = _df_and_rows(design, dom, d)
    dft = None
    if deff:
        ok = ~np.isnan(arr)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = sa / sb
            resid = np.where(ok, arr, 0.0) - mean[np.maximum(dom, 0)]
            s2 = _weighted_var(dom, d, design.weights, ok, resid, n, sb)
            dft = var / (s2 * sb**2 * (sb - n) / (sb * n))
    return Estimates("total", labels, levels, sa, var, n, df, rows, dft)


def estimate_ratio(
    design: AnyDesign,
    numerator: ArrayLike,
    denominator: ArrayLike,
    *,
    by: ArrayLike | None = None,
    names: Sequence[str] | None = None,
    deff: bool = False,
) -> Estimates:
    """Ratios of weighted totals ``sum(w y) / sum(w x)`` per domain (R ``svyratio``).

    ``numerator`` and ``denominator`` are (n,) or (n, k), paired column by column. Rows
    missing either are left out. Score: ``w (y - R x) / X``.
    """
    num, labels = _items(numerator, names)
    den, _ = _items(denominator, None)
    if num.shape != den.shape:
        raise EstimatorError("numerator and denominator must have the same shape")
    ok = ~(np.isnan(num) | np.isnan(den))
    if num.shape[0] != design.n:
        raise EstimatorError("items have the wrong length")
    w = design.weights
    dom, d, levels = _domains(design, by)
    if fastpath.eligible(design):
        assert isinstance(design, Design)
        ratio, _, sb, n, var = fastpath.linear_by_grid(design, dom, d, num, "ratio", den)
    else:
        a = w[:, None] * np.where(ok, num, 0.0)
        b = w[:, None] * np.where(ok, den, 0.0)
        sa = _dsum(dom, d, a)
        sb = _dsum(dom, d, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = sa / sb
            alpha = 1.0 / sb
        var = _variance(design, Scores(dom, d, a, alpha, b, -ratio * alpha, ok), ratio, a, b)
        n = _count(design, dom, d, ok)
    df, rows = _df_and_rows(design, dom, d)
    dft = None
    if deff:
        wsum = _dsum(dom, d, w[:, None] * ok)
        didx = np.maximum(dom, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = (np.where(ok, num, 0.0) - ratio[didx] * np.where(ok, den, 0.0)) / sb[didx]
            rbar = _dsum(dom, d, w[:, None] * ok * r) / wsum
            s2 = _weighted_var(dom, d, w, ok, r - rbar[didx], n, wsum)
            dft = var / (s2 * wsum**2 * (wsum - n) / (wsum * n))
    return Estimates("ratio", labels, levels, ratio, var, n, df, rows, dft)


def estimate_proportion(
    design: AnyDesign,
    y: ArrayLike,
    *,
    by: ArrayLike | None = None,
    levels: Sequence[Any] | None = None,
    deff: bool = False,
) -> Estimates:
    """Share of each category of a choice question, per domain (R ``svymean(~factor)``).

    ``y`` (n,) holds the answers (missing: None/NaN/""); the items of the result are
    the categories (sorted, or ``levels``).
    """
    codes, found = factorize_missing(np.asarray(y))
    cats = list(found) if levels is None else list(levels)
    lookup = {str(c): i for i, c in enumerate(cats)}
    remap = np.array([lookup.get(str(c), -1) for c in found], dtype=np.intp)
    if np.any(remap < 0):
        raise EstimatorError("an answer is not among the given levels")
    code = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
    ind = np.zeros((design.n, len(cats)))
    rows = np.flatnonzero(code >= 0)
    ind[rows, code[rows]] = 1.0
    ind[code < 0, :] = np.nan
    out = estimate_mean(design, ind, by=by, names=[str(c) for c in cats], deff=deff)
    return Estimates(
        "proportion",
        out.items,
        out.domains,
        out.estimate,
        out.variance,
        out.n,
        out.df,
        out.n_rows,
        out.deff,
    )


def _qrule_math(
    x_sorted: FloatArray,
    cw: FloatArray,
    seg: IntArray,
    start: IntArray,
    end: IntArray,
    total: FloatArray,
    p: FloatArray,
) -> FloatArray:
    """R ``qrule_math`` for every segment at once (one p per segment, NaN allowed).

    ``cw`` is the cumulative weight within the segment of the sorted values; the
    quantile is ``x[pos]`` if ``cw[pos] / W == p`` else ``x[pos + 1]``, with ``pos`` the
    last position where ``cw <= p W`` (the first position if none).
    """
    thr = p * total
    flag = cw <= thr[seg]
    count = bincount(seg, weights=flag.astype(np.float64), minlength=start.shape[0])
    count = count.astype(np.intp)
    pos = np.where(count > 0, start + count - 1, start)
    empty = end <= start
    pos = np.where(empty, 0, pos)
    wlow = p - cw[pos] / total
    nxt = np.minimum(pos + 1, np.maximum(end - 1, 0))
    out = np.where(wlow == 0, x_sorted[pos], x_sorted[nxt])
    return np.where(empty | np.isnan(p), np.nan, out)


def estimate_quantile(
    design: AnyDesign,
    y: ArrayLike,
    probs: Sequence[float],
    *,
    by: ArrayLike | None = None,
    names: Sequence[str] | None = None,
    level: float = 0.95,
) -> Estimates:
    """Weighted quantiles with Woodruff intervals (R >= 4.1 ``svyquantile`` defaults).

    Quantile rule ``qrule="math"`` (the smallest value whose weighted CDF reaches p),
    ``interval.type="mean"``: the interval of the CDF at the estimate, mapped back
    through the quantile rule; ``se = (upper - lower) / (2 t)``. As R's ``svyby``, the
    degrees of freedom of a domain are its own PSUs minus strata. Items of the result
    are ``name@p`` for each item and probability.
    """
    if not isinstance(design, Design):
        raise EstimatorError("quantiles are estimated on a Taylor design, not replicates")
    arr, labels = _items(y, names)
    if arr.shape[0] != design.n:
        raise EstimatorError("items have the wrong length")
    pr = np.asarray(probs, dtype=np.float64)
    if pr.ndim != 1 or np.any((pr < 0) | (pr > 1)):
        raise EstimatorError("probabilities must be in [0, 1]")
    dom, d, levels = _domains(design, by)
    w = design.weights
    k, nq = arr.shape[1], pr.shape[0]
    est = np.full((d, k * nq), np.nan)
    low = np.full((d, k * nq), np.nan)
    high = np.full((d, k * nq), np.nan)
    var = np.full((d, k * nq), np.nan)
    n = np.zeros((d, k * nq), dtype=np.intp)
    if by is None:
        dfs = np.full(d, float(degrees_of_freedom(design)))
    else:
        dfs = _domain_df(design, dom, d)
    tcrit = t_quantile(level, dfs)
    ind = np.zeros((design.n, k * nq))
    for j in range(k):  # per item: one sort of (domain, value)
        col = arr[:, j]
        rows, xs, seg, cw, start, end, total = _segments(col, dom, d, w)
        nonmiss = np.zeros((design.n,), dtype=bool)
        nonmiss[rows] = True
        for q in range(nq):
            c = j * nq + q
            qhat = _qrule_math(xs, cw, seg, start, end, total, np.full(d, pr[q]))
            est[:, c] = qhat
            n[:, c] = end - start
            ind[:, c] = np.where(nonmiss, (col <= qhat[np.maximum(dom, 0)]).astype(float), np.nan)
    cdf = estimate_mean(design, ind, by=by)
    for j in range(k):
        _, xs, seg, cw, start, end, total = _segments(arr[:, j], dom, d, w)
        for q in range(nq):
            c = j * nq + q
            half = tcrit * cdf.se[:, c]
            p_lo = cdf.estimate[:, c] - half
            p_hi = cdf.estimate[:, c] + half
            p_lo = np.where(p_lo < 0, np.nan, p_lo)
            p_hi = np.where(p_hi > 1, np.nan, p_hi)
            low[:, c] = _qrule_math(xs, cw, seg, start, end, total, p_lo)
            high[:, c] = _qrule_math(xs, cw, seg, start, end, total, p_hi)
            var[:, c] = ((high[:, c] - low[:, c]) / (2 * tcrit)) ** 2
    qlabels = tuple(f"{lab}@{p:g}" for lab in labels for p in pr)
    _, rows_n = _df_and_rows(design, dom, d)
    return Estimates(
        "quantile", qlabels, levels, est, var, n, dfs[:, None], rows_n, None, low, high
    )


def _segments(
    col: FloatArray, dom: IntArray, d: int, w: FloatArray
) -> tuple[IntArray, FloatArray, IntArray, FloatArray, IntArray, IntArray, FloatArray]:
    """Rows sorted by (domain, value) with cumulative weights within each domain.

    Cumulative sums run in extended precision and are rounded to double, as R's
    ``cumsum`` does, so that ties of the quantile rule fall the same way.
    """
    keep = ~np.isnan(col) & (dom >= 0) & (w != 0)
    rows = np.flatnonzero(keep)
    order = rows[np.lexsort((col[rows], dom[rows]))]
    xs = col[order]
    seg = dom[order]
    start = np.searchsorted(seg, np.arange(d), side="left")
    end = np.searchsorted(seg, np.arange(d), side="right")
    cs = np.cumsum(w[order].astype(np.longdouble))
    offset = np.where(start > 0, cs[np.maximum(start - 1, 0)], 0)
    cw = np.asarray(cs - offset[seg], dtype=np.float64)
    total = np.where(end > start, cw[np.maximum(end - 1, 0)], np.nan)
    return rows, xs, seg, cw, start, end, total


def _domain_df(design: Design, dom: IntArray, d: int) -> FloatArray:
    """PSUs minus strata with rows in each domain (R ``degf`` of a subset design)."""
    inset = (design.weights != 0) & (dom >= 0)
    psu = design.psu[inset].astype(np.int64)
    strata = design.strata[inset].astype(np.int64)
    dd = dom[inset].astype(np.int64)
    n_psu = bincount(
        np.unique(dd * (psu.max(initial=0) + 1) + psu) // (psu.max(initial=0) + 1), minlength=d
    )
    n_str = bincount(
        np.unique(dd * (strata.max(initial=0) + 1) + strata) // (strata.max(initial=0) + 1),
        minlength=d,
    )
    out: FloatArray = (n_psu - n_str).astype(np.float64)
    return out
