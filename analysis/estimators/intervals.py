"""Confidence intervals with the design's degrees of freedom (R ``confint``/``svyciprop``).

* :func:`wald_interval` — ``est ± t(df) * se`` (R ``confint(stat, df=degf(design))``;
  ``df=inf`` gives the normal interval).
* :func:`logit_interval` — for proportions, Wald on the logit scale, back-transformed
  (R ``svyciprop(method="logit")``: ``expit(logit(p) ± t * se / (p (1 - p)))``).
* :func:`beta_interval` — Korn–Graubard: Clopper–Pearson with the effective sample size
  ``p (1 - p) / var`` scaled by ``(t(n-1) / t(df))^2`` (R ``svyciprop(method="beta")``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special, stats

from ._groups import FloatArray

__all__ = ["beta_interval", "logit_interval", "t_quantile", "wald_interval"]


def t_quantile(level: float, df: ArrayLike) -> FloatArray:
    """Two-sided critical value ``t_{1 - (1 - level)/2, df}`` (normal when df is inf)."""
    d = np.asarray(df, dtype=np.float64)
    q = 1 - (1 - level) / 2
    out: FloatArray = np.where(
        np.isinf(d), stats.norm.ppf(q), stats.t.ppf(q, np.where(np.isinf(d), 1.0, d))
    )
    return out


def wald_interval(
    estimate: ArrayLike, se: ArrayLike, df: ArrayLike, level: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """``estimate ± t(df) * se`` elementwise."""
    est = np.asarray(estimate, dtype=np.float64)
    half = t_quantile(level, df) * np.asarray(se, dtype=np.float64)
    return est - half, est + half


def logit_interval(
    p: ArrayLike, se: ArrayLike, df: ArrayLike, level: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Logit-scale Wald interval for a proportion (R ``svyciprop(method="logit")``)."""
    pp = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = t_quantile(level, df) * np.asarray(se, dtype=np.float64) / (pp * (1 - pp))
        eta = special.logit(pp)
    return special.expit(eta - half), special.expit(eta + half)


def beta_interval(
    p: ArrayLike, variance: ArrayLike, df: ArrayLike, n_rows: ArrayLike, level: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Korn–Graubard interval (R ``svyciprop(method="beta")``).

    ``n_rows`` is the number of rows of the design (R's ``nrow(design)``), ``df`` its
    degrees of freedom.
    """
    pp = np.asarray(p, dtype=np.float64)
    alpha = 1 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = pp * (1 - pp) / np.asarray(variance, dtype=np.float64)
        ratio = stats.t.ppf(alpha / 2, np.asarray(n_rows, dtype=np.float64) - 1) / stats.t.ppf(
            alpha / 2, np.asarray(df, dtype=np.float64)
        )
        n_eff = n_eff * ratio**2
        low = stats.beta.ppf(alpha / 2, n_eff * pp, n_eff * (1 - pp) + 1)
        high = stats.beta.ppf(1 - alpha / 2, n_eff * pp + 1, n_eff * (1 - pp))
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
