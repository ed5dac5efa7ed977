"""Grouping helpers shared by the estimators (factorising, grouped sums)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import DesignError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

__all__ = ["FloatArray", "IntArray", "bincount", "combine_codes", "factorize", "group_sum"]


def factorize(values: ArrayLike) -> tuple[IntArray, NDArray[Any]]:
    """Codes ``0..L-1`` in sorted order of the distinct values, and the levels.

    Missing values (``None``, NaN, empty string) are an error here: ids, strata and
    domain keys must be complete (use :func:`factorize_missing` for domains).
    """
    arr = np.asarray(values)
    codes, levels = _factorize(arr)
    if codes.min(initial=0) < 0:
        raise DesignError("missing values in a grouping variable")
    return codes, levels


def factorize_missing(values: ArrayLike) -> tuple[IntArray, NDArray[Any]]:
    """Like :func:`factorize` but missing values get code -1."""
    return _factorize(np.asarray(values))


def _factorize(arr: NDArray[Any]) -> tuple[IntArray, NDArray[Any]]:
    if arr.ndim != 1:
        raise DesignError("grouping variables must be one-dimensional")
    if arr.dtype.kind == "f":
        miss = np.isnan(arr)
    elif arr.dtype.kind in "OUS":
        miss = np.array([v is None or v == "" or v != v for v in arr.tolist()], dtype=bool)
        if arr.dtype.kind == "O":
            arr = arr.astype(str)
    else:
        miss = np.zeros(arr.shape[0], dtype=bool)
        if arr.dtype.kind in "iub" and arr.size:
            return _factorize_small_ints(arr.astype(np.int64, copy=False))
    if miss.any():
        levels, inv = np.unique(arr[~miss], return_inverse=True)
        codes = np.full(arr.shape[0], -1, dtype=np.intp)
        codes[~miss] = inv
        return codes, levels
    levels, inv = np.unique(arr, return_inverse=True)
    return inv.astype(np.intp, copy=False).reshape(-1), levels


def _factorize_small_ints(arr: NDArray[np.int64]) -> tuple[IntArray, NDArray[Any]]:
    """Integers of a modest range: counting instead of sorting (one pass)."""
    lo, hi = int(arr.min()), int(arr.max())
    if hi - lo > 4 * arr.shape[0] + 1024:
        levels, inv = np.unique(arr, return_inverse=True)
        return inv.astype(np.intp, copy=False).reshape(-1), levels
    shifted = arr - lo if lo != 0 else arr
    present = np.bincount(shifted, minlength=hi - lo + 1) > 0
    if present.all():  # already compact codes: nothing to remap
        return shifted.astype(np.intp, copy=False), np.arange(lo, hi + 1)
    remap = np.cumsum(present) - 1
    return remap[shifted].astype(np.intp), np.flatnonzero(present) + lo


def combine_codes(codes: Sequence[IntArray], sizes: Sequence[int]) -> tuple[IntArray, int]:
    """Codes of the interaction of several coded factors (only observed combinations)."""
    if not codes:
        raise DesignError("nothing to combine")
    key = np.zeros(codes[0].shape[0], dtype=np.int64)
    for c, s in zip(codes, sizes, strict=True):
        key = key * int(s) + c
    inv, levels = _factorize_small_ints(key)
    return inv, int(levels.shape[0])


def bincount(
    codes: NDArray[Any], weights: NDArray[Any] | None = None, minlength: int = 0
) -> FloatArray:
    """``np.bincount`` typed as float64 (the stubs say integer even with weights)."""
    out: FloatArray = np.bincount(codes, weights=weights, minlength=minlength).astype(
        np.float64, copy=False
    )
    return out


def group_sum(codes: IntArray, n_groups: int, values: FloatArray) -> FloatArray:
    """Sums of ``values`` (n,) or (n, k) by ``codes`` -> (n_groups,) or (n_groups, k)."""
    if values.ndim == 1:
        return bincount(codes, values, n_groups)
    out = np.empty((n_groups, values.shape[1]))
    for j in range(values.shape[1]):  # one bincount pass per column: the floor
        out[:, j] = np.bincount(codes, weights=values[:, j], minlength=n_groups)
    return out
