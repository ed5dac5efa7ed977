"""Movers and the weakest criteria (no database)."""

import math

import numpy as np

from reform.scoring.overview import criterion_losses, movers, weakest


def test_criterion_losses_are_the_mean_share_of_the_maximum_lost():
    # given two units on three leaves of maxima 10, 4 and a bonus item (not counted)
    points = np.array([[10.0, 1.0, 2.0], [6.0, 3.0, 0.0]])

    shares = criterion_losses(points, [10, 4, 2], [True, True, False])

    # then leaf 1 loses (0 + 4) / 10 / 2 = 20 %, leaf 2 (3 + 1) / 4 / 2 = 50 %
    assert shares[0] == 0.2 and shares[1] == 0.5 and math.isnan(shares[2])
    assert weakest(shares) == [1, 0]


def test_points_above_the_maximum_or_below_zero_are_clipped_and_no_maximum_is_skipped():
    points = np.array([[12.0, -1.0, 5.0]])

    shares = criterion_losses(points, [10, 4, None], [True, True, True])

    assert shares[0] == 0.0 and shares[1] == 1.0 and math.isnan(shares[2])
    assert weakest(shares, count=5) == [1]  # nothing lost on leaf 0: not a weakness


def test_no_units_lose_nothing():
    shares = criterion_losses(np.zeros((0, 2)), [10, 5], [True, True])
    assert np.isnan(shares).all() and weakest(shares) == []


def test_movers_sort_gains_and_losses_by_points_then_ranks():
    points = [3.5, None, -2.0, 3.5, 0.0, -4.25, 1.0]
    ranks = [1, None, -1, 2, 0, -3, None]

    gains, losses = movers(points, ranks, count=2)

    assert gains == [3, 0]  # equal points: the one that climbed more first
    assert losses == [5, 2]
    assert movers(points, ranks) == ([3, 0, 6], [5, 2])
