"""Quantiles against R survey >= 4.1 ``svyquantile`` defaults.

Rule ``qrule="math"`` (smallest value whose weighted CDF reaches p) and Woodruff
intervals with ``interval.type="mean"`` and the design degrees of freedom.
``confint(svyby(...))`` is R's Wald interval ``q ± z * se`` on those SEs.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.estimators import estimate_quantile

from ._close import close
from .api import design, num, r_order, table
from .r_reference import REF

DESIGNS = ["dsrs", "dstrat", "dclus1", "dclus2"]


@pytest.mark.parametrize("name", DESIGNS)
def test_quartiles_and_woodruff_intervals_match_svyquantile(name: str) -> None:
    est = estimate_quantile(design(name), num(table(name)["api00"]), [0.25, 0.5, 0.75])
    close(est.estimate, REF[f"{name}.quantile"])
    close(est.se, REF[f"{name}.quantile.se"])
    low, high = est.confint()
    close(np.r_[low.ravel(), high.ravel()], REF[f"{name}.quantile.ci"])


@pytest.mark.parametrize("name", DESIGNS)
def test_quantiles_skip_missing_values_as_na_rm(name: str) -> None:
    est = estimate_quantile(design(name), num(table(name)["enroll"]), [0.1, 0.5, 0.9])
    close(est.estimate, REF[f"{name}.quantile.enroll"])
    low, high = est.confint()
    close(np.r_[low.ravel(), high.ravel()], REF[f"{name}.quantile.enroll.ci"])


@pytest.mark.parametrize("name", DESIGNS)
def test_domain_quantiles_match_svyby(name: str) -> None:
    t = table(name)
    est = estimate_quantile(design(name), num(t["api00"]), [0.25, 0.5], by=t["stype"])
    close(r_order(est.estimate), REF[f"{name}.by.quantile"])
    z = stats.norm.ppf(0.975)
    low, high = est.estimate - z * est.se, est.estimate + z * est.se
    close(np.r_[r_order(low), r_order(high)], REF[f"{name}.by.quantile.ci"])


def test_quantiles_after_poststratification_use_calibrated_cdf_variance() -> None:
    from analysis.estimators import poststratify

    t = table("dclus1")
    d = poststratify(design("dclus1"), t["stype"], {"E": 4421, "H": 755, "M": 1018})
    est = estimate_quantile(d, num(t["api00"]), [0.25, 0.5])
    close(est.estimate, REF["ps1.quantile"])
    low, high = est.confint()
    close(np.r_[low.ravel(), high.ravel()], REF["ps1.quantile.ci"])
