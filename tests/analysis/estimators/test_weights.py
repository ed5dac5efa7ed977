"""Base weights, nonresponse, trimming and diagnostics; design validation."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.estimators import (
    CalibrationError,
    ConvergenceError,
    DesignError,
    estimate_mean,
    make_design,
    rake,
)
from analysis.estimators.calibration import rake_cells
from analysis.estimators.weights import (
    base_weights_from_counts,
    base_weights_from_probs,
    effective_sample_size,
    kish_deff,
    nonresponse_adjust,
    trim_weights,
    weight_summary,
)


def test_base_weights_from_frame_counts_are_N_over_n() -> None:
    w = base_weights_from_counts(["a", "a", "b", "b", "b"], {"a": 10, "b": 30})
    assert w.tolist() == [5.0, 5.0, 10.0, 10.0, 10.0]


def test_base_weights_from_probs_reject_zero() -> None:
    assert base_weights_from_probs([0.5, 0.25]).tolist() == [2.0, 4.0]
    with pytest.raises(DesignError):
        base_weights_from_probs([0.0, 0.5])


def test_nonresponse_moves_weight_to_respondents_of_the_class() -> None:
    w = nonresponse_adjust([1, 1, 2, 2], [True, False, True, True], ["x", "x", "y", "y"])
    assert w.tolist() == [2.0, 0.0, 2.0, 2.0]
    with pytest.raises(CalibrationError, match="no respondents"):
        nonresponse_adjust([1, 1], [False, True], ["x", "y"])


def test_trimming_keeps_the_total() -> None:
    w = np.array([1.0, 2.0, 3.0, 50.0])
    t = trim_weights(w, upper=20, strict=True)
    assert t.sum() == pytest.approx(w.sum())
    assert t.tolist() == [11.0, 12.0, 13.0, 20.0]


def test_kish_diagnostics() -> None:
    w = np.array([1.0, 1.0, 2.0, 4.0])
    assert kish_deff(w) == pytest.approx(4 * 22 / 64)
    assert effective_sample_size(w) == pytest.approx(64 / 22)
    s = weight_summary(w)
    assert s.kish_deff == pytest.approx(1 + s.cv**2)
    assert (s.min, s.max, s.n) == (1.0, 4.0, 4)


def test_fpc_mixing_sizes_and_fractions_is_rejected() -> None:
    with pytest.raises(DesignError, match="fpc"):
        make_design(strata=[0, 0, 1, 1], fpc=[10, 0.5, 10, 10])


def test_clusters_across_strata_need_nest() -> None:
    with pytest.raises(DesignError, match="nest"):
        make_design(strata=[0, 0, 1, 1], clusters=[[1, 2, 1, 2]])
    d = make_design(strata=[0, 0, 1, 1], clusters=[[1, 2, 1, 2]], nest=True)
    assert d.stages[0].n_units == 4


def test_raking_that_cannot_converge_says_so() -> None:
    with pytest.raises(ConvergenceError):
        rake_cells(
            np.array([1.0, 1.0, 1.0]),
            [np.array([0, 0, 1]), np.array([0, 1, 1])],
            [np.array([1.0, 1.0]), np.array([1.0, 1.0])],
            max_iter=3,
            tol=1e-14,
        )


def test_multistage_without_fpc_is_ultimate_cluster() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 7.0])
    two = make_design(clusters=[[1, 1, 2, 2, 3, 3], [1, 2, 1, 2, 1, 2]])
    one = make_design(clusters=[[1, 1, 2, 2, 3, 3]])
    assert estimate_mean(two, y).se == pytest.approx(estimate_mean(one, y).se)


def test_raking_unknown_category_is_an_error() -> None:
    d = make_design(weights=np.ones(4))
    with pytest.raises(CalibrationError):
        rake(d, [(np.array(["a", "b", "c", "a"]), {"a": 2, "b": 2})])
