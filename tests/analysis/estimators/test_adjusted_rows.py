"""The Taylor variance of a one-stage design of single-row units after weight
adjustments (a round's cell strata, then raking / calibration / post-stratification) is
taken from per-domain, per-stratum and Gram sums instead of a rows x domains array; it
equals the general path to rounding, for every lonely-unit rule it handles."""

import numpy as np
import pytest

from analysis.estimators import (
    calibrate,
    estimate_mean,
    estimate_ratio,
    make_design,
    poststratify,
    rake,
)
from analysis.estimators import variance as taylor


def _designs(lonely):
    rng = np.random.default_rng(1)
    n = 3000
    strata = rng.integers(0, 60, n)
    strata[0] = 99  # a stratum of one row
    population = rng.integers(200, 900, 100)[strata % 100].astype(float)
    population[strata == 7] = (strata == 7).sum()  # a stratum taken whole (f = 0)
    sex = rng.choice(["f", "m"], n)
    age = rng.choice(["a", "b", "c"], n)
    base = make_design(strata=strata, fpc=population, lonely_psu=lonely)
    total = base.weights.sum()
    raked = rake(
        base,
        [
            (sex, {"f": total * 0.5, "m": total * 0.5}),
            (age, {"a": total * 0.3, "b": total * 0.3, "c": total * 0.4}),
        ],
    )
    x = np.column_stack([np.ones(n), sex == "m", age == "b", age == "c"]).astype(float)
    both = calibrate(
        raked, x, [total, total * 0.5, total * 0.3, total * 0.4], method="logit", bounds=(0.5, 2)
    )
    post = poststratify(base, sex, {"f": total * 0.52, "m": total * 0.48})
    y = rng.integers(0, 5, (n, 3)).astype(float)
    valid = np.maximum(y, rng.integers(0, 5, (n, 3))).astype(float)
    domain = rng.integers(0, 25, n).astype(float)
    return [raked, both, post], y, valid, domain


@pytest.mark.parametrize("lonely", ["remove", "certainty", "adjust"])
def test_the_row_path_equals_the_general_path(lonely, monkeypatch):
    designs, y, valid, domain = _designs(lonely)
    assert all(taylor._rows_are_psus(d) for d in designs)

    fast = [
        (estimate_ratio(d, y, valid, by=domain).variance, estimate_mean(d, y, by=domain).variance)
        for d in designs
    ]
    monkeypatch.setattr(taylor, "_rows_are_psus", lambda design: False)
    general = [
        (estimate_ratio(d, y, valid, by=domain).variance, estimate_mean(d, y, by=domain).variance)
        for d in designs
    ]

    for (ratio, mean), (ratio_g, mean_g) in zip(fast, general, strict=True):
        np.testing.assert_allclose(ratio, ratio_g, rtol=1e-12)
        np.testing.assert_allclose(mean, mean_g, rtol=1e-12)
        assert np.all(ratio > 0)


def test_a_lonely_unit_fails_when_asked_to():
    designs, y, valid, domain = _designs("fail")

    with pytest.raises(Exception, match="only one PSU"):
        estimate_ratio(designs[0], y, valid, by=domain)
