"""Rank-interval simulation speed (reform.scoring.simulation), printing seconds per case.

    .venv/bin/python benchmarks/reform_intervals.py

Cases: units × criteria (of which survey-based) × draws, for linear rules (summed
analytically per unit where the clip cannot bind) and min–max rules (every value drawn
and re-compared across units), plus the naive reference that draws every value of every
rule, to show the ratio. Cases marked ρ = 0.5 draw the survey components of each unit
jointly from a per-unit covariance matrix (multivariate normal, correlation 0.5).
"""

import time

import numpy as np

from reform.scoring.framework import from_dict
from reform.scoring.simulation import covariance_from_correlation, rank_intervals
from reform.scoring.totals import block_ranks, score


def framework(criteria: int, survey: int, rule: dict):
    leaves = [
        {"code": f"L{j}", "name": f"L{j}", "max": 2}
        | ({"leaf": "survey", "rule": rule} if j < survey else {})
        for j in range(criteria)
    ]
    return from_dict(
        {"code": "b", "name": "b", "year": 2026, "level": "commune", "kind": "par",
         "total": 2 * criteria,
         "nodes": [{"code": f"D{d}", "name": f"D{d}", "max": 20,
                    "children": leaves[d * 10:(d + 1) * 10]} for d in range(criteria // 10)]}
    )  # fmt: skip


def data(units: int, criteria: int, survey: int):
    rng = np.random.default_rng(0)
    values = rng.uniform(0.5, 2.0, (units, criteria))
    values[:, :survey] = rng.uniform(0.6, 0.95, (units, survey))
    se = np.zeros_like(values)
    se[:, :survey] = rng.uniform(0.01, 0.04, (units, survey))
    return values, se, np.repeat(np.arange(max(1, units // 100)), 100)[:units]


def naive(tree, values, se, blocks, draws):
    """Every value of every draw through score(): the straightforward implementation."""
    rng = np.random.default_rng(0)
    ranks = []
    for _ in range(draws):
        drawn = values + se * rng.standard_normal(values.shape)
        ranks.append(block_ranks(score(tree, drawn).total, blocks))
    return np.array(ranks)


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


if __name__ == "__main__":
    linear = {"type": "linear", "scale": 1}
    minmax = {"type": "minmax", "direction": "positive"}
    cases = [
        (3500, 50, 50, 1000, linear, None),
        (3500, 50, 10, 1000, linear, None),
        (3500, 50, 50, 1000, minmax, None),
        (3500, 50, 10, 1000, minmax, None),
        (700, 50, 50, 10000, linear, None),
        (3500, 50, 10, 1000, linear, 0.5),
        (3500, 50, 10, 1000, minmax, 0.5),
        (3500, 50, 50, 1000, linear, 0.5),
    ]
    print("units criteria survey draws rule     ρ      seconds")
    for units, criteria, survey, draws, rule, rho in cases:
        tree = framework(criteria, survey, rule)
        values, se, blocks = data(units, criteria, survey)
        cov = None if rho is None else covariance_from_correlation(se, rho, np.arange(survey))
        seconds = timed(
            lambda: rank_intervals(tree, values, se, blocks, draws=draws, covariance=cov)  # noqa: B023
        )
        shown = "—" if rho is None else f"{rho:g}"
        print(
            f"{units:5} {criteria:8} {survey:6} {draws:5} {rule['type']:8} {shown:4} {seconds:8.2f}"
        )
    tree = framework(50, 50, linear)
    values, se, blocks = data(3500, 50, 50)
    fast = timed(lambda: rank_intervals(tree, values, se, blocks, draws=200))
    slow = timed(lambda: naive(tree, values, se, blocks, 200))
    print(
        f"3500×50, 200 draws: naive {slow:.2f} s, vectorised {fast:.2f} s, ratio {slow / fast:.1f}×"
    )
