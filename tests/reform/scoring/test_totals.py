"""Totals, ranks, bands and changes on known inputs (PCI on published values)."""

import numpy as np

from reform.catalog import framework_load
from reform.scoring.totals import (
    bands,
    block_ranks,
    changes,
    min_ranks,
    rescale_without_survey,
    score,
)
from tests.reform.scoring.helpers import par

# PCI 2020 as published by VCCI (pcivietnam.vn, "Bảng chỉ số PCI"): the ten sub-index
# scores in the order of the 2013–2021 framework, and the published PCI score.
PCI_2020 = {
    "Quảng Ninh": ([7.98, 7.39, 6.31, 8.52, 7.85, 6.96, 7.74, 7.39, 7.27, 7.91], 73.02),
    "Hải Phòng": ([6.52, 6.77, 6.82, 7.64, 6.70, 6.02, 7.73, 7.49, 7.17, 7.21], 70.61),
    "Đồng Tháp": ([7.73, 7.26, 6.94, 8.35, 8.11, 6.96, 7.27, 6.53, 6.42, 7.68], 70.53),
}


def test_pci_is_the_weighted_sum_over_ten_of_published_sub_indices():
    # given the published (rounded) sub-index scores of three provinces
    framework = framework_load(source="pci-2013-2021")
    values = np.array([v for v, _ in PCI_2020.values()])

    # when scored
    scores = score(framework, values)

    # then each PCI is the published one within the rounding of the inputs
    published = np.array([p for _, p in PCI_2020.values()])
    assert np.all(np.abs(scores.total - published) <= 0.03)
    assert block_ranks(scores.total, ["province"] * 3).tolist() == [1, 2, 3]
    np.testing.assert_allclose(scores.domain_points[0], PCI_2020["Quảng Ninh"][0])


def test_par_total_adds_domains_bonus_and_subtracts_penalty():
    # given leaves A1, A2, S1 (share 0.9 of 40), bonus, penalty
    framework = par()
    values = np.array([[38.0, 19.0, 0.9, 1.0, 2.0]])

    scores = score(framework, values)

    np.testing.assert_allclose(scores.domain_points, [[57.0, 36.0, 1.0, 2.0]])
    np.testing.assert_allclose(scores.total, [92.0])
    assert bands(scores.total, framework.bands) == ["A"]


def test_a_level_without_survey_is_rescaled_from_its_appraised_points():
    # given 57 appraised points of 60 (the survey's 40 not run)
    framework = par()
    values = np.array([[38.0, 19.0, 0.0, 0.0, 0.0]])

    scores = score(framework, values, survey=False)

    # then 57 / (100 − 40) × 100 = 95
    np.testing.assert_allclose(scores.total, [95.0])
    assert rescale_without_survey(84.5, survey_max=15.5) == 100.0


def test_ddci_rescales_indicators_averages_them_and_weights_the_sub_indices():
    framework = framework_load(source="ddci-2025")
    leaves = framework.leaves
    # three departments: the first best on every indicator, the third worst
    best, middle, worst = 4.5, 3.0, 1.5
    row = {
        "best": [best] * len(leaves),
        "middle": [middle] * len(leaves),
        "worst": [worst] * len(leaves),
    }
    negative = [j for j, n in enumerate(leaves) if n.rule["direction"] == "negative"]
    for name, raw in (("best", 1.0), ("middle", 2.0), ("worst", 3.0)):
        for j in negative:  # fewer days / a lower share is better
            row[name][j] = raw
    values = np.array(list(row.values()))

    scores = score(framework, values)

    # sub-indices are 10, 5.5 and 1; composite = Σ (100/9)·s / 10
    np.testing.assert_allclose(scores.domain_points, [[10] * 9, [5.5] * 9, [1] * 9])
    np.testing.assert_allclose(scores.total, [100.0, 55.0, 10.0], atol=1e-6)


def test_ties_share_a_rank_and_the_next_rank_is_skipped():
    assert min_ranks(np.array([80.0, 90.0, 80.0, 70.0])).tolist() == [2, 1, 2, 4]


def test_float_noise_does_not_split_a_tie():
    assert min_ranks(np.array([0.1 + 0.2, 0.3])).tolist() == [1, 1]


def test_ranks_are_within_blocks():
    ranks = block_ranks(np.array([50.0, 90.0, 70.0, 60.0]), ["dept", "commune", "dept", "commune"])
    assert ranks.tolist() == [2, 1, 1, 2]


def test_bands_are_configurable_lower_bounds():
    table = [(90.0, "Xuất sắc"), (80.0, "Tốt"), (0.0, "Khá")]
    assert bands(np.array([95, 90, 89.99, 10]), table) == ["Xuất sắc", "Xuất sắc", "Tốt", "Khá"]


def test_changes_map_merged_units_through_their_predecessors():
    # given X3 merged from X1 and X2 this year, Y unchanged, Z new without a past
    previous = {"X1": (80.0, 3), "X2": (90.0, 1), "Y": (85.0, 2)}
    current = {"X3": (88.0, 1), "Y": (84.0, 2), "Z": (70.0, 3)}

    change = changes(current, previous, {"X3": ["X1", "X2"]})

    assert (change["X3"].points, change["X3"].ranks) == (3.0, None)
    assert (change["Y"].points, change["Y"].ranks) == (-1.0, 0)
    assert (change["Z"].points, change["Z"].ranks) == (None, None)
