"""Comparison with R: relative 1e-8; an exact 0 in R may be rounding noise here."""

from __future__ import annotations

import numpy as np

RTOL = 1e-8


def close(actual: object, expected: list[float], rtol: float = RTOL) -> None:
    a = np.ravel(np.asarray(actual, dtype=np.float64))
    e = np.asarray(expected, dtype=np.float64)
    assert a.shape == e.shape, (a.shape, e.shape)
    scale = np.nanmax(np.abs(e)) if np.any(np.isfinite(e)) else 1.0
    zero = e == 0
    np.testing.assert_allclose(a[~zero], e[~zero], rtol=rtol, atol=0, equal_nan=True)
    assert np.all(np.abs(a[zero]) <= 1e-12 * max(scale, 1.0)), a[zero]
