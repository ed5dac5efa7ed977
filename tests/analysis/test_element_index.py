"""Element indices per unit against R's survey package.

Reference (R 4.2, survey 4.1-1), data = ROWS below written as CSV with columns
unit, cell (unit-sector), N (transactions in the cell), y (satisfied), x (valid):

    options(survey.lonely.psu = "remove", digits = 17)
    des <- svydesign(ids = ~1, strata = ~cell, fpc = ~N, data = d)
    svyby(~y, ~unit, des, svyratio, denominator = ~x)
    #   A 0.45783132530120479 0.194009700664778628
    #   B 0.44444444444444442 0.000000000000000000
    #   C 0.26495726495726496 0.037167277474363866
    svyratio(~y, ~x, des)
    #   0.328611898016997195 0.051171215283358287
"""

import numpy as np
import pytest

from analysis.element_index import ancestor_levels, cell_weights, element_indices

ROWS = [  # unit, sector, N, y, x
    ("A", "land", 9, 0, 2), ("A", "land", 9, 0, 3), ("A", "land", 9, 0, 0),
    ("A", "land", 9, 2, 2), ("A", "justice", 5, 0, 0), ("A", "justice", 5, 0, 0),
    ("A", "justice", 5, 3, 3), ("B", "land", 6, 0, 0), ("B", "land", 6, 0, 0),
    ("B", "land", 6, 0, 0), ("B", "land", 6, 0, 1), ("B", "land", 6, 4, 4),
    ("B", "land", 6, 0, 3), ("B", "social", 1, 0, 1), ("C", "land", 12, 1, 4),
    ("C", "justice", 7, 1, 2), ("C", "justice", 7, 0, 1),
]  # fmt: skip
UNIT_ID = {"ALL": 1, "A": 2, "B": 3, "C": 4}
PARENT = {1: None, 2: 1, 3: 1, 4: 1}


def _arrays(rows=ROWS):
    cells = sorted({(u, s) for u, s, *_ in rows})
    index = {c: i for i, c in enumerate(cells)}
    population = np.zeros(len(cells))
    for u, s, n_cell, *_ in rows:
        population[index[(u, s)]] = n_cell
    cell = np.array([index[(u, s)] for u, s, *_ in rows])
    satisfied = np.array([[y] for *_, y, _x in rows], dtype=float)
    valid = np.array([[x] for *_, x in rows], dtype=float)
    leaf = np.array([UNIT_ID[u] for u, *_ in rows])
    return satisfied, valid, cell, population, leaf


def _run(rows=ROWS):
    satisfied, valid, cell, population, leaf = _arrays(rows)
    return element_indices(
        satisfied=satisfied,
        valid=valid,
        cell=cell,
        cell_population=population,
        levels=ancestor_levels(leaf, PARENT),
    )


def test_unit_ratios_and_ses_equal_r_svyby():
    result = _run()
    by_unit = dict(zip(result.domains.tolist(), range(len(result.domains)), strict=True))
    expected = {  # unit: (estimate, se) from svyby above
        "A": (0.45783132530120479, 0.194009700664778628),
        "B": (0.44444444444444442, 0.0),
        "C": (0.26495726495726496, 0.037167277474363866),
        "ALL": (0.328611898016997195, 0.051171215283358287),
    }
    for unit, (estimate, se) in expected.items():
        i = by_unit[UNIT_ID[unit]]
        assert result.estimate[i, 0] == pytest.approx(estimate, rel=1e-12)
        assert result.se[i, 0] == pytest.approx(se, rel=1e-9, abs=1e-15)


def test_respondent_counts_only_count_valid_answers():
    result = _run()
    counts = dict(zip(result.domains.tolist(), result.n[:, 0].tolist(), strict=True))
    # A has 4 respondents with a valid answer (x > 0); B 4; C 3; all 11
    assert counts == {1: 11, 2: 4, 3: 4, 4: 3}


def test_row_order_does_not_change_anything():
    shuffled = [ROWS[i] for i in np.random.default_rng(1).permutation(len(ROWS))]
    first, second = _run(), _run(shuffled)
    np.testing.assert_allclose(first.estimate, second.estimate, rtol=1e-13)
    np.testing.assert_allclose(first.se, second.se, rtol=1e-12, atol=1e-15)


def test_a_unit_without_valid_answers_gets_no_estimate():
    rows = [("A", "land", 3, 0, 0), ("A", "land", 3, 0, 0), ("B", "land", 2, 1, 1)]
    result = _run(rows)
    by_unit = dict(zip(result.domains.tolist(), range(len(result.domains)), strict=True))
    assert np.isnan(result.estimate[by_unit[UNIT_ID["A"]], 0])
    assert result.estimate[by_unit[UNIT_ID["B"]], 0] == 1.0


def test_cell_weights_are_transactions_over_responses():
    weights = cell_weights(np.array([0, 0, 1]), np.array([10.0, 1.0]))
    # cell 1 has more responses than recorded transactions: N is raised to n (weight 1)
    np.testing.assert_array_equal(weights, [5.0, 5.0, 1.0])
