"""The five lonely-PSU options of R survey on apistrat with a one-school stratum."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.estimators import LonelyPSUError, estimate_mean, estimate_total, make_design

from ._close import close
from .api import load, num
from .r_reference import REF


def lonely_design(option: str):  # type: ignore[no-untyped-def]
    t = load("apistrat")
    strata = t["stype"].copy().astype(object)
    strata[0] = "X"  # lon$st2[1] <- "X" in reference.R
    return make_design(weights=num(t["pw"]), strata=strata, lonely_psu=option)  # type: ignore[arg-type]


@pytest.mark.parametrize("option", ["remove", "adjust", "average", "certainty"])
def test_lonely_psu_option_matches_r(option: str) -> None:
    t = load("apistrat")
    d = lonely_design(option)
    close(
        estimate_mean(d, np.c_[num(t["api00"]), num(t["enroll"])]).se,
        REF[f"lonely.{option}.mean.se"],
    )
    close(estimate_total(d, num(t["enroll"])).se, REF[f"lonely.{option}.total.se"])
    close(estimate_mean(d, num(t["api00"]), by=t["awards"]).se, REF[f"lonely.{option}.by.se"])


def test_lonely_psu_fail_raises_like_r() -> None:
    # R: Stratum (X) has only one PSU at stage 1
    t = load("apistrat")
    with pytest.raises(LonelyPSUError, match="only one PSU at stage 1"):
        estimate_mean(lonely_design("fail"), num(t["api00"]))
