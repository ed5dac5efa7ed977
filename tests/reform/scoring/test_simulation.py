"""Rank intervals and weight sensitivity (seeded Monte-Carlo, no database)."""

import numpy as np
from scipy.stats import norm

from reform.scoring.framework import from_dict
from reform.scoring.simulation import (
    drop_one_domain,
    rank_intervals,
    simulate_totals,
    weight_sensitivity,
)
from reform.scoring.totals import aggregation, score
from tests.reform.scoring.helpers import par


def test_a_unit_far_ahead_has_a_one_rank_interval():
    # given one unit 20 points ahead of four others, survey SE 0.02 (0.8 points)
    framework = par()
    values = np.array([[40.0, 20.0, 0.9, 0, 0]] + [[30.0, 15.0, 0.8, 0, 0]] * 4)
    se = np.zeros_like(values)
    se[:, 2] = 0.02

    # when 2,000 draws are ranked
    result = rank_intervals(framework, values, se, ["b"] * 5, draws=2000, k=1, seed=1)

    # then it is first in every draw
    assert (result.low[0], result.high[0]) == (1, 1)
    assert result.p_top[0] == 1.0
    assert result.p_bottom[0] == 0.0
    assert result.low[1:].min() == 2


def test_two_equal_units_swap_about_half_the_time():
    framework = par()
    values = np.array([[30.0, 15.0, 0.8, 0, 0]] * 2)
    se = np.zeros_like(values)
    se[:, 2] = 0.03

    result = rank_intervals(framework, values, se, ["b", "b"], draws=4000, k=1, seed=7)

    # 4,000 draws: the SD of a proportion of 0.5 is 0.008, so ±0.03 is almost 4 SD
    assert abs(result.p_top[0] - 0.5) < 0.03
    assert abs(result.p_top[0] + result.p_top[1] - 1.0) < 1e-12
    assert (result.low.tolist(), result.high.tolist()) == ([1, 1], [2, 2])


def test_without_sampling_error_ranks_do_not_move_and_ties_stay_shared():
    framework = par()
    values = np.array([[30.0, 15.0, 0.8, 0, 0], [30.0, 15.0, 0.8, 0, 0], [1.0, 1.0, 0.1, 0, 0]])

    result = rank_intervals(framework, values, np.zeros_like(values), ["b"] * 3, draws=50)

    assert result.low.tolist() == [1, 1, 3]
    assert result.high.tolist() == [1, 1, 3]


def test_the_same_seed_gives_the_same_intervals():
    framework = par()
    rng = np.random.default_rng(3)
    values = np.column_stack(
        [
            rng.uniform(20, 40, 30),
            rng.uniform(10, 20, 30),
            rng.uniform(0.6, 0.9, 30),
            np.zeros(30),
            np.zeros(30),
        ]
    )
    se = np.zeros_like(values)
    se[:, 2] = 0.03
    blocks = ["a", "b", "c"] * 10

    one = rank_intervals(framework, values, se, blocks, draws=300, seed=5)
    two = rank_intervals(framework, values, se, blocks, draws=300, seed=5)

    assert one.low.tolist() == two.low.tolist()
    assert one.p_top.tolist() == two.p_top.tolist()
    assert one.high.max() <= 10  # ranks are within blocks of 10


