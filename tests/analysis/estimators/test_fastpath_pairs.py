"""The pair form of the fast path (large PSU x domain grids) equals the dense grid."""

import numpy as np
import pytest

from analysis.estimators import fastpath, make_design
from analysis.estimators.errors import LonelyPSUError


def _design(rng: np.random.Generator, lonely: str, *, clustered: bool, fpc: bool):
    n = 400
    strata = rng.integers(0, 12, n)
    strata[:1] = 99  # a stratum with a single PSU
    clusters = [strata * 100 + rng.integers(0, 6, n)] if clustered else None
    population = np.where(strata == 99, 5.0, 80.0)
    return make_design(
        weights=rng.uniform(1, 9, n),
        strata=strata,
        clusters=clusters,
        fpc=population if fpc and not clustered else None,
        lonely_psu=lonely,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("lonely", ["remove", "adjust", "certainty"])
@pytest.mark.parametrize("clustered", [False, True])
@pytest.mark.parametrize("kind", ["mean", "total", "ratio"])
def test_pairs_equal_the_grid(lonely, clustered, kind):
    rng = np.random.default_rng(7)
    design = _design(rng, lonely, clustered=clustered, fpc=True)
    n = design.n
    dom = rng.integers(-1, 9, n)  # -1: outside every domain
    y = rng.integers(1, 6, (n, 3)).astype(float)
    y[rng.random((n, 3)) < 0.1] = np.nan
    x = rng.integers(1, 3, (n, 3)).astype(float) if kind == "ratio" else None

    grid = fastpath.linear_by_grid(design, dom, 9, y, kind, x)
    pairs = fastpath.linear_by_pairs(design, dom, 9, y, kind, x)

    for dense, sparse in zip(grid, pairs, strict=True):
        np.testing.assert_allclose(sparse, dense, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_pairs_fail_on_a_lonely_psu_as_the_grid_does():
    design = _design(np.random.default_rng(1), "fail", clustered=False, fpc=False)
    y = np.ones((design.n, 1))

    with pytest.raises(LonelyPSUError):
        fastpath.linear_by_pairs(design, np.zeros(design.n, dtype=np.intp), 1, y, "mean")
