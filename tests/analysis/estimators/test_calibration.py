"""Post-stratification, raking, calibration and trimming against R survey.

Raking in R is run to full convergence (``control = list(maxit = 1000,
epsilon = 1e-12)``) and calibration with ``epsilon = 1e-12``.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.estimators import (
    MarginError,
    calibrate,
    estimate_mean,
    estimate_ratio,
    estimate_total,
    poststratify,
    rake,
)
from analysis.estimators.weights import trim_design

from ._close import close
from .api import design, num, table
from .r_reference import REF

POP_TYPES = {"E": 4421, "H": 755, "M": 1018}
POP_SCHWIDE = {"No": 1072, "Yes": 5122}
POP_AWARDS = {"No": 2400, "Yes": 3794}
POP_TOTALS = [6194, 755, 1018, 3914069]


def model_matrix(name: str) -> np.ndarray:
    """R ``model.matrix(~stype + api99)``: intercept, stypeH, stypeM, api99."""
    t = table(name)
    s = t["stype"]
    return np.c_[np.ones(s.shape[0]), s == "H", s == "M", num(t["api99"])].astype(float)


def two_items(name: str) -> np.ndarray:
    t = table(name)
    return np.c_[num(t["api00"]), num(t["api99"])]


def test_poststratified_stratified_design_matches_postStratify() -> None:
    t = table("dstrat")
    d = poststratify(design("dstrat"), t["stype"], POP_TYPES)
    close(d.weights[[0, 100, 199]], REF["ps.weights"])
    m = estimate_mean(d, two_items("dstrat"))
    close(m.estimate, REF["ps.mean"])
    close(m.se, REF["ps.mean.se"])
    close(estimate_total(d, num(t["enroll"])).se, REF["ps.total.se"])
    close(estimate_mean(d, num(t["api00"]), by=t["awards"]).se, REF["ps.by.mean.se"])
    close(estimate_ratio(d, num(t["api.stu"]), num(t["enroll"])).se, REF["ps.ratio.se"])


def test_poststratified_cluster_design_uses_residuals_for_variance() -> None:
    t = table("dclus1")
    d = poststratify(design("dclus1"), t["stype"], POP_TYPES)
    close(estimate_mean(d, two_items("dclus1")).se, REF["ps1.mean.se"])
    tot = estimate_total(d, num(t["enroll"]))
    close(tot.estimate, REF["ps1.total"])
    close(tot.se, REF["ps1.total.se"])
    close(estimate_mean(d, num(t["api00"]), by=t["awards"]).se, REF["ps1.by.mean.se"])
    close(estimate_mean(d, num(t["acs.46"])).se, REF["ps1.ell.na.se"])


def test_raking_two_margins_matches_rake_at_convergence() -> None:
    t = table("dclus1")
    d = rake(design("dclus1"), [(t["stype"], POP_TYPES), (t["sch.wide"], POP_SCHWIDE)])
    close(d.weights[[0, 49, 99, 182]], REF["rake.weights"])
    m = estimate_mean(d, two_items("dclus1"))
    close(m.estimate, REF["rake.mean"])
    close(m.se, REF["rake.mean.se"])
    tot = estimate_total(d, num(t["enroll"]))
    close(tot.estimate, REF["rake.total"])
    close(tot.se, REF["rake.total.se"])
    close(estimate_mean(d, num(t["api00"]), by=t["awards"]).se, REF["rake.by.mean.se"])


def test_raking_three_margins_on_stratified_design() -> None:
    t = table("dstrat")
    d = rake(
        design("dstrat"),
        [(t["stype"], POP_TYPES), (t["sch.wide"], POP_SCHWIDE), (t["awards"], POP_AWARDS)],
    )
    close(d.weights[[0, 49, 99, 199]], REF["rake3.weights"])
    close(estimate_mean(d, two_items("dstrat")).se, REF["rake3.mean.se"])
    close(estimate_mean(d, num(t["api00"]), by=t["comp.imp"]).se, REF["rake3.by.mean.se"])


def test_linear_calibration_matches_calibrate() -> None:
    t = table("dclus1")
    d = calibrate(design("dclus1"), model_matrix("dclus1"), POP_TOTALS)
    close(d.weights[[0, 49, 99, 182]], REF["cal.lin.weights"])
    close(estimate_mean(d, num(t["api00"])).estimate, REF["cal.lin.mean"])
    close(estimate_mean(d, two_items("dclus1")).se, REF["cal.lin.mean.se"])
    close(estimate_total(d, num(t["enroll"])).se, REF["cal.lin.total.se"])
    close(estimate_mean(d, num(t["api00"]), by=t["awards"]).se, REF["cal.lin.by.mean.se"])
    close(estimate_ratio(d, num(t["api.stu"]), num(t["enroll"])).se, REF["cal.lin.ratio.se"])


def test_raking_calibration_matches_calfun_raking() -> None:
    t = table("dclus1")
    d = calibrate(design("dclus1"), model_matrix("dclus1"), POP_TOTALS, method="raking")
    close(d.weights[[0, 49, 99, 182]], REF["cal.rake.weights"])
    close(estimate_mean(d, num(t["api00"])).se, REF["cal.rake.mean.se"])


def test_bounded_raking_matches_calfun_logit() -> None:
    t = table("dclus1")
    d = calibrate(
        design("dclus1"), model_matrix("dclus1"), POP_TOTALS, method="logit", bounds=(0.5, 2)
    )
    close(d.weights[[0, 49, 99, 182]], REF["cal.logit.weights"])
    m = estimate_mean(d, num(t["api00"]))
    close(m.estimate, REF["cal.logit.mean"])
    close(m.se, REF["cal.logit.mean.se"])


def test_bounded_linear_calibration_matches_calibrate_bounds() -> None:
    t = table("dclus1")
    d = calibrate(design("dclus1"), model_matrix("dclus1"), POP_TOTALS, bounds=(0.6, 1.9))
    close(d.weights[[0, 49, 99, 182]], REF["cal.bounded.weights"])
    close(estimate_mean(d, num(t["api00"])).se, REF["cal.bounded.mean.se"])


def test_calibration_of_two_stage_design() -> None:
    d = calibrate(design("dclus2"), model_matrix("dclus2"), POP_TOTALS)
    close(estimate_mean(d, two_items("dclus2")).se, REF["cal2.mean.se"])


def test_trimming_redistributes_like_trimWeights() -> None:
    t = table("dstrat")
    d = trim_design(design("dstrat"), lower=20, upper=40)
    close(d.weights[[0, 100, 199]], REF["trim.weights"])
    close(estimate_mean(d, num(t["api00"])).se, REF["trim.mean.se"])


def test_raking_margins_that_disagree_on_the_total_are_rejected() -> None:
    t = table("dclus1")
    with pytest.raises(MarginError, match="disagree"):
        rake(design("dclus1"), [(t["stype"], POP_TYPES), (t["sch.wide"], {"No": 1, "Yes": 2})])


def test_raking_category_without_respondents_is_rejected() -> None:
    t = table("dclus1")
    pop = {"E": 4000, "H": 755, "M": 1018, "X": 421}
    with pytest.raises(MarginError, match="no respondents"):
        rake(design("dclus1"), [(t["stype"], pop), (t["sch.wide"], POP_SCHWIDE)])