def _large(units: int, criteria: int, survey: int) -> tuple:
    """A PAR framework of ``criteria`` leaves of 2 points, ``survey`` of them survey-based."""
    leaves = [
        {"code": f"L{j}", "name": f"L{j}", "max": 2}
        | ({"leaf": "survey", "rule": {"type": "linear", "scale": 1}} if j < survey else {})
        for j in range(criteria)
    ]
    framework = from_dict(
        {
            "code": "big",
            "name": "big",
            "year": 2026,
            "level": "commune",
            "kind": "par",
            "total": 2 * criteria,
            "nodes": [
                {
                    "code": f"D{d}",
                    "name": f"D{d}",
                    "max": 20,
                    "children": leaves[d * 10 : (d + 1) * 10],
                }
                for d in range(criteria // 10)
            ],
        }
    )
    rng = np.random.default_rng(0)
    values = rng.uniform(0.5, 2.0, (units, criteria))
    values[:, :survey] = rng.uniform(0.6, 0.95, (units, survey))
    se = np.zeros_like(values)
    se[:, :survey] = rng.uniform(0.01, 0.04, (units, survey))
    return framework, values, se


def test_many_blocks_of_many_units_rank_within_their_block():
    # given 350 communes in 35 blocks, 50 criteria, every one of them survey-based
    # (speed at 3,500 units is measured by benchmarks/reform_intervals.py, not here)
    framework, values, se = _large(350, 50, 50)
    blocks = np.repeat(np.arange(35), 10)

    result = rank_intervals(framework, values, se, blocks, draws=200, seed=0)

    assert result.draws == 200
    assert np.all(result.low <= result.high)
    assert result.low.min() >= 1 and result.high.max() <= 10  # ranks within a block of 10


def test_weight_perturbation_moves_a_balanced_unit_less_than_a_lopsided_pair():
    # given A strong on domain A, B strong on S, C balanced and clearly last
    framework = par()
    values = np.array([[40.0, 20.0, 0.5, 0, 0], [25.0, 10.0, 1.0, 0, 0], [10.0, 5.0, 0.2, 0, 0]])
    scores = score(framework, values)
    contributions = scores.domain_points * aggregation(framework).domain_total

    result = weight_sensitivity(framework, contributions, ["b"] * 3, draws=2000, seed=2)

    # totals 80 and 75: heavier survey weights swap the two leaders, never the last one
    assert result.base_rank.tolist() == [1, 2, 3]
    assert result.low.tolist() == [1, 1, 3]
    assert result.high.tolist() == [2, 2, 3]
    assert result.mean_shift[2] == 0.0


def test_dropping_a_domain_reports_each_units_rank_shift():
    framework = par()
    values = np.array([[40.0, 20.0, 0.5, 0, 0], [25.0, 10.0, 1.0, 0, 0]])
    contributions = score(framework, values).domain_points * aggregation(framework).domain_total

    shifts = drop_one_domain(framework, contributions, ["b", "b"])

    # without A the survey decides (B climbs one rank); without S nothing changes
    assert {k: v.tolist() for k, v in shifts.items()} == {"A": [-1, 1], "S": [0, 0]}


def test_drawn_totals_have_the_sampling_spread_and_respect_the_clip():
    # given unit 0 far from the clip bounds and unit 1 at the top of the scale (0.99)
    framework = par()
    values = np.array([[30.0, 15.0, 0.5, 0, 0], [30.0, 15.0, 0.99, 0, 0]])
    se = np.zeros_like(values)
    se[:, 2] = 0.05

    totals = np.concatenate(list(simulate_totals(framework, values, se, draws=20000, seed=4)))

    # then unit 0's total is 45 + 40·N(0.5, 0.05): mean 65, SD 2
    assert abs(totals[:, 0].mean() - 65.0) < 0.05
    assert abs(totals[:, 0].std() - 2.0) < 0.05
    # and unit 1 never passes the maximum: E[min(X, 1)] = μ − σ·(φ(d) − d·(1 − Φ(d)))
    d = (1 - 0.99) / 0.05
    capped = 0.99 - 0.05 * (norm.pdf(d) - d * norm.sf(d))  # 0.97466
    assert totals[:, 1].max() <= 85.0 + 1e-4
    assert abs(totals[:, 1].mean() - (45 + 40 * capped)) < 0.05


def test_units_compared_by_min_max_are_re_compared_in_every_draw():
    framework = from_dict(
        {
            "code": "m",
            "name": "m",
            "year": 2026,
            "level": "commune",
            "kind": "par",
            "total": 10,
            "nodes": [
                {
                    "code": "M",
                    "name": "M",
                    "max": 10,
                    "leaf": "survey",
                    "rule": {"type": "minmax", "direction": "positive"},
                }
            ],
        }
    )
    values = np.array([[0.8], [0.8], [0.5]])
    se = np.full_like(values, 0.02)

    result = rank_intervals(framework, values, se, ["b"] * 3, draws=4000, k=1, seed=9)

    assert abs(result.p_top[0] - 0.5) < 0.03
    assert result.p_bottom[2] == 1.0
