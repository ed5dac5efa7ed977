"""Taylor-linearisation estimates against R survey on the api designs.

Expected values: r_reference.py, each beside the R call that produced it.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.estimators import (
    degrees_of_freedom,
    estimate_mean,
    estimate_proportion,
    estimate_ratio,
    estimate_total,
)

from ._close import close
from .api import design, num, r_order, table
from .r_reference import REF

DESIGNS = ["dsrs", "dstrat", "dclus1", "dclus2"]


@pytest.mark.parametrize("name", DESIGNS)
def test_means_of_two_items_match_svymean(name: str) -> None:
    t = table(name)
    est = estimate_mean(design(name), np.c_[num(t["api00"]), num(t["api99"])], deff=True)
    close(est.estimate, REF[f"{name}.mean"])
    close(est.se, REF[f"{name}.mean.se"])
    close(est.deff, REF[f"{name}.mean.deff"])


@pytest.mark.parametrize("name", DESIGNS)
def test_mean_interval_uses_design_degrees_of_freedom(name: str) -> None:
    d = design(name)
    est = estimate_mean(d, num(table(name)["api00"]))
    low, high = est.confint()
    assert degrees_of_freedom(d) == REF[f"{name}.degf"][0]
    close(np.r_[low.ravel(), high.ravel()], REF[f"{name}.mean.ci"])


@pytest.mark.parametrize("name", DESIGNS)
def test_total_with_missing_values_matches_svytotal_na_rm(name: str) -> None:
    est = estimate_total(design(name), num(table(name)["enroll"]), deff=True)
    close(est.estimate, REF[f"{name}.total"])
    close(est.se, REF[f"{name}.total.se"])
    close(est.deff, REF[f"{name}.total.deff"])


@pytest.mark.parametrize("name", DESIGNS)
def test_ratio_matches_svyratio(name: str) -> None:
    t = table(name)
    est = estimate_ratio(design(name), num(t["api.stu"]), num(t["enroll"]), deff=True)
    close(est.estimate, REF[f"{name}.ratio"])
    close(est.se, REF[f"{name}.ratio.se"])
    close(est.deff, REF[f"{name}.ratio.deff"])


@pytest.mark.parametrize("name", DESIGNS)
def test_proportions_match_factor_means(name: str) -> None:
    est = estimate_proportion(design(name), table(name)["stype"], deff=True)
    assert est.items == ("E", "H", "M")
    close(est.estimate, REF[f"{name}.prop"])
    close(est.se, REF[f"{name}.prop.se"])
    close(est.deff, REF[f"{name}.prop.deff"])


@pytest.mark.parametrize("name", DESIGNS)
def test_domain_means_match_svyby(name: str) -> None:
    t = table(name)
    est = estimate_mean(
        design(name), np.c_[num(t["api00"]), num(t["api99"])], by=t["stype"], deff=True
    )
    assert list(est.domains) == ["E", "H", "M"]  # type: ignore[arg-type]
    close(r_order(est.estimate), REF[f"{name}.by.mean"])
    close(r_order(est.se), REF[f"{name}.by.mean.se"])
    close(r_order(est.deff), REF[f"{name}.by.mean.deff"])


@pytest.mark.parametrize("name", DESIGNS)
def test_domain_mean_interval_matches_confint_svyby(name: str) -> None:
    d = design(name)
    t = table(name)
    est = estimate_mean(d, num(t["api00"]), by=t["stype"])
    low, high = est.confint()
    close(np.r_[low.ravel(), high.ravel()], REF[f"{name}.by.mean.ci"])


@pytest.mark.parametrize("name", DESIGNS)
def test_domain_totals_and_ratios_match_svyby(name: str) -> None:
    t = table(name)
    tot = estimate_total(design(name), num(t["enroll"]), by=t["stype"])
    close(tot.estimate, REF[f"{name}.by.total"])
    close(tot.se, REF[f"{name}.by.total.se"])
    rat = estimate_ratio(design(name), num(t["api.stu"]), num(t["enroll"]), by=t["stype"])
    close(rat.estimate, REF[f"{name}.by.ratio"])
    close(rat.se, REF[f"{name}.by.ratio.se"])


@pytest.mark.parametrize("name", DESIGNS)
def test_domain_proportions_match_svyby_factor_means(name: str) -> None:
    t = table(name)
    est = estimate_proportion(design(name), t["awards"], by=t["stype"])
    close(r_order(est.estimate), REF[f"{name}.by.prop"])
    close(r_order(est.se), REF[f"{name}.by.prop.se"])


@pytest.mark.parametrize("name", DESIGNS)
def test_proportion_intervals_match_svyciprop(name: str) -> None:
    t = table(name)
    est = estimate_proportion(design(name), t["sch.wide"])
    yes = est.items.index("Yes")
    close(est.estimate[:, yes], REF[f"{name}.ciprop.mean"])
    low, high = est.confint(method="logit")
    close([low[0, yes], high[0, yes]], REF[f"{name}.ciprop.logit"])
    low, high = est.confint(method="beta")
    close([low[0, yes], high[0, yes]], REF[f"{name}.ciprop.beta"])


def test_one_psu_per_respondent_equals_textbook_formula() -> None:
    from analysis.estimators import make_design

    y = np.array([3.0, 5.0, 4.0, 1.0, 2.0, 5.0, 4.0])
    d = make_design(weights=np.full(7, 10.0))
    est = estimate_mean(d, y)
    assert est.estimate[0, 0] == pytest.approx(y.mean(), rel=1e-12)
    assert est.se[0, 0] == pytest.approx(stats.sem(y), rel=1e-12)
