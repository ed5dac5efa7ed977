"""Base weights, nonresponse adjustment, trimming and weight diagnostics.

* :func:`base_weights_from_probs` — ``1 / pi``.
* :func:`base_weights_from_counts` — frame count / respondents per stratum
  (``N_h / n_h``: the natural weight of transaction-linked surveys).
* :func:`nonresponse_adjust` — weighting-class adjustment: respondents carry the weight
  of the nonrespondents of their class.
* :func:`trim_weights` — R ``trimWeights``: cap weights to ``[lower, upper]`` and share
  the trimmed amount *equally* among the weights inside the bounds (``strict`` repeats
  until none is outside).
* :func:`kish_deff`, :func:`effective_sample_size`, :func:`weight_summary` —
  diagnostics (Kish's design effect due to weighting ``n sum(w^2) / sum(w)^2 = 1 + CV^2``
  with the population CV).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._groups import FloatArray, bincount, factorize
from .design import Design
from .errors import CalibrationError, DesignError

__all__ = [
    "WeightSummary",
    "base_weights_from_counts",
    "base_weights_from_probs",
    "effective_sample_size",
    "kish_deff",
    "nonresponse_adjust",
    "trim_design",
    "trim_weights",
    "weight_summary",
]


def base_weights_from_probs(probs: ArrayLike) -> FloatArray:
    """Design weights ``1 / pi`` (n,); every probability must be in (0, 1]."""
    p = np.asarray(probs, dtype=np.float64)
    if np.any(~np.isfinite(p)) or np.any((p <= 0) | (p > 1)):
        raise DesignError("inclusion probabilities must be in (0, 1]")
    out: FloatArray = 1.0 / p
    return out


def base_weights_from_counts(strata: ArrayLike, frame_counts: Mapping[Any, float]) -> FloatArray:
    """Design weights ``N_h / n_h`` (n,) from frame counts per stratum (keys as strings)."""
    codes, levels = factorize(np.asarray(strata))
    counts = {str(k): float(v) for k, v in frame_counts.items()}
    missing = [str(lv) for lv in levels if str(lv) not in counts]
    if missing:
        raise DesignError(f"no frame count for stratum {missing[0]}")
    big_n = np.array([counts[str(lv)] for lv in levels])
    small_n = bincount(codes, minlength=levels.shape[0]).astype(np.float64)
    if np.any(big_n < small_n):
        raise DesignError("a frame count is smaller than the number of respondents")
    out: FloatArray = (big_n / small_n)[codes]
    return out


def nonresponse_adjust(weights: ArrayLike, responded: ArrayLike, classes: ArrayLike) -> FloatArray:
    """Weighting-class nonresponse adjustment (n,); nonrespondents get weight 0.

    Within each class, respondents' weights are multiplied by
    ``sum(w, sampled) / sum(w, respondents)``. A class without respondents is an error.
    """
    w = np.asarray(weights, dtype=np.float64)
    r = np.asarray(responded, dtype=bool)
    codes, levels = factorize(np.asarray(classes))
    k = int(levels.shape[0])
    total = bincount(codes, weights=w, minlength=k)
    resp = bincount(codes, weights=w * r, minlength=k)
    empty = (resp == 0) & (total > 0)
    if empty.any():
        first = levels[np.flatnonzero(empty)[0]]
        raise CalibrationError(f"weighting class {first} has no respondents")
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(resp > 0, total / resp, 0.0)
    out: FloatArray = np.where(r, w * factor[codes], 0.0)
    return out


def trim_weights(
    weights: ArrayLike,
    *,
    lower: float = -np.inf,
    upper: float = np.inf,
    strict: bool = False,
    max_iter: int = 100,
) -> FloatArray:
    """Cap weights to ``[lower, upper]``, redistributing the excess (R ``trimWeights``).

    The total is kept: the trimmed amount is shared equally by the untrimmed weights,
    which may push some of them past a bound; ``strict=True`` repeats until none is.
    """
    pw = np.asarray(weights, dtype=np.float64).copy()
    for _ in range(max_iter):
        outside = (pw < lower) | (pw > upper)
        if not outside.any():
            return pw
        if outside.all():
            raise CalibrationError("every weight is outside the trimming bounds")
        new = np.maximum(lower, np.minimum(pw, upper))
        trimmings = pw - new
        new[~outside] += trimmings.sum() / (~outside).sum()
        pw = new
        if not strict:
            return pw
    raise CalibrationError("trimming did not settle within its iteration cap")


def trim_design(
    design: Design, *, lower: float = -np.inf, upper: float = np.inf, strict: bool = False
) -> Design:
    """:func:`trim_weights` applied to a design (its adjustments are kept, as in R)."""
    return design.with_weights(
        trim_weights(design.weights, lower=lower, upper=upper, strict=strict)
    )


def kish_deff(weights: ArrayLike) -> float:
    """Kish's design effect due to unequal weighting: ``n sum(w^2) / (sum w)^2``."""
    w = np.asarray(weights, dtype=np.float64)
    w = w[w != 0]
    return float(w.shape[0] * np.sum(w * w) / np.sum(w) ** 2)


def effective_sample_size(weights: ArrayLike) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum(w^2)``."""
    w = np.asarray(weights, dtype=np.float64)
    return float(np.sum(w) ** 2 / np.sum(w * w))


@dataclass(frozen=True)
class WeightSummary:
    """Summary of a weight vector (zero weights excluded)."""

    n: int
    total: float
    min: float
    q25: float
    median: float
    q75: float
    max: float
    mean: float
    cv: float
    kish_deff: float
    effective_n: float


def weight_summary(weights: ArrayLike) -> WeightSummary:
    """Min, quartiles, max, mean, CV (population sd / mean), Kish deff and n_eff."""
    w = np.asarray(weights, dtype=np.float64)
    w = w[w != 0]
    if w.size == 0:
        raise DesignError("no positive weights")
    q = np.quantile(w, [0.25, 0.5, 0.75])
    mean = float(w.mean())
    return WeightSummary(
        n=int(w.shape[0]),
        total=float(w.sum()),
        min=float(w.min()),
        q25=float(q[0]),
        median=float(q[1]),
        q75=float(q[2]),
        max=float(w.max()),
        mean=mean,
        cv=float(w.std() / mean),
        kish_deff=kish_deff(w),
        effective_n=effective_sample_size(w),
    )
