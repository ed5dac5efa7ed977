"""Property tests: raking meets its margins, row order is irrelevant, textbook SRS."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.estimators import (
    calibrate,
    estimate_mean,
    estimate_quantile,
    estimate_ratio,
    estimate_total,
    make_design,
    rake,
)

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def survey(draw: st.DrawFn) -> dict[str, np.ndarray]:
    n = draw(st.integers(12, 60))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    strata = rng.integers(0, 3, n)
    psu = strata * 10 + rng.integers(0, 4, n)
    # every stratum needs two PSUs: pin two rows per stratum
    for h in range(3):
        strata[2 * h : 2 * h + 2] = h
        psu[2 * h] = h * 10
        psu[2 * h + 1] = h * 10 + 1
    y = rng.normal(50, 10, n)
    y[rng.random(n) < 0.1] = np.nan
    return {
        "w": rng.uniform(1, 5, n),
        "strata": strata,
        "psu": psu,
        "y": y,
        "x": rng.uniform(1, 3, n),
        "dom": rng.integers(0, 3, n),
        # every sex x age cell has respondents, so any margins can be met
        "sex": np.r_[[0, 0, 0, 1, 1, 1], rng.integers(0, 2, n - 6)],
        "age": np.r_[[0, 1, 2, 0, 1, 2], rng.integers(0, 3, n - 6)],
    }


@SETTINGS
@given(survey(), st.floats(0.2, 0.8), st.floats(0.1, 0.5), st.floats(0.2, 0.4))
def test_raked_weights_hit_every_margin(
    s: dict[str, np.ndarray], p_sex: float, p_age0: float, p_age1: float
) -> None:
    total = 1000.0
    sex = {0: p_sex * total, 1: (1 - p_sex) * total}
    age = {0: p_age0 * total, 1: p_age1 * total, 2: (1 - p_age0 - p_age1) * total}
    d = make_design(weights=s["w"], strata=s["strata"], clusters=[s["psu"]])
    raked = rake(d, [(s["sex"], sex), (s["age"], age)], tol=1e-12)
    for values, target in ((s["sex"], sex), (s["age"], age)):
        got = np.bincount(values, weights=raked.weights)
        np.testing.assert_allclose(got, [target[k] for k in sorted(target)], rtol=1e-9)


@SETTINGS
@given(survey(), st.randoms(use_true_random=False))
def test_estimates_do_not_depend_on_row_order(s: dict[str, np.ndarray], rnd: object) -> None:
    n = s["w"].shape[0]
    perm = np.random.default_rng(rnd.randint(0, 2**31)).permutation(n)  # type: ignore[attr-defined]

    def run(idx: np.ndarray) -> list[np.ndarray]:
        d = make_design(weights=s["w"][idx], strata=s["strata"][idx], clusters=[s["psu"][idx]])
        c = calibrate(d, np.c_[np.ones(n), s["x"][idx]], [200.0, 400.0])
        out = []
        for des in (d, c):
            m = estimate_mean(des, s["y"][idx], by=s["dom"][idx])
            t = estimate_total(des, s["y"][idx])
            r = estimate_ratio(des, s["y"][idx], s["x"][idx], by=s["dom"][idx])
            out += [m.estimate, m.se, t.estimate, t.se, r.estimate, r.se]
        q = estimate_quantile(d, s["y"][idx], [0.5])
        out += [q.estimate, q.ci_low, q.ci_high]  # type: ignore[list-item]
        return out

    for a, b in zip(run(np.arange(n)), run(perm), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@SETTINGS
@given(
    st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=50),
    st.lists(st.floats(0.5, 20), min_size=50, max_size=50),
)
def test_one_psu_per_respondent_without_strata_is_the_textbook_formula(
    ys: list[float], ws: list[float]
) -> None:
    y = np.array(ys)
    w = np.array(ws[: y.shape[0]])
    n = y.shape[0]
    est = estimate_mean(make_design(weights=w), y)
    mean = np.sum(w * y) / np.sum(w)
    # with-replacement linearisation: n/(n-1) * sum(w^2 (y - mean)^2) / (sum w)^2
    var = n / (n - 1) * np.sum(w**2 * (y - mean) ** 2) / np.sum(w) ** 2
    np.testing.assert_allclose(est.estimate[0, 0], mean, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(est.variance[0, 0], var, rtol=1e-7, atol=1e-9)
    tot = estimate_total(make_design(weights=w), y)
    tvar = n / (n - 1) * np.sum((w * y - np.mean(w * y)) ** 2)
    np.testing.assert_allclose(tot.variance[0, 0], tvar, rtol=1e-7, atol=1e-6)
