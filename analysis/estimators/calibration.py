"""Post-stratification, raking and calibration of weights (R ``survey`` semantics).

Each function returns a new :class:`~.design.Design` with the adjusted weights and an
:class:`~.design.Adjustment` recording what the Taylor variance needs:

* :func:`poststratify` — R ``postStratify``: weights scaled to known cell totals; the
  variance uses residuals from the post-stratum means.
* :func:`rake` — iterative proportional fitting on several margins, solved on the
  collapsed cells of the margin variables (never on rows). The variance follows R's
  ``svyrecvar`` for raking: ten sweeps of (unweighted) backfitting of the scores on the
  margins, which at convergence is what ``rake()`` reports.
* :func:`calibrate` — R ``calibrate``: linear (GREG, closed form) or Newton iterations
  for ``"linear"`` with bounds, ``"raking"`` (exponential, optionally clamped) and
  ``"logit"`` (bounded raking); the variance uses residuals of the weighted regression
  of the scores on the calibration variables (R's ``qr.resid`` on ``X * sqrt(d)``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike

from ._groups import FloatArray, IntArray, bincount, combine_codes, factorize
from .design import Adjustment, Design, Features, _first_rows
from .errors import CalibrationError, ConvergenceError, MarginError

__all__ = ["CalibrationMethod", "calibrate", "poststratify", "rake", "rake_cells"]

CalibrationMethod = Literal["linear", "raking", "logit"]
Totals = Mapping[Any, float]


def _match_totals(levels: Any, population: Totals, what: str) -> FloatArray:
    """Population totals in the order of ``levels`` (keys matched as strings)."""
    pop = {str(k): float(v) for k, v in population.items()}
    missing = [str(lv) for lv in levels if str(lv) not in pop]
    if missing:
        raise MarginError(f"{what}: no population total for {', '.join(missing[:5])}")
    return np.array([pop[str(lv)] for lv in levels], dtype=np.float64)


def _check_extra(levels: Any, population: Totals, what: str, partial: bool) -> None:
    seen = {str(lv) for lv in levels}
    extra = [str(k) for k, v in population.items() if str(k) not in seen and float(v) != 0]
    if extra and not partial:
        raise MarginError(f"{what}: category {extra[0]} has no respondents")


def poststratify(
    design: Design, cells: ArrayLike, population: Totals, *, partial: bool = False
) -> Design:
    """Post-stratify to known population counts per cell (R ``postStratify``).

    ``cells`` (n,) holds the post-stratum of each row; ``population`` maps each cell
    to its population total. A cell in the sample without a total, or (unless
    ``partial``) a populated cell without respondents, is an error.
    """
    codes, levels = factorize(np.asarray(cells))
    if codes.shape[0] != design.n:
        raise CalibrationError("post-strata have the wrong length")
    _check_extra(levels, population, "post-stratification", partial)
    target = _match_totals(levels, population, "post-stratification")
    p = int(levels.shape[0])
    oldw = design.weights
    sample = bincount(codes, weights=oldw, minlength=p)
    bad = (sample == 0) & (target != 0)
    if bad.any():
        raise MarginError(f"post-stratum {levels[np.flatnonzero(bad)[0]]} has no weight")
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(sample == 0, 1.0, target / sample)
    neww = oldw * g[codes]
    psw = np.where((neww == 0) & (oldw == 0), 1.0, neww)
    old_sum = bincount(codes, weights=oldw, minlength=p)
    safe = np.where(old_sum == 0, 1.0, old_sum)

    def solve(s: FloatArray) -> FloatArray:
        out: FloatArray = s / safe[:, None]
        return out

    adj = Adjustment(
        kind="poststratify",
        features=Features(n_features=p, codes=codes),
        a=psw,
        b=oldw / psw,
        solve=solve,
    )
    return design.with_weights(neww, adj)


def rake_cells(
    cell_totals: FloatArray,
    cell_margins: Sequence[IntArray],
    targets: Sequence[FloatArray],
    *,
    tol: float = 1e-10,
    max_iter: int = 1000,
) -> tuple[FloatArray, int]:
    """IPF on collapsed cells: factors ``g`` (cells,) with every margin met.

    ``cell_totals`` (C,) are the weighted counts of the cells; ``cell_margins[m]`` (C,)
    the category of each cell on margin ``m``; ``targets[m]`` the population totals of
    margin ``m``. Stops when every margin is met to a relative ``tol``.
    """
    g = np.ones_like(cell_totals)
    for it in range(1, max_iter + 1):
        for cats, target in zip(cell_margins, targets, strict=True):
            current = bincount(cats, weights=cell_totals * g, minlength=target.shape[0])
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(current == 0, 1.0, target / current)
            g = g * ratio[cats]
        worst = 0.0
        for cats, target in zip(cell_margins, targets, strict=True):
            current = bincount(cats, weights=cell_totals * g, minlength=target.shape[0])
            scale = np.maximum(np.abs(target), 1.0)
            worst = max(worst, float(np.max(np.abs(current - target) / scale)))
        if worst < tol:
            return g, it
    raise ConvergenceError(f"raking did not converge in {max_iter} iterations")


def rake(
    design: Design,
    margins: Sequence[tuple[ArrayLike, Totals]],
    *,
    tol: float = 1e-10,
    max_iter: int = 1000,
    total_tol: float = 1e-6,
) -> Design:
    """Rake the weights to several population margins (R ``rake``, run to convergence).

    ``margins`` is a sequence of ``(values (n,), {category: population total})``.
    Errors: margins whose totals differ by more than ``total_tol`` (relative), a
    category with population but no respondents, a respondent category without a
    population total, or no convergence within ``max_iter`` sweeps.
    """
    if not margins:
        raise MarginError("rake needs at least one margin")
    codes: list[IntArray] = []
    sizes: list[int] = []
    targets: list[FloatArray] = []
    for m, (values, population) in enumerate(margins):
        c, levels = factorize(np.asarray(values))
        if c.shape[0] != design.n:
            raise MarginError(f"margin {m + 1} has the wrong length")
        _check_extra(levels, population, f"margin {m + 1}", partial=False)
        targets.append(_match_totals(levels, population, f"margin {m + 1}"))
        codes.append(c)
        sizes.append(int(levels.shape[0]))
    grand = [float(t.sum()) for t in targets]
    if max(grand) - min(grand) > total_tol * max(abs(max(grand)), 1.0):
        raise MarginError(f"margins disagree on the population total: {grand}")
    cell, n_cells = combine_codes(codes, sizes)
    first = _first_rows(cell, n_cells)
    cell_margins = [c[first] for c in codes]
    w = design.weights
    cell_totals = bincount(cell, weights=w, minlength=n_cells)
    for m, (cats, target) in enumerate(zip(cell_margins, targets, strict=True)):
        have = bincount(cats, weights=cell_totals, minlength=target.shape[0])
        empty = (have == 0) & (target != 0)
        if empty.any():
            raise MarginError(f"margin {m + 1}: a category has no respondents (weight 0)")
    g, _ = rake_cells(cell_totals, cell_margins, targets, tol=tol, max_iter=max_iter)
    neww = w * g[cell]
    counts = bincount(cell, minlength=n_cells).astype(np.float64)
    cat_counts = [
        bincount(c, weights=counts, minlength=s) for c, s in zip(cell_margins, sizes, strict=True)
    ]
    psw = np.where(neww == 0, 1.0, neww)

    def solve(s: FloatArray) -> FloatArray:
        # R svyrecvar: 10 sweeps of x <- x - psw * ave(x / psw, margin)
        s = s.copy()
        corr = np.zeros_like(s)
        for _ in range(10):
            for cats, nc in zip(cell_margins, cat_counts, strict=True):
                agg = np.zeros((nc.shape[0], s.shape[1]))
                np.add.at(agg, cats, s)
                with np.errstate(divide="ignore", invalid="ignore"):
                    avg = np.where(nc[:, None] > 0, agg / nc[:, None], 0.0)
                corr += avg[cats]
                s -= counts[:, None] * avg[cats]
        return corr

    adj = Adjustment(
        kind="rake",
        features=Features(n_features=n_cells, codes=cell),
        a=psw,
        b=1.0 / psw,
        solve=solve,
    )
    return design.with_weights(neww, adj)


def _calfun(
    method: CalibrationMethod, lower: float, upper: float
) -> tuple[Callable[[FloatArray], FloatArray], Callable[[FloatArray], FloatArray]]:
    """R's ``cal.linear``/``cal.raking``/``cal.logit``: (F^-1 - 1, its derivative)."""
    if method == "linear":
        return (
            lambda u: np.minimum(np.maximum(u + 1, lower), upper) - 1,
            lambda u: ((u < upper - 1) & (u > lower - 1)).astype(np.float64),
        )
    if method == "raking":
        return (
            lambda u: np.minimum(np.maximum(np.exp(u), lower), upper) - 1,
            lambda u: np.where((u < upper - 1) & (u > lower - 1), np.exp(u), 0.0),
        )
    if method == "logit":
        if not (np.isfinite(lower) and np.isfinite(upper)):
            raise CalibrationError("logit calibration needs finite bounds")
        a = (upper - lower) / ((upper - 1) * (1 - lower))

        def fm1(u: FloatArray) -> FloatArray:
            e = np.exp(a * u)
            out: FloatArray = (lower * (upper - 1) + upper * (1 - lower) * e) / (
                upper - 1 + (1 - lower) * e
            ) - 1
            return out

        def df(u: FloatArray) -> FloatArray:
            e = np.exp(a * u)
            den = upper - 1 + (1 - lower) * e
            out: FloatArray = (
                upper * (1 - lower) * e * a / den
                - ((lower * (upper - 1) + upper * (1 - lower) * e) * ((1 - lower) * e * a)) / den**2
            )
            return out

        return fm1, df
    raise CalibrationError(f"unknown calibration method {method!r}")


