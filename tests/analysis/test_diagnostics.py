"""The dashboard's pure computations, checked by hand: balance (ASMD as Meta's
``balance`` reports it), the response projection rule, earlier rounds on today's map."""

import math

import numpy as np
import pytest

from analysis.diagnostics import (
    Earlier,
    balance_asmd,
    balance_summary,
    estimate_map,
    response_projection,
)


def test_asmd_of_a_sample_that_weighting_balances_exactly():
    # given 3 of 4 respondents in category a where the population is half a, half b
    values = np.array(["a", "a", "a", "b"])
    weights = np.array([1.0, 1.0, 1.0, 3.0])

    rows = balance_asmd(variable="sex", values=values, weights=weights, target={"a": 50, "b": 50})

    # then before: |0.75 − 0.5| / sqrt(0.5 · 0.5) = 0.5 for both; after: 3/6 = 0.5 → 0
    assert [(r.category, r.target, r.before, r.after) for r in rows] == [
        ("a", 0.5, 0.75, 0.5),
        ("b", 0.5, 0.25, 0.5),
    ]
    assert [r.asmd_before for r in rows] == [0.5, 0.5]
    assert [r.asmd_after for r in rows] == [0.0, 0.0]
    assert balance_summary(rows) == {"before": 0.5, "after": 0.0, "improvement": 1.0}


def test_asmd_with_an_unanswered_respondent_and_an_empty_category():
    # given shares x .2, y .6, z .2; respondents x, y, y and one who did not answer
    values = np.array(["x", "y", "y", ""])
    weights = np.array([2.0, 1.0, 1.0, 4.0])
    target = {"x": 20, "y": 60, "z": 20}

    rows = balance_asmd(variable="v", values=values, weights=weights, target=target)

    by = {r.category: r for r in rows}
    # before (unweighted, n = 4): x 1/4, y 2/4, z 0
    assert by["x"].asmd_before == pytest.approx(0.05 / 0.4)
    assert by["y"].asmd_before == pytest.approx(0.1 / math.sqrt(0.24))
    assert by["z"].asmd_before == pytest.approx(0.5)
    # after (weights sum to 8): x 2/8, y 2/8, z 0
    assert by["x"].after == 0.25 and by["y"].after == 0.25
    assert by["y"].asmd_after == pytest.approx(0.35 / math.sqrt(0.24))
    summary = balance_summary(rows)
    assert summary["before"] == pytest.approx((0.125 + 0.1 / math.sqrt(0.24) + 0.5) / 3)
    assert summary["after"] == pytest.approx((0.125 + 0.35 / math.sqrt(0.24) + 0.5) / 3)
    assert summary["improvement"] < 0  # weighting made this variable worse


def test_a_category_the_whole_population_is_in_has_no_asmd():
    rows = balance_asmd(
        variable="v", values=np.array(["a", "a"]), weights=np.ones(2), target={"a": 10, "b": 0}
    )
    assert [(r.asmd_before, r.asmd_after) for r in rows] == [(None, None), (None, None)]
    assert balance_summary(rows) == {"before": None, "after": None, "improvement": None}


def test_the_projection_rule():
    # 40 so far, 14 in the last 14 days (1 a day), 20 days left → 60
    on_track = response_projection(responses=40, target=60, recent=14, window_days=14, days_left=20)
    short = response_projection(responses=40, target=61, recent=14, window_days=14, days_left=20)
    ended = response_projection(responses=40, target=41, recent=14, window_days=14, days_left=-3)
    assert (on_track.projected, on_track.at_risk) == (60.0, False)
    assert (short.projected, short.at_risk) == (60.0, True)
    assert (ended.projected, ended.at_risk) == (40.0, True)


def test_earlier_rounds_on_todays_map():
    earlier = {"S01": (0.8, 100, False), "H01": (0.7, 50, False), "H02": (0.9, 150, False)}

    own = estimate_map(unit="S01", predecessors=[], earlier=earlier)
    split = estimate_map(unit="X04", predecessors=["H01"], earlier=earlier)
    merged = estimate_map(unit="Y", predecessors=["H01", "H02"], earlier=earlier)
    new = estimate_map(unit="Z", predecessors=[], earlier=earlier)
    hidden = estimate_map(unit="S01", predecessors=[], earlier={"S01": (0.8, 3, True)})

    assert own == Earlier(0.8, 100, ("S01",), False)
    assert split == Earlier(0.7, 50, ("H01",), True)
    assert merged.estimate == pytest.approx((0.7 * 50 + 0.9 * 150) / 200)
    assert merged.n == 200 and merged.mapped
    assert new == Earlier(None, 0, (), False)
    assert hidden.estimate is None and hidden.n == 3
