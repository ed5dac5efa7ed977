"""Conversion rules on known inputs."""

import numpy as np

from reform.scoring.framework import Node
from reform.scoring.rules import leaf_points


def _leaf(rule: dict, maximum: float | None = 10.0, code: str = "x") -> Node:
    return Node(
        code=code, name=code, parent=None, kind="domain", maximum=maximum, leaf="survey", rule=rule
    )


def test_linear_gives_the_share_of_the_maximum_clipped_to_it():
    leaf = _leaf({"type": "linear", "scale": 1}, maximum=3.1)

    points = leaf_points([leaf], np.array([[0.8], [1.2], [-0.1]]))

    np.testing.assert_allclose(points[:, 0], [2.48, 3.1, 0.0])


def test_bands_give_the_points_of_the_highest_threshold_reached():
    leaf = _leaf({"type": "bands", "bands": [[0.9, 6.5], [0.8, 5], [0.7, 3.5]]}, 6.5)

    points = leaf_points([leaf], np.array([[0.95], [0.9], [0.85], [0.7], [0.69]]))

    assert points[:, 0].tolist() == [6.5, 6.5, 5.0, 3.5, 0.0]


def test_minmax_positive_and_negative_across_the_compared_units():
    # given three units with values 2, 5 and 8 on two leaves of 10 points
    up = _leaf({"type": "minmax", "direction": "positive"}, code="up")
    down = _leaf({"type": "minmax", "direction": "negative"}, code="down")
    x = np.array([[2.0, 2.0], [5.0, 5.0], [8.0, 8.0]])

    # when converted
    points = leaf_points([up, down], x)

    # then the best gets the maximum, the worst nothing, the middle half
    assert points.tolist() == [[0.0, 10.0], [5.0, 5.0], [10.0, 0.0]]


def test_minmax_over_past_years_widens_the_range():
    leaf = _leaf({"type": "minmax", "direction": "positive", "years": 3})

    points = leaf_points([leaf], np.array([[4.0], [6.0]]), history={"x": (0.0, 8.0)})

    assert points[:, 0].tolist() == [5.0, 7.5]


def test_ddci_rescale_gives_1_to_10_reversed_for_negative_indicators():
    up = _leaf({"type": "rescale_1_10", "direction": "positive"}, None, "up")
    down = _leaf({"type": "rescale_1_10", "direction": "negative"}, None, "down")
    x = np.array([[10.0, 10.0], [40.0, 40.0], [20.0, 20.0]])

    points = leaf_points([up, down], x)

    assert points.tolist() == [[1.0, 10.0], [10.0, 1.0], [4.0, 7.0]]


def test_equal_units_all_get_the_top_of_a_comparative_rule():
    leaf = _leaf({"type": "rescale_1_10", "direction": "positive"}, None)

    points = leaf_points([leaf], np.array([[3.0], [3.0]]))

    assert points[:, 0].tolist() == [10.0, 10.0]


def test_rules_apply_per_draw_along_leading_axes():
    leaf = _leaf({"type": "minmax", "direction": "positive"})
    draws = np.array([[[1.0], [3.0]], [[3.0], [1.0]]])  # (draws, units, leaves)

    points = leaf_points([leaf], draws)

    assert points[..., 0].tolist() == [[0.0, 10.0], [10.0, 0.0]]