def calibrate(
    design: Design,
    x: ArrayLike,
    totals: ArrayLike,
    *,
    method: CalibrationMethod = "linear",
    bounds: tuple[float, float] = (-np.inf, np.inf),
    max_iter: int = 50,
    tol: float = 1e-10,
) -> Design:
    """Calibrate the weights so that ``sum(w * x) == totals`` (R ``calibrate``).

    ``x`` (n, p) is the model matrix (e.g. an intercept and category dummies, as R's
    ``model.matrix``); ``totals`` (p,) the population totals. ``bounds`` are bounds on
    the g-weights (new / old weight). Unbounded linear calibration is R's closed-form
    ``regcalibrate``; otherwise R's ``grake`` Newton iterations, converged when every
    ``|misfit| / (1 + |total|) < tol``.
    """
    mm = np.asarray(x, dtype=np.float64)
    if mm.ndim == 1:
        mm = mm[:, None]
    pop = np.asarray(totals, dtype=np.float64).reshape(-1)
    if mm.shape[0] != design.n:
        raise CalibrationError("calibration variables have the wrong length")
    ww = design.weights
    sample_total = ww @ mm
    if np.any(sample_total == 0):
        keep = ~((pop == 0) & np.all(mm == 0, axis=0))
        mm, pop, sample_total = mm[:, keep], pop[keep], sample_total[keep]
    if sample_total.shape[0] != pop.shape[0]:
        raise CalibrationError("population and sample totals are not the same length")
    lower, upper = bounds
    if method == "linear" and not np.isfinite(lower) and not np.isfinite(upper):
        tmat = mm.T @ (mm * ww[:, None])
        try:
            coef = np.linalg.solve(tmat, pop - sample_total)
        except np.linalg.LinAlgError as exc:
            raise CalibrationError("calibration variables are collinear") from exc
        g = 1.0 + mm @ coef
    else:
        g = _grake(mm, ww, pop, method, lower, upper, max_iter, tol)
    whalf = np.sqrt(ww)
    q, r, _ = scipy.linalg.qr(mm * whalf[:, None], mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int(np.sum(diag > 1e-7 * diag[0])) if diag.size else 0
    q = np.ascontiguousarray(q[:, :rank])
    wg = g * whalf
    safe = np.where(wg == 0, 1.0, wg)

    def solve(s: FloatArray) -> FloatArray:
        return s

    adj = Adjustment(
        kind=f"calibrate-{method}",
        features=Features(n_features=rank, matrix=q),
        a=wg,
        b=np.where(wg == 0, 0.0, 1.0 / safe),
        solve=solve,
    )
    return design.with_weights(ww * g, adj)


def _grake(
    mm: FloatArray,
    ww: FloatArray,
    pop: FloatArray,
    method: CalibrationMethod,
    lower: float,
    upper: float,
    max_iter: int,
    tol: float,
) -> FloatArray:
    """R's ``grake``: Newton iterations on the Lagrange multipliers."""
    fm1, df = _calfun(method, lower, upper)
    sample_total = ww @ mm
    eta = np.zeros(mm.shape[1])
    scales = pop / sample_total
    scale = None
    if np.min(scales) > 20:  # R rescales weights that are far from the totals
        scale = float(np.mean(scales))
        ww = ww * scale
        sample_total = sample_total * scale
    xeta = mm @ eta
    g = 1 + fm1(xeta)
    deriv = df(xeta)
    it = 1
    while True:
        tmat = (mm * (ww * deriv)[:, None]).T @ mm
        misfit = pop - sample_total - (ww * fm1(xeta)) @ mm
        deta = np.linalg.pinv(tmat, rcond=256 * np.finfo(float).eps) @ misfit
        eta = eta + deta
        xeta = mm @ eta
        g = 1 + fm1(xeta)
        deriv = df(xeta)
        while it < max_iter and not (np.all(np.isfinite(g)) and np.all(np.isfinite(deriv))):
            it += 1
            deta = deta / 2
            eta = eta - deta
            xeta = mm @ eta
            g = 1 + fm1(xeta)
            deriv = df(xeta)
        misfit = pop - sample_total - (ww * fm1(xeta)) @ mm
        if np.all(np.abs(misfit) / (1 + np.abs(pop)) < tol):
            break
        it += 1
        if it > max_iter:
            worst = float(np.max(np.abs(misfit) / (1 + np.abs(pop))))
            raise ConvergenceError(
                f"calibration did not converge: relative misfit {worst:.3g} after {it} steps"
            )
    if scale is not None:
        g = g * scale
    return g
