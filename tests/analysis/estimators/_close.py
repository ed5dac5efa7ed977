"""Comparison with R: relative 1e-8.

A value that is zero in exact arithmetic (e.g. the SE of a calibration variable) is
rounding noise in both R and here: entries below 1e-11 of the largest expected value
are compared on that absolute scale instead.
"""

from __future__ import annotations

import numpy as np

RTOL = 1e-8


def close(actual: object, expected: list[float], rtol: float = RTOL) -> None:
    a = np.ravel(np.asarray(actual, dtype=np.float64))
    e = np.asarray(expected, dtype=np.float64)
    assert a.shape == e.shape, (a.shape, e.shape)
    scale = float(np.nanmax(np.abs(e))) if np.any(np.isfinite(e)) else 0.0
    scale = scale if scale > 0 else 1.0
    zero = np.abs(e) <= 1e-11 * scale
    np.testing.assert_allclose(a[~zero], e[~zero], rtol=rtol, atol=0, equal_nan=True)
    assert np.all(np.abs(a[zero]) <= 1e-11 * scale), a[zero]
