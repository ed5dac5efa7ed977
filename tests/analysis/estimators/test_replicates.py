"""Replicate-weight designs against R ``as.svrepdesign``.

Bootstrap and BRR replicate weights are exported from R (data/*.csv) and fed to ours,
since bootstrap draws are random and R's Hadamard matrices are its own.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from analysis.estimators import estimate_mean, estimate_proportion, estimate_ratio, estimate_total
from analysis.estimators.replicates import (
    brr_design,
    jk1_design,
    jkn_design,
    replicate_design,
)

from ._close import close
from .api import DATA, design, num, table
from .r_reference import REF


def read_matrix(path: Path) -> np.ndarray:
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    return np.array(rows, dtype=float)


def read_table(path: Path) -> dict[str, np.ndarray]:
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


def two(t: dict[str, np.ndarray]) -> np.ndarray:
    return np.c_[num(t["api00"]), num(t["api99"])]


def test_jk1_on_one_stage_cluster_design_matches_r() -> None:
    t = table("dclus1")
    r = jk1_design(design("dclus1"))
    m = estimate_mean(r, two(t))
    close(m.estimate, REF["jk1.mean"])
    close(m.se, REF["jk1.mean.se"])
    close(estimate_total(r, num(t["enroll"])).se, REF["jk1.total.se"])
    close(estimate_ratio(r, num(t["api.stu"]), num(t["enroll"])).se, REF["jk1.ratio.se"])
    close(estimate_mean(r, num(t["api00"]), by=t["stype"]).se, REF["jk1.by.mean.se"])
    close(estimate_proportion(r, t["stype"]).se, REF["jk1.prop.se"])
    close(estimate_mean(r, num(t["acs.46"])).se, REF["jk1.na.mean.se"])
    assert r.degrees_of_freedom == REF["jk1.degf"][0]


def test_jkn_on_stratified_design_matches_r() -> None:
    t = table("dstrat")
    r = jkn_design(design("dstrat"))
    close(estimate_mean(r, two(t)).se, REF["jkn.mean.se"])
    close(estimate_total(r, num(t["enroll"])).se, REF["jkn.total.se"])
    close(estimate_mean(r, num(t["api00"]), by=t["awards"]).se, REF["jkn.by.mean.se"])
    close(estimate_ratio(r, num(t["api.stu"]), num(t["enroll"])).se, REF["jkn.ratio.se"])


def test_bootstrap_with_r_replicate_weights_matches_r() -> None:
    t = table("dstrat")
    reps = read_matrix(DATA / "apistrat_bootstrap_repweights.csv")
    base = design("dstrat")
    # bootweights: scale = m / ((m - 1) (R - 1)), m = harmonic mean of PSUs per stratum
    per = np.array([100.0, 50.0, 50.0])
    m = 1 / np.mean(1 / per)
    scale = m / ((m - 1) * (reps.shape[1] - 1))
    close([scale], REF["boot.scale"])
    r = replicate_design(base.weights, reps, scale=scale, type="bootstrap")
    close(estimate_mean(r, two(t)).se, REF["boot.mean.se"])
    close(estimate_total(r, num(t["enroll"])).se, REF["boot.total.se"])
    close(estimate_mean(r, num(t["api00"]), by=t["awards"]).se, REF["boot.by.mean.se"])


def brr_base():  # type: ignore[no-untyped-def]
    from analysis.estimators import make_design

    t = read_table(DATA / "brr_design.csv")
    d = make_design(weights=num(t["pw"]), strata=t["h"], clusters=[t["psu"]])
    return t, d


def test_brr_and_fay_with_r_hadamard_weights_match_r() -> None:
    t, d = brr_base()
    reps = read_matrix(DATA / "brr_repweights.csv")
    r = replicate_design(d.weights, reps, scale=1 / reps.shape[1], type="BRR")
    close(estimate_mean(r, two(t)).se, REF["brr.mean.se"])
    close(estimate_total(r, num(t["enroll"])).se, REF["brr.total.se"])
    close(estimate_ratio(r, num(t["api.stu"]), num(t["enroll"])).se, REF["brr.ratio.se"])
    close(estimate_mean(r, num(t["api00"]), by=t["stype"]).se, REF["brr.by.mean.se"])
    rho = 0.3
    fay = np.where(reps > 1, 2 - rho, rho)
    f = replicate_design(d.weights, fay, scale=1 / (reps.shape[1] * (1 - rho) ** 2), type="Fay")
    close(estimate_mean(f, two(t)).se, REF["fay.mean.se"])
    close(estimate_total(f, num(t["enroll"])).se, REF["fay.total.se"])


def test_our_brr_totals_equal_taylor_with_replacement() -> None:
    # full orthogonal balance: BRR variance of a total is the Taylor variance exactly
    t, d = brr_base()
    for rho in (0.0, 0.3):
        r = brr_design(d, fay_rho=rho)
        close(estimate_total(r, num(t["enroll"])).se, REF["brr.taylor.total.se"])
    close(estimate_total(d, num(t["enroll"])).se, REF["brr.taylor.total.se"])


def test_replicate_design_effects_match_r() -> None:
    t = table("dclus1")
    r = jk1_design(design("dclus1"))
    close(estimate_mean(r, two(t), deff=True).deff, REF["jk1.mean.deff"])
    close(estimate_total(r, num(t["enroll"]), deff=True).deff, REF["jk1.total.deff"])
