"""Correlated survey components in the rank simulation (multivariate normal draws)."""

import numpy as np

from reform.scoring.framework import from_dict
from reform.scoring.simulation import (
    covariance_from_correlation,
    rank_intervals,
    simulate_totals,
)


def _two_survey_leaves(rule: dict, maxima=(20, 20)):
    """A (assessed 60) and S (survey: S1, S2 with the given maxima and rule)."""
    leaves = [
        {"code": f"S{i + 1}", "name": f"s{i + 1}", "max": m, "leaf": "survey", "rule": rule}
        for i, m in enumerate(maxima)
    ]
    return from_dict(
        {"code": "c", "name": "C", "year": 2026, "level": "commune", "kind": "par",
         "total": 60 + sum(maxima),
         "nodes": [{"code": "A", "name": "A", "max": 60},
                   {"code": "S", "name": "S", "max": sum(maxima), "children": leaves}]}
    )  # fmt: skip


LINEAR = {"type": "linear", "scale": 1}


def _drawn(framework, values, se, covariance, draws=20_000, seed=3):
    totals = simulate_totals(framework, values, se, draws=draws, seed=seed, covariance=covariance)
    return np.concatenate(list(totals))


def test_perfectly_correlated_components_add_their_sds_and_opposite_ones_cancel():
    # given two linear survey leaves of 20 points each at 0.5 with SE 0.02 (0.4 points)
    framework = _two_survey_leaves(LINEAR)
    values = np.array([[50.0, 0.5, 0.5]] * 3)
    se = np.array([[0.0, 0.02, 0.02]] * 3)
    survey = np.array([False, True, True])
    # unit 0 independent, unit 1 perfectly correlated, unit 2 perfectly opposite
    covariance = np.stack(
        [covariance_from_correlation(se, rho, survey)[i] for i, rho in enumerate((0, 1, -1))]
    )

    drawn = _drawn(framework, values, se, covariance)

    # then SD(total) = 0.4·√2 independent, 0.4 + 0.4 correlated, 0 opposite
    sd = drawn.std(axis=0)
    assert abs(sd[0] / (0.4 * np.sqrt(2)) - 1) < 0.03
    assert abs(sd[1] / 0.8 - 1) < 0.03
    assert sd[2] < 1e-4
    assert abs(drawn.mean(axis=0) - 70).max() < 0.02


def test_no_covariance_and_a_diagonal_one_give_the_same_draws():
    framework = _two_survey_leaves(LINEAR)
    values = np.array([[50.0, 0.5, 0.6], [40.0, 0.7, 0.2]])
    se = np.array([[0.0, 0.02, 0.03], [0.0, 0.01, 0.02]])

    independent = _drawn(framework, values, se, None, draws=500)
    diagonal = _drawn(framework, values, se, covariance_from_correlation(se, 0.0, [1, 2]), 500)

    assert np.array_equal(independent, diagonal)


def test_rank_intervals_widen_with_positive_and_vanish_with_negative_correlation():
    # given 21 units 0.01 apart on both survey leaves (0.4 points per leaf), SE 0.02
    framework = _two_survey_leaves(LINEAR)
    share = np.linspace(0.4, 0.6, 21)
    values = np.column_stack([np.full(21, 50.0), share, share])
    se = np.column_stack([np.zeros(21), np.full(21, 0.02), np.full(21, 0.02)])
    survey = np.array([False, True, True])

    def widths(rho):
        covariance = covariance_from_correlation(se, rho, survey)
        result = rank_intervals(
            framework, values, se, ["b"] * 21, draws=4000, seed=5, covariance=covariance
        )
        return (result.high - result.low)[3:-3]  # away from the ends, where ranks pile up

    independent, together, opposite = widths(0.0), widths(1.0), widths(-1.0)

    # then the intervals scale with SD(total): ×√2 from independent to perfectly
    # correlated (ranks are integers: ±20%), and collapse to the unit's own rank
    assert 1.2 < together.mean() / independent.mean() < 1.65
    assert opposite.max() == 0


def test_correlated_min_max_leaves_move_as_one_leaf_of_their_sum():
    # given two min–max leaves of 20 points with equal values and SEs, perfectly
    # correlated: in every draw they are equal, so they score as one leaf of 40
    rule = {"type": "minmax", "direction": "positive"}
    two = _two_survey_leaves(rule)
    one = _two_survey_leaves(rule, maxima=(40,))
    share = np.array([0.5, 0.55, 0.6, 0.7])
    se_one = np.column_stack([np.zeros(4), np.full(4, 0.03)])
    values_two = np.column_stack([np.full(4, 50.0), share, share])
    se_two = np.column_stack([se_one, se_one[:, 1]])

    correlated = _drawn(
        two, values_two, se_two,
        covariance_from_correlation(se_two, 1.0, [1, 2]), draws=20_000,
    )  # fmt: skip
    single = _drawn(one, values_two[:, :2], se_one, None, draws=20_000)

    # (the top unit's SD comes from rare draws where another unit overtakes it: left out)
    assert np.allclose(correlated.std(axis=0)[:3], single.std(axis=0)[:3], rtol=0.05)
    assert np.allclose(correlated.mean(axis=0), single.mean(axis=0), atol=0.15)


def test_correlated_linear_cells_near_their_clip_match_a_direct_draw():
    # given two linear leaves at 0.97 and 0.5 (SE 0.03, 0.05), correlation 0.8: the
    # first may pass 1 and be clipped, so it is drawn itself, the second enters the sum
    framework = _two_survey_leaves(LINEAR)
    values = np.array([[50.0, 0.97, 0.5]])
    se = np.array([[0.0, 0.03, 0.05]])
    covariance = covariance_from_correlation(se, 0.8, [1, 2])

    drawn = _drawn(framework, values, se, covariance, draws=40_000)[:, 0]

    # then the totals match N(μ, Σ) drawn directly and clipped to [0, 1] per leaf
    rng = np.random.default_rng(11)
    x = rng.multivariate_normal(values[0, 1:], covariance[0, 1:, 1:], size=200_000)
    direct = 50 + 20 * np.clip(x, 0, 1).sum(axis=1)
    assert abs(drawn.std() / direct.std() - 1) < 0.02
    assert abs(drawn.mean() - direct.mean()) < 0.02


def test_drawn_chunks_stay_within_the_memory_budget(monkeypatch):
    # given 100 units × 2 min–max leaves drawn value by value, and a budget of 1,000 cells
    from reform.scoring import simulation

    monkeypatch.setattr(simulation, "CHUNK_CELLS", 1000)
    framework = _two_survey_leaves({"type": "minmax", "direction": "positive"})
    values = np.column_stack([np.full(100, 50.0), np.linspace(0.4, 0.6, 100), np.full(100, 0.5)])
    se = np.column_stack([np.zeros(100), np.full(100, 0.02), np.full(100, 0.02)])

    for covariance in (None, covariance_from_correlation(se, 0.5, [1, 2])):
        sizes = [len(t) for t in simulate_totals(framework, values, se, draws=50,
                                                 covariance=covariance)]  # fmt: skip

        # then each chunk holds 1,000 // (100 × 2) = 5 draws (or 1,000 // (100 × 3) = 3
        # with the joint vector S, leaf 1, leaf 2), 50 in all
        assert sum(sizes) == 50
        assert max(sizes) == (5 if covariance is None else 3)
